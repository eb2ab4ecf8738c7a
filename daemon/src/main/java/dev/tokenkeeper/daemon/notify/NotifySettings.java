package dev.tokenkeeper.daemon.notify;

import dev.tokenkeeper.daemon.config.Settings;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The notification settings.
 *
 * @param urls          {@code TOKENKEEPER_NOTIFY_URL}, comma-separated
 * @param command       {@code TOKENKEEPER_NOTIFY_COMMAND}
 * @param thresholds    {@code TOKENKEEPER_NOTIFY_FAILING_AFTER_SECONDS} (3600),
 *                      {@code TOKENKEEPER_NOTIFY_EXPIRING_FIRST_SECONDS} (7 days),
 *                      {@code TOKENKEEPER_NOTIFY_EXPIRING_LAST_SECONDS} (1 day)
 * @param timeout       {@code TOKENKEEPER_NOTIFY_TIMEOUT_SECONDS} (10): one delivery attempt
 * @param retryBase     {@code TOKENKEEPER_NOTIFY_RETRY_SECONDS} (5): first retry delay, doubling up to 5 minutes
 * @param maxAttempts   {@code TOKENKEEPER_NOTIFY_MAX_ATTEMPTS} (10)
 * @param queueCapacity {@code TOKENKEEPER_NOTIFY_QUEUE} (1000): deliveries waiting at most
 * @param checkEvery    {@code TOKENKEEPER_NOTIFY_CHECK_SECONDS} (60): how often time-based situations are looked at
 */
public record NotifySettings(List<String> urls, Optional<String> command, SituationTracker.Thresholds thresholds,
                             Duration timeout, Duration retryBase, int maxAttempts, int queueCapacity, Duration checkEvery) {

    /**
     * @param settings the daemon's settings
     * @return the notification settings
     */
    public static NotifySettings from(Settings settings) {
        List<String> urls = settings.get("TOKENKEEPER_NOTIFY_URL")
                .map(value -> Arrays.stream(value.split(",")).map(String::trim).filter(url -> !url.isEmpty()).toList())
                .orElse(List.of());
        return new NotifySettings(urls, settings.get("TOKENKEEPER_NOTIFY_COMMAND"),
                new SituationTracker.Thresholds(
                        seconds(settings, "TOKENKEEPER_NOTIFY_FAILING_AFTER_SECONDS", 3600),
                        seconds(settings, "TOKENKEEPER_NOTIFY_EXPIRING_FIRST_SECONDS", 7 * 86400),
                        seconds(settings, "TOKENKEEPER_NOTIFY_EXPIRING_LAST_SECONDS", 86400)),
                seconds(settings, "TOKENKEEPER_NOTIFY_TIMEOUT_SECONDS", 10),
                seconds(settings, "TOKENKEEPER_NOTIFY_RETRY_SECONDS", 5),
                (int) settings.number("TOKENKEEPER_NOTIFY_MAX_ATTEMPTS", null, 10, 1, 100),
                (int) settings.number("TOKENKEEPER_NOTIFY_QUEUE", null, 1000, 1, 1_000_000),
                seconds(settings, "TOKENKEEPER_NOTIFY_CHECK_SECONDS", 60));
    }

    private static Duration seconds(Settings settings, String name, double defaultSeconds) {
        return Duration.ofMillis(Math.round(settings.number(name, null, defaultSeconds, 0.1, 365 * 86400) * 1000));
    }
}
