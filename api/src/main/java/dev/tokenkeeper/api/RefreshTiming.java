package dev.tokenkeeper.api;

import java.time.Duration;
import java.util.Objects;

/**
 * What a failed refresh costs at a provider's upstream, so that the daemon plans the first attempt
 * early enough for the retries to fit before the access token expires. Returned by
 * {@link TokenProvider#refreshTiming()}.
 *
 * <p>The daemon refreshes at the latest {@code (retries + 1)} failure pauses before expiry (each
 * pause at least as long as the daemon's own backoff for that retry), and never later than its usual
 * margin (10% of the lifetime, at least {@code TOKENKEEPER_REFRESH_MARGIN_SECONDS}); never earlier
 * than half the lifetime. So with a 2-hour token and a 15-minute anti-bot pause, the first attempt
 * comes 45 minutes before expiry: two blocked attempts in a row still leave a third before expiry.
 *
 * @param failurePause how long one failed attempt may keep the provider from trying again (for
 *                     example an anti-bot pause); {@link Duration#ZERO} when a retry may follow as
 *                     soon as the daemon's backoff allows
 * @param retries      how many retries after the first attempt must fit before expiry (at least 0)
 * @param spacing      the least time between the scheduled refreshes of two accounts of this provider,
 *                     so that several accounts are never refreshed in one burst; {@link Duration#ZERO}
 *                     for no spacing
 */
public record RefreshTiming(Duration failurePause, int retries, Duration spacing) {

    /** No pause, two retries, no spacing: what a provider that says nothing gets. */
    public static final RefreshTiming DEFAULT = new RefreshTiming(Duration.ZERO, 2, Duration.ZERO);

    /** Rejects nulls, negative durations and a negative retry count. */
    public RefreshTiming {
        Objects.requireNonNull(failurePause, "failurePause");
        Objects.requireNonNull(spacing, "spacing");
        if (failurePause.isNegative() || spacing.isNegative() || retries < 0) {
            throw new IllegalArgumentException("refresh timing must not be negative: pause " + failurePause
                    + ", retries " + retries + ", spacing " + spacing);
        }
    }
}
