package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.config.RefreshPolicy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides when a credential should be refreshed:
 * {@code min(accessExpiry - margin, refreshExpiry - margin, lastRefresh + keepAlive) - jitter},
 * where the margin is 10% of the token's lifetime, at least the policy's minimum, and never more
 * than half the lifetime (so a short-lived token is not refreshed in a tight loop).
 */
public final class RefreshPlanner {

    private final RefreshPolicy policy;
    private final RandomGenerator random;

    /**
     * @param policy margins and jitter
     * @param random source of jitter
     */
    public RefreshPlanner(RefreshPolicy policy, RandomGenerator random) {
        this.policy = policy;
        this.random = random;
    }

    /**
     * @param credential the credential
     * @param keepAlive  the provider's keep-alive interval
     * @return when to refresh it (before any jitter is applied: stable for the same input)
     */
    public Instant dueAt(StoredCredential credential, Duration keepAlive) {
        Instant issued = credential.issuedAt();
        Instant since = credential.lastRefreshAt().orElse(issued);
        Instant due = since.plus(keepAlive);
        due = earliest(due, credential.accessExpiresAt().map(expiry -> expiry.minus(margin(issued, expiry))));
        due = earliest(due, credential.refreshExpiresAt().map(expiry -> expiry.minus(margin(since, expiry))));
        return due;
    }

    /**
     * @param credential the credential
     * @param keepAlive  the provider's keep-alive interval
     * @return {@link #dueAt} moved earlier by a random jitter of at most 5% of the lifetime
     */
    public Instant plan(StoredCredential credential, Duration keepAlive) {
        Instant due = dueAt(credential, keepAlive);
        long maxJitter = maxJitterMillis(credential, due);
        return maxJitter <= 0 ? due : due.minusMillis(random.nextLong(maxJitter + 1));
    }

    /**
     * @param credential the credential
     * @param keepAlive  the provider's keep-alive interval
     * @param now        the current time
     * @return true when a scheduled refresh should go ahead now (inside the jitter window)
     */
    public boolean isDue(StoredCredential credential, Duration keepAlive, Instant now) {
        Instant due = dueAt(credential, keepAlive);
        // A little tolerance: timers fire a few milliseconds early or late.
        return !due.minusMillis(maxJitterMillis(credential, due)).isAfter(now.plusMillis(250));
    }

    private long maxJitterMillis(StoredCredential credential, Instant due) {
        Duration lifetime = Duration.between(credential.lastRefreshAt().orElse(credential.issuedAt()), due);
        return Math.min(policy.maximumJitter().toMillis(), Math.max(0, lifetime.toMillis() / 20));
    }

    private Duration margin(Instant from, Instant expiry) {
        Duration lifetime = Duration.between(from, expiry);
        if (lifetime.isNegative() || lifetime.isZero()) {
            return Duration.ZERO;
        }
        Duration margin = lifetime.dividedBy(10);
        if (margin.compareTo(policy.minimumMargin()) < 0) {
            margin = policy.minimumMargin();
        }
        Duration half = lifetime.dividedBy(2);
        return margin.compareTo(half) > 0 ? half : margin;
    }

    private static Instant earliest(Instant a, Optional<Instant> b) {
        return b.filter(candidate -> candidate.isBefore(a)).orElse(a);
    }
}
