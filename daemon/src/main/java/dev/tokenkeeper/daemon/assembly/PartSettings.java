package dev.tokenkeeper.daemon.assembly;

import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.http.AccessPolicy;
import dev.tokenkeeper.daemon.refresh.ConsumerPatience;
import dev.tokenkeeper.daemon.refresh.TokenCache;
import dev.tokenkeeper.daemon.schedule.Scheduling;
import dev.tokenkeeper.daemon.tls.TlsSettings;

import java.time.Duration;
import java.util.Optional;

/**
 * The settings the parts are built with, beyond {@link DaemonConfig}, read once.
 *
 * @param spoolRetry            {@code TOKENKEEPER_SPOOL_RETRY_SECONDS}: how often the spool tries the store again
 * @param providerConcurrency   {@code TOKENKEEPER_PROVIDER_CONCURRENCY}: upstream calls at once
 * @param providerRatePerSecond {@code TOKENKEEPER_PROVIDER_RATE_PER_SECOND}: upstream calls a second, 0 for no limit
 * @param scheduling            the scheduler's threads, sweep interval, start state and tick
 * @param authFailureDelay      {@code TOKENKEEPER_AUTH_FAILURE_DELAY_MILLIS}: what a wrong bearer token costs
 * @param sinkSync              {@code TOKENKEEPER_SINK_SYNC_SECONDS}: how often the file sink catches up
 * @param consumerPatience      how long a consumer's token read waits for a refresh
 * @param tls                   the control API's certificate, if any
 * @param access                the control API's Host check and whether {@code /metrics} is public
 * @param tokenCacheSize        {@code TOKENKEEPER_TOKEN_CACHE_SIZE}: most opened credentials held in memory
 */
record PartSettings(Duration spoolRetry, int providerConcurrency, double providerRatePerSecond, Scheduling scheduling,
                    Duration authFailureDelay, Duration sinkSync, Duration consumerPatience,
                    Optional<TlsSettings> tls, AccessPolicy access, int tokenCacheSize) {

    /**
     * @param config the daemon's configuration
     * @return the settings
     * @throws dev.tokenkeeper.daemon.config.ConfigurationException when one is out of range
     */
    static PartSettings from(DaemonConfig config) {
        Settings settings = config.settings();
        return new PartSettings(
                Duration.ofSeconds((long) settings.number("TOKENKEEPER_SPOOL_RETRY_SECONDS", null, 5, 1, 3600)),
                (int) settings.number("TOKENKEEPER_PROVIDER_CONCURRENCY", null, 8, 1, 1024),
                settings.number("TOKENKEEPER_PROVIDER_RATE_PER_SECOND", null, 0, 0, 100_000),
                new Scheduling((int) settings.number("TOKENKEEPER_REFRESH_THREADS", null, 4, 1, 64),
                        config.checkInterval(), config.autoRefreshEnabled(),
                        Duration.ofMillis((long) settings.number("TOKENKEEPER_SCHEDULER_TICK_MILLIS", null, 200, 10, 60_000))),
                Duration.ofMillis((long) settings.number("TOKENKEEPER_AUTH_FAILURE_DELAY_MILLIS", null, 200, 0, 10_000)),
                Duration.ofMillis(Math.round(settings.number("TOKENKEEPER_SINK_SYNC_SECONDS", null, 60, 0.1, 86_400) * 1000)),
                ConsumerPatience.from(settings),
                TlsSettings.from(settings),
                AccessPolicy.from(settings, config.listen()),
                (int) settings.number(TokenCache.SETTING, null, TokenCache.DEFAULT_SIZE, 1, 10_000_000));
    }
}
