package dev.tokenkeeper.daemon.refresh;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps a refresh storm polite: at most {@code concurrency} upstream calls per provider at once
 * ({@code TOKENKEEPER_PROVIDER_CONCURRENCY}, 8) and, if set, at most {@code ratePerSecond} calls
 * started per second ({@code TOKENKEEPER_PROVIDER_RATE_PER_SECOND}, 0 = no limit). Callers wait
 * their turn; nothing is dropped.
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
     * Runs an upstream call when the provider has a free slot and the rate allows.
     *
     * @param provider the provider id
     * @param call     the call
     * @param <T>      its result
     * @return its result
     * @throws InterruptedException when interrupted while waiting
     */
    public <T> T through(String provider, java.util.function.Supplier<T> call) throws InterruptedException {
        Semaphore semaphore = slots.computeIfAbsent(provider, id -> new Semaphore(concurrency, true));
        semaphore.acquire();
        try {
            pace(provider);
            return call.get();
        } finally {
            semaphore.release();
        }
    }

    private void pace(String provider) {
        if (ratePerSecond <= 0) {
            return;
        }
        long interval = (long) (1_000_000_000L / ratePerSecond);
        long[] next = nextStart.computeIfAbsent(provider, id -> new long[] {System.nanoTime()});
        long startAt;
        synchronized (next) {
            long now = System.nanoTime();
            startAt = Math.max(now, next[0]);
            next[0] = startAt + interval;
        }
        long wait = startAt - System.nanoTime();
        while (wait > 0) {
            LockSupport.parkNanos(wait);
            wait = startAt - System.nanoTime();
        }
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
