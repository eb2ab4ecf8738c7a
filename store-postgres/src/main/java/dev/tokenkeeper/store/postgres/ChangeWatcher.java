package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.ChangeListener;
import dev.tokenkeeper.api.StoreChange;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's {@code LISTEN} connection: one dedicated connection (outside the pool, which must
 * not lose a connection to a listener) that waits for the schema's notifications and then reads
 * the changes table ({@link ChangeRows}) from its watermark, telling the listener which credentials
 * other stores changed, at most once per {@link #READ_EVERY} however many stores notified. It reads
 * every few seconds without a notification too (a writer that died between its commit and its
 * notification), which also checks the connection. A lost connection is opened again with a
 * bounded back-off, and once listening again it announces {@link StoreChange.Everything}, as its
 * watermark starts over. Now and then it prunes the table.
 */
final class ChangeWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeWatcher.class);
    private static final int POLL_MILLIS = 500;
    /** The shortest time between two reads of the changes table: notifications within it share one read. */
    static final Duration READ_EVERY = ChangeAnnouncer.EVERY;
    private static final Duration CHECK_EVERY = Duration.ofSeconds(5);
    private static final Duration MOST_BACKOFF = Duration.ofSeconds(5);
    /** The watermark standing still this long with changes committed past it: read ahead of it. */
    static final Duration HELD_BACK = Duration.ofSeconds(30);
    /** Rows of the changes table older than this (by this listener's watermark then) are pruned. */
    static final Duration HORIZON = Duration.ofMinutes(10);
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);

    private final DataSource connections;
    private final ChangeRows rows;
    private final String channel;
    private final ChangeListener listener;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch listening = new CountDownLatch(1);
    private final Duration timeout;
    private final Duration heldBack;
    private final Thread thread;
    private volatile Connection current;
    // Only the listening thread touches these.
    private final Deque<long[]> watermarks = new ArrayDeque<>();
    private long watermark;
    private long progressed;
    private long aheadSeq;
    private long nextPrune;
    private boolean heldBackSaid;

    ChangeWatcher(DataSource connections, ChangeRows rows, ChangeListener listener, Duration timeout, Duration heldBack) {
        this.connections = connections;
        this.rows = rows;
        this.channel = rows.channel();
        this.listener = listener;
        this.timeout = timeout;
        this.heldBack = heldBack;
        this.thread = new Thread(this::run, "postgres-listen");
        this.thread.setDaemon(true);
    }

    /**
     * Starts listening and waits (at most the store's timeout) until the first {@code LISTEN} is in
     * effect, so that a change committed after this returns is announced. When the server cannot be
     * reached by then, listening starts later and announces {@link StoreChange.Everything}.
     */
    void start() {
        thread.start();
        try {
            listening.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        boolean missed = false;
        Duration backoff = Duration.ofMillis(200);
        while (stopped.getCount() > 0) {
            try (Connection connection = connections.getConnection()) {
                current = connection;
                try (Statement listen = connection.createStatement()) {
                    listen.execute("SET statement_timeout = " + timeout.toMillis());
                    listen.execute("LISTEN " + channel);
                }
                // After LISTEN: a transaction that ends from here on is at or above this watermark, so it is read.
                watermark = rows.watermark(connection);
                progressed = System.nanoTime();
                aheadSeq = 0;
                watermarks.clear();
                nextPrune = progressed + PRUNE_EVERY.toNanos();
                if (missed) {
                    LOG.info("listening to {} again: re-reading every credential", channel);
                    listener.changed(new StoreChange.Everything());
                    missed = false;
                }
                listening.countDown();
                backoff = Duration.ofMillis(200);
                listen(connection);
            } catch (SQLException | RuntimeException e) {
                if (stopped.getCount() == 0) {
                    return;
                }
                boolean first = listening.getCount() > 0;
                // On a first failure start() stops waiting; whatever changes before we listen is re-read then.
                listening.countDown();
                if (!missed || first) {
                    LOG.warn("lost the notification connection ({}); reconnecting, then re-reading everything",
                            e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip());
                }
                missed = true;
            } finally {
                current = null;
            }
            try {
                if (stopped.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            backoff = backoff.multipliedBy(2).compareTo(MOST_BACKOFF) > 0 ? MOST_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private void listen(Connection connection) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        long nextCheck = System.nanoTime() + CHECK_EVERY.toNanos();
        long nextRead = System.nanoTime();
        boolean read = false;
        while (stopped.getCount() > 0) {
            long now = System.nanoTime();
            if (read && now - nextRead >= 0) {
                follow(connection);
                nextRead = System.nanoTime() + READ_EVERY.toNanos();
                read = false;
                continue;
            }
            // A notification that comes within READ_EVERY of the last read waits for the next one:
            // each daemon announces at most once per interval, so without this bound a listener read
            // once per interval per other daemon (30 reads a second each with four in a storm).
            long waitMillis = read ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextRead - now + 999_999)) : POLL_MILLIS;
            PGNotification[] notifications = pg.getNotifications((int) waitMillis);
            boolean consumers = false;
            for (PGNotification notification : notifications == null ? new PGNotification[0] : notifications) {
                if (CONSUMERS_PAYLOAD.equals(notification.getParameter())) {
                    consumers = true;
                } else {
                    read = true;
                }
            }
            if (consumers) {
                listener.changed(new StoreChange.Consumers());
            }
            // The periodic read is also the connection's check, and finds the changes of a writer
            // that died before it notified.
            if (System.nanoTime() - nextCheck > 0) {
                read = true;
                nextCheck = System.nanoTime() + CHECK_EVERY.toNanos();
            }
        }
    }

    /** The payload schema-2.sql's trigger sends when consumers change. */
    static final String CONSUMERS_PAYLOAD = "@consumers";

    private void follow(Connection connection) throws SQLException {
        ChangeRows.Read read = rows.since(connection, watermark);
        long now = System.nanoTime();
        if (read.watermark() > watermark) {
            progressed = now;
            heldBackSaid = false;
        }
        watermark = read.watermark();
        if (read.missed()) {
            LOG.info("more changes on {} than are read one by one, or some pruned before they were read:"
                    + " re-reading every credential", channel);
            listener.changed(new StoreChange.Everything());
        } else if (!read.ids().isEmpty()) {
            listener.changed(new StoreChange.Credentials(read.ids()));
        }
        if (now - progressed > heldBack.toNanos()) {
            readAhead(connection);
        }
        if (now - nextPrune > 0) {
            prune(connection, now);
            nextPrune = now + PRUNE_EVERY.toNanos();
        }
    }

    /**
     * No transaction below the watermark ended for a while: one still open (anywhere in the cluster)
     * holds it back. Changes committed after it are read ahead of the watermark, so they are not
     * delayed for as long as it stays open; the watermark's read announces them once more later.
     */
    private void readAhead(Connection connection) throws SQLException {
        ChangeRows.Ahead ahead = rows.ahead(connection, watermark, aheadSeq);
        aheadSeq = ahead.lastSeq();
        if (ahead.ids().isEmpty()) {
            return;
        }
        if (!heldBackSaid) {
            LOG.warn("a transaction open for more than {} s holds back the change feed on {}; reading changes ahead of it",
                    heldBack.toSeconds(), channel);
            heldBackSaid = true;
        }
        listener.changed(ahead.ids().size() > ChangeRows.MOST_IDS ? new StoreChange.Everything()
                : new StoreChange.Credentials(ahead.ids()));
    }

    /**
     * Deletes the rows below the watermark this listener had {@link #HORIZON} ago: every listener that
     * kept reading is past them. One that is not finds the horizon above its watermark and re-reads everything.
     */
    private void prune(Connection connection, long now) throws SQLException {
        watermarks.addLast(new long[] {now, watermark});
        long[] old = null;
        while (!watermarks.isEmpty() && now - watermarks.peekFirst()[0] >= HORIZON.toNanos()) {
            old = watermarks.pollFirst();
        }
        if (old != null) {
            int deleted = rows.prune(connection, old[1]);
            LOG.debug("pruned {} rows of the change feed on {}", deleted, channel);
        }
    }

    /** Stops listening and closes the connection; waits (bounded) for the thread. */
    @Override
    public void close() {
        stopped.countDown();
        Connection open = current;
        if (open != null) {
            try {
                open.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
        thread.interrupt();
        try {
            // Closing the connection ends a read in progress; a thread that does not notice is left behind.
            thread.join(TimeUnit.SECONDS.toMillis(Math.min(timeout.toSeconds(), 30) + 1L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
