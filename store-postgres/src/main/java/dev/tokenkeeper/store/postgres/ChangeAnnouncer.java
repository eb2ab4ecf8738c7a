package dev.tokenkeeper.store.postgres;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the listeners that this store committed changes: at most one {@code NOTIFY} (no payload) per
 * {@link #EVERY}, however many commits poked it, sent from a thread of its own on a pooled
 * connection. The first poke after a quiet interval is sent at once; pokes during the interval
 * after a notification share the next one. The changes themselves are rows of the changes table
 * written by the commits; a poke that never comes (the daemon died right after a commit) only
 * delays them until the listeners' periodic read.
 */
final class ChangeAnnouncer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeAnnouncer.class);
    /** The shortest time between two notifications. */
    static final Duration EVERY = Duration.ofMillis(100);

    private final Jdbi jdbi;
    private final String channel;
    private final Semaphore poked = new Semaphore(0);
    private final Thread sender;
    private volatile boolean closed;

    /**
     * @param jdbi    the pool
     * @param channel the schema's channel
     */
    ChangeAnnouncer(Jdbi jdbi, String channel) {
        this.jdbi = jdbi;
        this.channel = channel;
        this.sender = new Thread(this::send, "postgres-announce");
        this.sender.setDaemon(true);
    }

    /**
     * Starts the sending thread, idle until poked.
     *
     * @return this
     */
    ChangeAnnouncer start() {
        sender.start();
        return this;
    }

    /** A change was committed: a notification goes out within {@link #EVERY}. Never blocks. */
    void poke() {
        if (poked.availablePermits() == 0) {
            poked.release();
        }
    }

    private void send() {
        try {
            while (!closed) {
                poked.acquire();
                poked.drainPermits();
                if (closed) {
                    return;
                }
                try {
                    jdbi.useHandle(handle -> handle.execute("NOTIFY " + channel));
                } catch (RuntimeException e) {
                    // The listeners read the changes table every few seconds anyway.
                    LOG.debug("could not notify {}: {}", channel, e.getMessage());
                }
                TimeUnit.NANOSECONDS.sleep(EVERY.toNanos());
            }
        } catch (InterruptedException closed) {
            // close()
        }
    }

    /** Stops sending; a notification being sent finishes (bounded by the pool's wait and statement timeout). */
    @Override
    public void close() {
        closed = true;
        poked.release();
        sender.interrupt();
    }
}
