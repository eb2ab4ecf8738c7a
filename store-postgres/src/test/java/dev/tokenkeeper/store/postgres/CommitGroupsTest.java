package dev.tokenkeeper.store.postgres;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Group commit without a database: the "transactions" are recorded, so the test sees which commits
 * went together, and a failing group or member is staged by the test.
 */
class CommitGroupsTest {

    private final CommitGroups<Integer> groups = new CommitGroups<>();
    private final List<List<Integer>> transactions = Collections.synchronizedList(new ArrayList<>());
    private final Set<Integer> written = ConcurrentHashMap.newKeySet();

    @Test
    void aLoneCommitIsWrittenAtOnceOnItsOwn() {
        assertTrue(groups.commit(1, group -> record(group, commit -> true), this::alone));
        assertTrue(transactions.isEmpty(), "no group transaction for one commit");
        assertEquals(Set.of(1), written);
    }

    @Test
    void commitsArrivingWhileAGroupIsWrittenGoTogetherInTheNextAndEachKeepsItsOwnVersionCheck() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        try {
            // Odd ones find their version moved.
            List<Future<Boolean>> later = queuedBehindHeldWriters(threads, group -> record(group, commit -> true), 6,
                    commit -> () -> groups.commit(commit, group -> record(group, c -> c % 2 == 0), this::alone));
            for (int i = 1; i <= 6; i++) {
                assertEquals(i % 2 == 0, later.get(i - 1).get(10, TimeUnit.SECONDS), "commit " + i);
            }
            assertEquals(1, transactions.size(), "the six that waited went in one transaction: " + transactions);
            assertEquals(Set.of(1, 2, 3, 4, 5, 6), Set.copyOf(transactions.get(0)));
            assertEquals(Set.of(2, 4, 6, 100), written.stream().filter(c -> c <= 100).collect(java.util.stream.Collectors.toSet()));
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aFailedGroupIsWrittenMemberByMemberAndAMembersFailureIsItsOwn() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        Function<List<Integer>, List<Boolean>> failing = group -> {
            transactions.add(group);
            throw new IllegalStateException("the transaction rolled back");
        };
        try {
            List<Future<Boolean>> later = queuedBehindHeldWriters(threads, failing, 3,
                    commit -> () -> groups.commit(commit, failing, c -> {
                        if (c == 2) {
                            throw new IllegalStateException("commit 2 failed");
                        }
                        return alone(c);
                    }));
            assertTrue(later.get(0).get(10, TimeUnit.SECONDS));
            Exception second = assertThrows(Exception.class, () -> later.get(1).get(10, TimeUnit.SECONDS));
            assertEquals("commit 2 failed", second.getCause().getMessage());
            assertTrue(later.get(2).get(10, TimeUnit.SECONDS));
            assertEquals(1, transactions.size(), "one group tried: " + transactions);
            assertEquals(Set.of(1, 3, 100), written.stream().filter(c -> c <= 100).collect(java.util.stream.Collectors.toSet()),
                    "each written once, alone after the group rolled back");
            assertFalse(written.contains(2));
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void anErrorOutOfAGroupsWriteFailsEachMemberAndTheNextCommitIsStillWritten() throws Exception {
        ExecutorService threads = Executors.newCachedThreadPool();
        Function<List<Integer>, List<Boolean>> erring = group -> {
            transactions.add(group);
            throw new StagedError();
        };
        try {
            List<Future<Boolean>> later = queuedBehindHeldWriters(threads, erring, 3,
                    commit -> () -> groups.commit(commit, erring, this::alone));
            int errors = 0;
            for (Future<Boolean> member : later) {
                // Not "false" (that would say another writer moved the version): the outcome is a failure.
                Exception failed = assertThrows(Exception.class, () -> member.get(10, TimeUnit.SECONDS));
                errors += failed.getCause() instanceof StagedError ? 1 : 0;
            }
            assertEquals(1, errors, "the member that wrote the group sees the error itself, the others a failure");
            assertTrue(groups.commit(4, group -> record(group, c -> true), this::alone), "the writer was handed on");
            assertEquals(Set.of(4, 100), Set.copyOf(written));
        } finally {
            threads.shutdownNow();
        }
    }

    private static final class StagedError extends Error {
        private static final long serialVersionUID = 1L;

        StagedError() {
            super("staged");
        }
    }

    private List<Boolean> record(List<Integer> group, java.util.function.Predicate<Integer> versionHolds) {
        transactions.add(group);
        List<Boolean> results = new ArrayList<>();
        for (int commit : group) {
            boolean holds = versionHolds.test(commit);
            if (holds) {
                assertTrue(written.add(commit), "written twice: " + commit);
            }
            results.add(holds);
        }
        return results;
    }

    private boolean alone(int commit) {
        assertTrue(written.add(commit), "written twice: " + commit);
        return true;
    }

    /**
     * Commits 1 to {@code count}, made by {@code commit}, queued while every writer is held with a commit of
     * its own; then the writers are let go and their commits checked.
     *
     * @return the queued commits' outcomes
     */
    private List<Future<Boolean>> queuedBehindHeldWriters(ExecutorService threads, Function<List<Integer>, List<Boolean>> inOne,
                                                          int count, IntFunction<Callable<Boolean>> commit) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Future<Boolean>> held = holdEveryWriter(threads, release, inOne);
        List<Future<Boolean>> queued = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            queued.add(threads.submit(commit.apply(i)));
        }
        waitUntilQueued(count);
        release.countDown();
        for (Future<Boolean> first : held) {
            assertTrue(first.get(10, TimeUnit.SECONDS));
        }
        return queued;
    }

    /** Commits 100, 101, … written alone, held until {@code release}: every writer busy. */
    private List<Future<Boolean>> holdEveryWriter(ExecutorService threads, CountDownLatch release,
                                                  Function<List<Integer>, List<Boolean>> inOne) throws Exception {
        CountDownLatch writing = new CountDownLatch(CommitGroups.WRITERS);
        List<Future<Boolean>> held = new ArrayList<>();
        for (int i = 0; i < CommitGroups.WRITERS; i++) {
            int commit = 100 + i;
            held.add(threads.submit(() -> groups.commit(commit, inOne, c -> {
                writing.countDown();
                await(release);
                return alone(c);
            })));
            // One at a time, so that each finds a free writer and goes alone.
            long left = CommitGroups.WRITERS - 1 - i;
            waitUntil(() -> writing.getCount() == left);
        }
        return held;
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not reached within 10 s");
            Thread.sleep(5);
        }
    }

    private void waitUntilQueued(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (groups.waiting() < count) {
            assertTrue(System.nanoTime() < deadline, "only " + groups.waiting() + " of " + count + " queued");
            Thread.sleep(5);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
