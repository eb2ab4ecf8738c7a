package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.daemon.config.RefreshPolicy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Retry delays after transient failures: exponential from the base, capped, with "equal jitter"
 * (half fixed, half random, so delays still visibly grow), shortened so that a retry comes before
 * the current token expires, and never shorter than what the upstream asked for with
 * {@code Retry-After}.
 *
 * @param policy base, cap and minimum interval
 * @param random source of jitter
 */
public record Backoff(RefreshPolicy policy, RandomGenerator random) {

    /**
     * @param failures      consecutive failures so far, at least 1
     * @param retryAfter    what the upstream asked for, if anything
     * @param now           the current time
     * @param accessExpiry  when the current token expires, if known
     * @return how long to wait before the next attempt
     */
    public Duration delay(int failures, Optional<Duration> retryAfter, Instant now, Optional<Instant> accessExpiry) {
        long base = Math.max(1, policy.retryBase().toMillis());
        long cap = Math.max(base, policy.retryMax().toMillis());
        long exponential = base << Math.min(Math.max(failures - 1, 0), 30);
        long ceiling = Math.min(cap, exponential <= 0 ? cap : exponential);
        long delay = ceiling / 2 + random.nextLong(ceiling / 2 + 1);
        if (accessExpiry.isPresent()) {
            long left = Duration.between(now, accessExpiry.get()).toMillis();
            if (left > 0) {
                // Try again while the token is still good: at the latest half-way to its expiry.
                delay = Math.min(delay, left / 2);
            }
        }
        delay = Math.max(delay, policy.minimumInterval().toMillis());
        if (retryAfter.isPresent()) {
            delay = Math.max(delay, retryAfter.get().toMillis());
        }
        return Duration.ofMillis(delay);
    }
}
