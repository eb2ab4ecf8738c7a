package dev.tokenkeeper.store.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Group commit of refreshes: a commit that arrives while {@link #WRITERS} groups are being written
 * waits and then goes in the next group, one transaction (on PostgreSQL one statement) for all of
 * its members, so that the refreshes of a storm share one WAL flush per group instead of one each
 * (what PostgreSQL job queues do with their completions). Nothing waits on purpose: a group is whatever queued during the previous
 * group's write, so a lone commit is written at once, and a member waits for at most the group
 * before its own (each write bounded by the store's statement and socket timeouts). Each member
 * keeps its own version check: a row whose version moved is not written and answers false, and the
 * others are written.
 *
 * <p>If the group's write fails, nothing of it was committed (it rolled back), and each member
 * is written alone, so that one member's failure is its own and no refresh is lost or written twice.
 * (A connection lost during the COMMIT leaves its outcome unknown, as with a commit alone: written
 * alone again, a member that did commit finds its version moved and answers false.)
 *
 * @param <C> a commit
 */
final class CommitGroups<C> {

    /** One commit waiting for its group. */
    private static final class Member<C> {
        final C commit;
        final Thread thread = Thread.currentThread();
        /** Set (with {@link #written} and {@link #failure} before it) when its group was written. */
        volatile boolean done;
        /** Handed to it when the group before ended: the next group, which it writes. */
        volatile List<Member<C>> toWrite;
        boolean written;
        RuntimeException failure;

        Member(C commit) {
            this.commit = commit;
        }
    }

    /**
     * Groups written at once: one. (Two groups at once, each one JDBC batch, were tried: in a storm under
     * load 20-66, 1,576 batched commits answered "not written" for rows still at the version their
     * caller read, and 29 refresh tokens were then presented twice; not understood, so one group at a
     * time. Since session 16 a group is one statement over arrays whose answer names each row it wrote,
     * so a group costs one round trip and a writer is seldom busy for long.)
     */
    static final int WRITERS = 1;

    /** A waiting member looks again this often even unwoken (a wake-up cannot be lost; this is a bound, not a poll). */
    private static final long RECHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Object lock = new Object();
    private List<Member<C>> queued = new ArrayList<>();
    private boolean writing;

    /**
     * @param commit  the commit
     * @param inOne   writes a group in one transaction: for each member in order, whether its version
     *                check held; throws when the transaction failed (nothing committed)
     * @param alone   writes one commit on its own: whether its version check held
     * @return whether {@code commit} was written
     */
    boolean commit(C commit, Function<List<C>, List<Boolean>> inOne, Predicate<C> alone) {
        Member<C> mine = new Member<>(commit);
        List<Member<C>> group = null;
        synchronized (lock) {
            queued.add(mine);
            if (!writing) {
                writing = true;
                group = take();
            }
        }
        if (group == null) {
            group = awaitTurn(mine);
        }
        if (group != null) {
            writeAndHandOn(group, inOne, alone);
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
        return mine.written;
    }

    /** @return how many commits wait for the group being written (tests) */
    int waiting() {
        synchronized (lock) {
            return queued.size();
        }
    }

    private List<Member<C>> take() {
        List<Member<C>> group = queued;
        queued = new ArrayList<>();
        return group;
    }

    /**
     * Waits until its group was written (null), or until the group it belongs to is handed to it to
     * write. Only the members of the group just written and the next group's first member are woken,
     * not every waiting thread (waking all of them at each group's end cost each refresh a wake-up
     * and a fight for the lock on two cores).
     */
    private List<Member<C>> awaitTurn(Member<C> mine) {
        boolean interrupted = false;
        try {
            while (true) {
                if (mine.done) {
                    return null;
                }
                List<Member<C>> group = mine.toWrite;
                if (group != null) {
                    return group;
                }
                // Woken when its group ends or is handed to it; that write is bounded by the store's timeouts.
                LockSupport.parkNanos(this, RECHECK_NANOS);
                if (Thread.interrupted()) {
                    // The commit may be in a group being written: its outcome must be known before returning.
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void writeAndHandOn(List<Member<C>> group, Function<List<C>, List<Boolean>> inOne, Predicate<C> alone) {
        try {
            write(group, inOne, alone);
        } finally {
            synchronized (lock) {
                if (queued.isEmpty()) {
                    writing = false;
                } else {
                    List<Member<C>> next = take();
                    Member<C> first = next.get(0);
                    first.toWrite = next;
                    LockSupport.unpark(first.thread);
                }
            }
            for (Member<C> member : group) {
                if (!member.done) {
                    // Only an Error out of the write leaves a member unsettled: it fails, it does not wait forever.
                    member.failure = new IllegalStateException("the group commit this refresh was in failed");
                    member.done = true;
                }
                if (member.thread != Thread.currentThread()) {
                    LockSupport.unpark(member.thread);
                }
            }
        }
    }

    private void write(List<Member<C>> group, Function<List<C>, List<Boolean>> inOne, Predicate<C> alone) {
        if (group.size() > 1) {
            try {
                List<Boolean> written = inOne.apply(group.stream().map(member -> member.commit).toList());
                for (int i = 0; i < group.size(); i++) {
                    settle(group.get(i), written.get(i), null);
                }
                return;
            } catch (RuntimeException e) {
                // Rolled back: each is written alone below, its own failure its own.
            }
        }
        for (Member<C> member : group) {
            try {
                settle(member, alone.test(member.commit), null);
            } catch (RuntimeException e) {
                settle(member, false, e);
            }
        }
    }

    private static <C> void settle(Member<C> member, boolean written, RuntimeException failure) {
        member.written = written;
        member.failure = failure;
        member.done = true;
    }
}
