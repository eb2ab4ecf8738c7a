package dev.tokenkeeper.daemon.leases;

import dev.tokenkeeper.api.CredentialId;
import org.tinylog.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A refresh lease while its refresh runs: renewed every third of its length while the refresh waits
 * for a turn, the upstream or the store, and confirmed once more right before the upstream call.
 * A refresh that outlived its lease (a starved machine, a stuck store) would otherwise let another
 * daemon take the lease and spend the same rotating refresh token.
 */
public final class HeldLease {

    /** Takes or extends the lease until the given instant; false when another daemon holds it. */
    private final Predicate<Instant> take;
    private final CredentialId id;
    private final Clock clock;
    private final Duration length;
    private final ReentrantLock renewing = new ReentrantLock();
    private final LeaseRenewals renewals;
    // Written under renewing.
    private volatile Instant renewedAt;
    /** When the last renewal was tried (or the lease taken), by the wall clock the renewals keep time with. */
    private volatile long attemptedNanos;
    private volatile boolean lost;
    private volatile boolean lapsed;
    private volatile boolean committing;
    private volatile boolean renewedWhileCommitting;
    private volatile boolean closed;

    private HeldLease(RefreshLeases leases, CredentialId id, String owner, Clock clock, Duration length, Instant takenAt,
                      LeaseRenewals renewals) {
        this.take = until -> leases.tryLease(id, owner, until);
        this.id = id;
        this.clock = clock;
        this.length = length;
        this.renewedAt = takenAt;
        this.renewals = renewals;
        this.attemptedNanos = System.nanoTime();
    }

    /**
     * @param leases  the store's leases
     * @param id      the credential
     * @param owner   this daemon's name
     * @param clock   the time the lease is judged by
     * @param length  how long one taking or renewal holds it
     * @param takenAt the instant its end was computed from ({@code until - length})
     * @param renewals renews it in the background, every third of {@code length}
     * @return the lease, renewed from now on until {@link #stop}
     */
    public static HeldLease taken(RefreshLeases leases, CredentialId id, String owner, Clock clock, Duration length,
                                  Instant takenAt, LeaseRenewals renewals) {
        HeldLease lease = new HeldLease(leases, id, owner, clock, length, takenAt, renewals);
        renewals.add(lease);
        return lease;
    }

    /**
     * Right before the upstream call: renews the lease unless it was renewed a moment ago.
     *
     * @return why the call must not be made (another daemon holds the lease now), or empty
     */
    public Optional<String> confirm() {
        renewing.lock();
        try {
            if (!lost && Duration.between(renewedAt, clock.instant()).compareTo(length.dividedBy(4)) >= 0) {
                renew();
            }
            if (lost) {
                return Optional.of("its refresh lease ran out while this refresh waited, and another daemon holds it now");
            }
            // A renewal the store did not answer (down, or its outage rules refused this daemon) leaves the lease as
            // it was: while it still has a quarter of its length to run nobody else can hold it, but one that ran out
            // may have been taken by another daemon before the store went away, which would present the same
            // refresh token (a loaded two-daemon run across a PostgreSQL restart did exactly that).
            if (!clock.instant().isBefore(renewedAt.plus(length).minus(length.dividedBy(4)))) {
                return Optional.of("its refresh lease ran out while this refresh waited, and the store could not renew"
                        + " it: another daemon may hold it now");
            }
            return Optional.empty();
        } finally {
            renewing.unlock();
        }
    }

    /**
     * @return true when the lease had run out at some moment before a renewal took it again: another
     *         daemon may have refreshed the credential in between, so the row must be read again
     */
    public boolean lapsed() {
        return lapsed;
    }

    /** The commit starts: a renewal from now on may take back the lease the commit gives back. */
    public void committing() {
        committing = true;
    }

    /**
     * Stops the renewals, waiting for one that is running.
     *
     * @return true when a renewal ran after {@link #committing}: the caller gives the lease back again
     */
    public boolean stop() {
        closed = true;
        renewals.remove(this);
        renewing.lock();
        try {
            return renewedWhileCommitting;
        } finally {
            renewing.unlock();
        }
    }

    /** @return when the last renewal was tried (or the lease taken), {@link System#nanoTime} */
    long attemptedNanos() {
        return attemptedNanos;
    }

    /** Renews the lease unless its refresh ended or another daemon took it; run by {@link LeaseRenewals}. */
    void renewInBackground() {
        renewing.lock();
        try {
            if (!closed && !lost) {
                renew();
            }
        } finally {
            renewing.unlock();
        }
    }

    /** Called with {@code renewing} held. */
    private void renew() {
        attemptedNanos = System.nanoTime();
        Instant now = clock.instant();
        boolean held;
        try {
            held = take.test(now.plus(length));
        } catch (RuntimeException e) {
            // The store did not answer: the lease runs on as it was; the next renewal tries again.
            return;
        }
        if (!held) {
            lost = true;
            Logger.warn("the refresh lease of {} ran out while its refresh was still running (it was renewed last {} ms"
                    + " before) and another daemon holds it now", id, Duration.between(renewedAt, now).toMillis());
            return;
        }
        if (!now.isBefore(renewedAt.plus(length))) {
            lapsed = true;
        }
        if (committing) {
            renewedWhileCommitting = true;
        }
        renewedAt = now;
    }
}
