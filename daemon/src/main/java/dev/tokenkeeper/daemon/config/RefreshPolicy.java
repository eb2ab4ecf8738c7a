package dev.tokenkeeper.daemon.config;

import java.time.Duration;

/**
 * How early to refresh and how to back off.
 *
 * @param minimumMargin   refresh at least this long before an expiry ({@code TOKENKEEPER_REFRESH_MARGIN_SECONDS}, 60 s);
 *                        the margin is 10% of the token's lifetime when that is larger, and never more than half of it
 * @param maximumJitter   at most this much earlier, at random, to spread a storm ({@code TOKENKEEPER_REFRESH_JITTER_SECONDS}, 300 s);
 *                        never more than 5% of the lifetime
 * @param retryBase       the first retry delay after a transient failure ({@code TOKENKEEPER_RETRY_BASE_SECONDS}, 30 s)
 * @param retryMax        the longest retry delay ({@code TOKENKEEPER_RETRY_MAX_SECONDS}, 900 s)
 * @param minimumInterval never refresh one credential twice within this ({@code TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS}, 1 s)
 * @param lease           how long a daemon may hold a refresh lease ({@code TOKENKEEPER_LEASE_SECONDS}, 120 s);
 *                        longer than any upstream timeout
 */
public record RefreshPolicy(Duration minimumMargin, Duration maximumJitter, Duration retryBase, Duration retryMax,
                            Duration minimumInterval, Duration lease) {

    /**
     * @param settings the settings
     * @return the policy
     */
    public static RefreshPolicy from(Settings settings) {
        return new RefreshPolicy(
                seconds(settings, "TOKENKEEPER_REFRESH_MARGIN_SECONDS", 60),
                seconds(settings, "TOKENKEEPER_REFRESH_JITTER_SECONDS", 300),
                seconds(settings, "TOKENKEEPER_RETRY_BASE_SECONDS", 30),
                seconds(settings, "TOKENKEEPER_RETRY_MAX_SECONDS", 900),
                seconds(settings, "TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", 1),
                seconds(settings, "TOKENKEEPER_LEASE_SECONDS", 120));
    }

    private static Duration seconds(Settings settings, String name, double defaultSeconds) {
        return Duration.ofMillis(Math.round(settings.number(name, null, defaultSeconds, 0, 30 * 24 * 3600) * 1000));
    }
}
