package dev.tokenkeeper.daemon.schedule;

import java.time.Duration;

/**
 * How the scheduler runs, read once from the settings.
 *
 * @param threads            {@code TOKENKEEPER_REFRESH_THREADS}: scheduled refreshes running at once
 * @param interval           {@code TOKENKEEPER_CHECK_INTERVAL_MINUTES}: the validation sweep interval
 * @param autoRefreshEnabled {@code TOKENKEEPER_AUTO_REFRESH_ENABLED}: whether to start active
 * @param tick               {@code TOKENKEEPER_SCHEDULER_TICK_MILLIS}: how often Quartz looks for due credentials
 */
public record Scheduling(int threads, Duration interval, boolean autoRefreshEnabled, Duration tick) {
}
