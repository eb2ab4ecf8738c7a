package dev.tokenkeeper.store.postgres;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the listeners that this store committed changes: at most one {@code NOTIFY} (no payload) per
 * {@link #EVERY}, however many commits poked it, on a pooled connection of its own thread. The
 * changes themselves are rows of the changes table written by the commits; a poke that never comes
 * (the daemon died right after a commit) only delays them until the listeners' periodic read.
 */
final class ChangeAnnouncer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeAnnouncer.class);
    /** The shortest time between two notifications. */
    static final Duration EVERY = Duration.ofMillis(100);

    private final Jdbi jdbi;
    private final String channel;
    private final AtomicBoolean due = new AtomicBoolean();
    private final ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "postgres-announce");
        thread.setDaemon(true);
        return thread;
    });
    private volatile long lastSent = System.nanoTime() - EVERY.toNanos();

    /**
     * @param jdbi    the pool
     * @param channel the schema's channel
     */
    ChangeAnnouncer(Jdbi jdbi, String channel) {
        this.jdbi = jdbi;
        this.channel = channel;
    }

    /** A change was committed: a notification goes out within {@link #EVERY}. Never blocks. */
    void poke() {
        if (due.compareAndSet(false, true)) {
            long wait = Math.max(0, lastSent + EVERY.toNanos() - System.nanoTime());
            try {
                sender.schedule(this::send, wait, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closed) {
                due.set(false);
            }
        }
    }

    private void send() {
        due.set(false);
        lastSent = System.nanoTime();
        try {
            jdbi.useHandle(handle -> handle.execute("NOTIFY " + channel));
        } catch (RuntimeException e) {
            // The listeners read the changes table every few seconds anyway.
            LOG.debug("could not notify {}: {}", channel, e.getMessage());
        }
    }

    /** Stops sending; a notification being sent finishes (bounded by the pool's wait and statement timeout). */
    @Override
    public void close() {
        sender.shutdownNow();
    }
}
