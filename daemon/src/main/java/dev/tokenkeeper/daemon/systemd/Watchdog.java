package dev.tokenkeeper.daemon.systemd;

import org.tinylog.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Feeds systemd's watchdog ({@code WatchdogSec=}): every third of {@code WATCHDOG_USEC} it sends
 * {@code WATCHDOG=1}, but only while the health check (the scheduler's own tick) passes, so a
 * wedged scheduler or a stopped JVM gets the service restarted.
 */
public final class Watchdog implements AutoCloseable {

    private final ScheduledExecutorService timer;

    private Watchdog(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /**
     * @param environment the process environment ({@code WATCHDOG_USEC}, {@code WATCHDOG_PID})
     * @return the watchdog period systemd asked for, if it asked this process
     */
    public static Optional<Duration> requested(Map<String, String> environment) {
        String usec = environment.get("WATCHDOG_USEC");
        String pid = environment.get("WATCHDOG_PID");
        if (usec == null || usec.isBlank()) {
            return Optional.empty();
        }
        if (pid != null && !pid.isBlank() && !pid.trim().equals(Long.toString(ProcessHandle.current().pid()))) {
            return Optional.empty();
        }
        try {
            long micros = Long.parseLong(usec.trim());
            return micros > 0 ? Optional.of(Duration.ofNanos(micros * 1000)) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * @param notifier where {@code WATCHDOG=1} goes
     * @param period   systemd's {@code WATCHDOG_USEC}
     * @param healthy  given the longest allowed silence, whether the daemon is well
     * @return the running watchdog feeder
     */
    public static Watchdog start(ServiceNotifier notifier, Duration period, Predicate<Duration> healthy) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "watchdog");
            thread.setDaemon(true);
            return thread;
        });
        long every = Math.max(1, period.toMillis() / 3);
        Duration bound = period.dividedBy(2);
        boolean[] complained = {false};
        timer.scheduleAtFixedRate(() -> {
            if (healthy.test(bound)) {
                complained[0] = false;
                notifier.send("WATCHDOG=1");
            } else if (!complained[0]) {
                complained[0] = true;
                Logger.warn("the scheduler has not ticked for {} s; not feeding the systemd watchdog", bound.toSeconds());
            }
        }, 0, every, TimeUnit.MILLISECONDS);
        return new Watchdog(timer);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
