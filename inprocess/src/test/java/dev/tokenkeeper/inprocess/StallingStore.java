package dev.tokenkeeper.inprocess;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.StoreCapability;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real SQLite store with two faults of a stuck store the test switches on: a refresh commit held
 * until the test lets it go (a daemon stalled between the upstream's answer and its commit), and a
 * refresh commit that is written but answered as not durable in time, as SQLite's group commit does
 * when its caller's patience runs out first (the write lands later; the caller spools it).
 */
final class StallingStore extends SqliteStoreWrapper implements Leases {

    private static final Duration HOLD_BOUND = Duration.ofSeconds(60);

    private volatile CountDownLatch commitReached = new CountDownLatch(0);
    private volatile CountDownLatch commitReleased = new CountDownLatch(0);
    private final AtomicInteger writtenButUnanswered = new AtomicInteger();
    private final AtomicInteger unavailableWrites = new AtomicInteger();

    /** The next refresh commit waits for {@link #releaseCommit()}; {@link #awaitHeldCommit()} waits for it to arrive. */
    void holdNextCommit() {
        commitReached = new CountDownLatch(1);
        commitReleased = new CountDownLatch(1);
    }

    void awaitHeldCommit() throws InterruptedException {
        if (!commitReached.await(HOLD_BOUND.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("no refresh commit arrived within " + HOLD_BOUND.toSeconds() + " s");
        }
    }

    void releaseCommit() {
        commitReleased.countDown();
    }

    /**
     * The next refresh commit is written and then answered as unavailable, and the {@code writesAfter}
     * writes that follow fail as unavailable without writing.
     */
    void answerNextCommitAsLost(int writesAfter) {
        writtenButUnanswered.set(1);
        unavailableWrites.set(writesAfter);
    }

    private void failIfUnavailable() {
        if (unavailableWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new StoreUnavailableException("sqlite: the write was not durable within 30 s (a fault of the test)",
                    null);
        }
    }

    @Override
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner) {
        CountDownLatch release = commitReleased;
        commitReached.countDown();
        try {
            if (!release.await(HOLD_BOUND.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("the held commit was not released within " + HOLD_BOUND.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted", e);
        }
        boolean written = leases().commitRefresh(updated, expectedVersion, event, owner);
        if (writtenButUnanswered.getAndSet(0) > 0) {
            throw new StoreUnavailableException("sqlite: the refresh commit was not durable within 30 s (a fault of the"
                    + " test: it was written)", null);
        }
        return written;
    }

    @Override
    public boolean compareAndSet(StoredCredential updated, long expectedVersion) {
        failIfUnavailable();
        return sqlite.compareAndSet(updated, expectedVersion);
    }

    @Override
    public boolean tryLease(CredentialId id, String owner, Instant until) {
        return leases().tryLease(id, owner, until);
    }

    @Override
    public void releaseLease(CredentialId id, String owner) {
        leases().releaseLease(id, owner);
    }

    private Leases leases() {
        return sqlite.capability(Leases.class).orElseThrow();
    }

    @Override
    public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        return type == Leases.class ? Optional.of(type.cast(this)) : sqlite.capability(type);
    }
}
