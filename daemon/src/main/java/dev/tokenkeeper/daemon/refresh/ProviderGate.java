package dev.tokenkeeper.daemon.refresh;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Keeps a refresh storm polite: at most {@code concurrency} upstream calls per provider at once
 * ({@code TOKENKEEPER_PROVIDER_CONCURRENCY}, 8) and, if set, at most {@code ratePerSecond} calls
 * started per second ({@code TOKENKEEPER_PROVIDER_RATE_PER_SECOND}, 0 = no limit). Callers wait
 * their turn, but never longer than they say: a caller holds a refresh lease while it waits, and a
 * wait that outlived the lease would let another daemon spend the same refresh token.
 */
public final class ProviderGate {

    private final int concurrency;
    private final double ratePerSecond;
    private final Map<String, Semaphore> slots = new ConcurrentHashMap<>();
    private final Map<String, long[]> nextStart = new ConcurrentHashMap<>();

    /**
     * @param concurrency   upstream calls in flight per provider
     * @param ratePerSecond upstream calls started per second per provider, 0 for no limit
     */
    public ProviderGate(int concurrency, double ratePerSecond) {
        this.concurrency = Math.max(1, concurrency);
        this.ratePerSecond = Math.max(0, ratePerSecond);
    }

    /** @return a gate that lets everything through at once */
    public static ProviderGate unlimited() {
        return new ProviderGate(Integer.MAX_VALUE, 0);
    }

    /**
     * Runs an upstream call when the provider has a free slot and the rate allows, or gives up when
     * neither comes within {@code maxWait}.
     *
     * @param provider the provider id
     * @param maxWait  how long the caller may wait for its turn
     * @param call     the call
     * @param <T>      its result
     * @return its result
     * @throws InterruptedException when interrupted while waiting
     * @throws BusyException        when the turn did not come within {@code maxWait}; the call was not made
     */
    public <T> T through(String provider, Duration maxWait, Supplier<T> call)
            throws InterruptedException, BusyException {
        long deadline = System.nanoTime() + maxWait.toNanos();
        Semaphore semaphore = slots.computeIfAbsent(provider, id -> new Semaphore(concurrency, true));
        if (!semaphore.tryAcquire(maxWait.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new BusyException(provider + " had " + concurrency + " calls in flight (TOKENKEEPER_PROVIDER_CONCURRENCY) for "
                    + maxWait.toSeconds() + " s");
        }
        try {
            if (!pace(provider, deadline)) {
                throw new BusyException(provider + " is limited to " + ratePerSecond
                        + " calls per second (TOKENKEEPER_PROVIDER_RATE_PER_SECOND) and its queue is longer than "
                        + maxWait.toSeconds() + " s");
            }
            return call.get();
        } finally {
            semaphore.release();
        }
    }

    /** The caller's turn did not come in time; the upstream call was not made. */
    public static final class BusyException extends Exception {
        private static final long serialVersionUID = 1L;

        BusyException(String message) {
            super(message, null, false, false);
        }
    }

    /** Books the next start slot and waits for it; books nothing and answers false when it lies past the deadline. */
    private boolean pace(String provider, long deadline) throws InterruptedException {
        if (ratePerSecond <= 0) {
            return true;
        }
        long interval = (long) (1_000_000_000L / ratePerSecond);
        long[] next = nextStart.computeIfAbsent(provider, id -> new long[] {System.nanoTime()});
        long startAt;
        synchronized (next) {
            long now = System.nanoTime();
            startAt = Math.max(now, next[0]);
            if (startAt - deadline > 0) {
                return false;
            }
            next[0] = startAt + interval;
        }
        long wait = startAt - System.nanoTime();
        while (wait > 0) {
            LockSupport.parkNanos(wait);
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while waiting for the provider's rate limit");
            }
            wait = startAt - System.nanoTime();
        }
        return true;
    }

    /** @return the per-provider concurrency limit */
    public int concurrency() {
        return concurrency;
    }

    /** @return the per-provider rate limit, 0 for none */
    public double ratePerSecond() {
        return ratePerSecond;
    }

    /** @return the pause between call starts when rate-limited */
    Duration interval() {
        return ratePerSecond <= 0 ? Duration.ZERO : Duration.ofNanos((long) (1_000_000_000L / ratePerSecond));
    }
}
