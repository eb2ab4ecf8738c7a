package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;

import java.time.Duration;

/**
 * How long a consumer's request waits for a refresh: the upstream timeout
 * ({@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS}, which also bounds every store call) plus one second,
 * so that a refresh whose upstream call timed out can still answer with its own reason.
 */
public final class ConsumerPatience {

    /** The setting every upstream and store call's deadline comes from. */
    public static final String UPSTREAM_TIMEOUT = "TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS";

    private ConsumerPatience() {
    }

    /**
     * @param settings the daemon's settings
     * @return the longest wait of a consumer's request for a refresh
     */
    public static Duration from(Settings settings) {
        double seconds;
        try {
            seconds = settings.number(UPSTREAM_TIMEOUT, null, 30, 1, 3600);
        } catch (ConfigurationException e) {
            // The providers and stores report a bad value themselves; the default keeps the bound.
            seconds = 30;
        }
        return Duration.ofMillis(Math.round(seconds * 1000)).plusSeconds(1);
    }
}
