package dev.tokenkeeper.daemon.schedule;

/**
 * What {@code GET /api/v1/scheduler} answers; the field names are what existing callers read.
 *
 * @param isActive           whether scheduled refreshes and the validation sweep run
 * @param autoRefreshEnabled whether the scheduler was configured to start active
 * @param intervalMinutes    the validation sweep interval
 */
public record SchedulerState(boolean isActive, boolean autoRefreshEnabled, double intervalMinutes) {
}
