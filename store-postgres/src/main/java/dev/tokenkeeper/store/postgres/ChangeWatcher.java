package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.ChangeListener;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoreChange;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's {@code LISTEN} connection: one dedicated connection (outside the pool, which must
 * not lose a connection to a listener) that waits for the schema's change notifications and tells
 * the listener which credentials changed. It checks the connection every few seconds; a lost
 * connection is opened again with a bounded back-off, and once listening again it announces
 * {@link StoreChange.Everything}, as notifications sent meanwhile are gone.
 */
final class ChangeWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeWatcher.class);
    private static final int POLL_MILLIS = 500;
    private static final Duration CHECK_EVERY = Duration.ofSeconds(5);
    private static final Duration MOST_BACKOFF = Duration.ofSeconds(5);

    private final DataSource connections;
    private final String channel;
    private final ChangeListener listener;
    private final int checkTimeoutSeconds;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch listening = new CountDownLatch(1);
    private final Duration timeout;
    private final Thread thread;
    private volatile Connection current;

    ChangeWatcher(DataSource connections, String channel, ChangeListener listener, Duration timeout) {
        this.connections = connections;
        this.channel = channel;
        this.listener = listener;
        this.timeout = timeout;
        this.checkTimeoutSeconds = (int) Math.max(1, Math.min(timeout.toSeconds(), 30));
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
                    listen.execute("LISTEN " + channel);
                }
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
        while (stopped.getCount() > 0) {
            PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
            if (notifications != null && notifications.length > 0) {
                announce(notifications);
            }
            if (System.nanoTime() - nextCheck > 0) {
                if (!connection.isValid(checkTimeoutSeconds)) {
                    throw new SQLException("the notification connection stopped answering", "08006");
                }
                nextCheck = System.nanoTime() + CHECK_EVERY.toNanos();
            }
        }
    }

    /** The payload schema-2.sql's trigger sends when consumers change. */
    static final String CONSUMERS_PAYLOAD = "@consumers";

    private void announce(PGNotification[] notifications) {
        Set<CredentialId> ids = new LinkedHashSet<>();
        boolean consumers = false;
        for (PGNotification notification : notifications) {
            if (CONSUMERS_PAYLOAD.equals(notification.getParameter())) {
                consumers = true;
                continue;
            }
            try {
                ids.add(CredentialId.parse(notification.getParameter()));
            } catch (IllegalArgumentException e) {
                LOG.warn("ignored a notification on {} that names no credential", channel);
            }
        }
        if (consumers) {
            listener.changed(new StoreChange.Consumers());
        }
        if (!ids.isEmpty()) {
            listener.changed(new StoreChange.Credentials(ids));
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
            thread.join(TimeUnit.SECONDS.toMillis(checkTimeoutSeconds + 1L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
