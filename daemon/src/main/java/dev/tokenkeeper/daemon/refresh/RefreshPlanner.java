package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.RefreshTiming;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.config.RefreshPolicy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides when a credential should be refreshed:
 * {@code min(accessExpiry - margin, refreshExpiry - margin, lastRefresh + keepAlive) - jitter},
 * where the margin is the largest of 10% of the token's lifetime, the policy's minimum, and the room
 * the provider's failure policy needs ({@link #failureRoom}: the first attempt and its retries, each
 * after a failure pause, all before expiry), and never more than half the lifetime (so a short-lived
 * token is not refreshed in a tight loop).
 *
 * @param policy margins and jitter
 * @param random source of jitter
 */
public record RefreshPlanner(RefreshPolicy policy, RandomGenerator random) {

    /**
     * @param credential the credential
     * @param keepAlive  the provider's keep-alive interval
     * @return when to refresh it, for a provider with the default timing
     */
    public Instant dueAt(StoredCredential credential, Duration keepAlive) {
        return dueAt(credential, keepAlive, RefreshTiming.DEFAULT);
    }

    /**
     * @param credential the credential
     * @param keepAlive  the provider's keep-alive interval
     * @param timing     what a failure costs at the provider
     * @return when to refresh it (before any jitter is applied: stable for the same input)
     */
    public Instant dueAt(StoredCredential credential, Duration keepAlive, RefreshTiming timing) {
        Instant issued = credential.issuedAt();
        Instant since = credential.lastRefreshAt().orElse(issued);
        Instant due = since.plus(keepAlive);
        due = earliest(due, credential.accessExpiresAt().map(expiry -> expiry.minus(margin(issued, expiry, timing))));
        due = earliest(due, credential.refreshExpiresAt().map(expiry -> expiry.minus(margin(since, expiry, timing))));
        return due;
    }

    /**
     * @param credential the credential
     * @param keepAlive  the provider's keep-alive interval
     * @return {@link #plan(StoredCredential, Duration, RefreshTiming)} with the default timing
     */
    public Instant plan(StoredCredential credential, Duration keepAlive) {
        return plan(credential, keepAlive, RefreshTiming.DEFAULT);
    }

    /**
     * @param credential the credential
     * @param keepAlive  the provider's keep-alive interval
     * @param timing     what a failure costs at the provider
     * @return {@link #dueAt} moved earlier by a random jitter of at most 5% of the lifetime
     */
    public Instant plan(StoredCredential credential, Duration keepAlive, RefreshTiming timing) {
        Instant due = dueAt(credential, keepAlive, timing);
        long maxJitter = maxJitterMillis(credential, due);
        return maxJitter <= 0 ? due : due.minusMillis(random.nextLong(maxJitter + 1));
    }

    /**
     * @param credential the credential
     * @param keepAlive  the provider's keep-alive interval
     * @param now        the current time
     * @return true when a scheduled refresh should go ahead now, for a provider with the default timing
     */
    public boolean isDue(StoredCredential credential, Duration keepAlive, Instant now) {
        return isDue(credential, keepAlive, RefreshTiming.DEFAULT, now);
    }

    /**
     * @param credential the credential
     * @param keepAlive  the provider's keep-alive interval
     * @param timing     what a failure costs at the provider
     * @param now        the current time
     * @return true when a scheduled refresh should go ahead now (inside the jitter window)
     */
    public boolean isDue(StoredCredential credential, Duration keepAlive, RefreshTiming timing, Instant now) {
        Instant due = dueAt(credential, keepAlive, timing);
        // A little tolerance: timers fire a few milliseconds early or late.
        return !due.minusMillis(maxJitterMillis(credential, due)).isAfter(now.plusMillis(250));
    }

    /**
     * The time the failure policy needs before expiry: the pause after the first attempt and after
     * each retry but the last, plus one more pause of slack for the last retry itself; each wait at
     * least as long as the daemon's backoff ceiling for that failure. Zero for a provider without a
     * failure pause (the backoff, capped at half the time left, always fits then).
     *
     * @param timing the provider's timing
     * @return the room to leave before expiry
     */
    public Duration failureRoom(RefreshTiming timing) {
        if (timing.failurePause().isZero()) {
            return Duration.ZERO;
        }
        Duration room = timing.failurePause();
        for (int failure = 1; failure <= timing.retries(); failure++) {
            long base = Math.max(1, policy.retryBase().toMillis());
            long ceiling = Math.min(Math.max(base, policy.retryMax().toMillis()), base << Math.min(failure - 1, 30));
            room = room.plus(max(timing.failurePause(), Duration.ofMillis(ceiling)));
        }
        return room;
    }

    private long maxJitterMillis(StoredCredential credential, Instant due) {
        Duration lifetime = Duration.between(credential.lastRefreshAt().orElse(credential.issuedAt()), due);
        return Math.min(policy.maximumJitter().toMillis(), Math.max(0, lifetime.toMillis() / 20));
    }

    private Duration margin(Instant from, Instant expiry, RefreshTiming timing) {
        Duration lifetime = Duration.between(from, expiry);
        if (lifetime.isNegative() || lifetime.isZero()) {
            return Duration.ZERO;
        }
        Duration margin = max(part(lifetime, 10), max(policy.minimumMargin(), failureRoom(timing)));
        Duration half = part(lifetime, 2);
        return margin.compareTo(half) > 0 ? half : margin;
    }

    // Duration.dividedBy divides BigDecimals: planned at every refresh, it was a twentieth of a daemon's allocation
    // in a due storm. The same quotient, rounded toward zero, in nanoseconds where they fit in a long.
    private static Duration part(Duration lifetime, int divisor) {
        return lifetime.getSeconds() < Long.MAX_VALUE / 1_000_000_000L
                ? Duration.ofNanos(lifetime.toNanos() / divisor) : lifetime.dividedBy(divisor);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static Instant earliest(Instant a, Optional<Instant> b) {
        return b.filter(candidate -> candidate.isBefore(a)).orElse(a);
    }
}
