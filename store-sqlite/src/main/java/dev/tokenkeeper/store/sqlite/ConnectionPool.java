package dev.tokenkeeper.store.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.jdbi.v3.core.ConnectionFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Hands each jdbi {@link org.jdbi.v3.core.Handle} a connection of its own and keeps a few idle ones
 * for the next operation. A SQLite connection must not be used by two threads at once; opening one
 * costs a file open and a few pragmas, which this saves.
 */
final class ConnectionPool implements ConnectionFactory, AutoCloseable {

    private final SQLiteDataSource source;
    private final int maxIdle;
    private final Deque<Connection> idle = new ArrayDeque<>();
    private boolean closed;

    /**
     * @param settings    the file and the synchronous level
     * @param busyTimeout how long SQLite waits for a lock held by another connection or process
     * @param maxIdle     how many idle connections to keep
     */
    ConnectionPool(SqliteSettings settings, Duration busyTimeout, int maxIdle) {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(Math.toIntExact(busyTimeout.toMillis()));
        config.setSynchronous(SQLiteConfig.SynchronousMode.valueOf(settings.synchronous()));
        config.enforceForeignKeys(true);
        // Overwritten secrets are zeroed in their page, not left as free space that a page image in
        // the write-ahead log or the file would still carry after a rekey.
        config.setPragma(SQLiteConfig.Pragma.SECURE_DELETE, "true");
        // Every explicit transaction here writes: take the write lock at BEGIN, where the busy
        // timeout applies, rather than fail on the upgrade from a read snapshot.
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        this.source = new SQLiteDataSource(config);
        this.source.setUrl("jdbc:sqlite:" + settings.file());
        this.maxIdle = maxIdle;
    }

    @Override
    public Connection openConnection() throws SQLException {
        synchronized (this) {
            if (closed) {
                throw new SQLException("the store is closed");
            }
            Connection reused = idle.pollFirst();
            if (reused != null) {
                return reused;
            }
        }
        return source.getConnection();
    }

    @Override
    public void closeConnection(Connection connection) throws SQLException {
        if (connection.isClosed()) {
            return;
        }
        if (!connection.getAutoCommit()) {
            // Left inside a transaction by a failure: do not hand it to the next caller.
            try {
                connection.rollback();
            } finally {
                connection.close();
            }
            return;
        }
        synchronized (this) {
            if (!closed && idle.size() < maxIdle) {
                idle.addFirst(connection);
                return;
            }
        }
        connection.close();
    }

    /** Closes the idle connections; connections in use are closed when they come back. */
    @Override
    public void close() {
        Connection[] toClose;
        synchronized (this) {
            closed = true;
            toClose = idle.toArray(new Connection[0]);
            idle.clear();
        }
        for (Connection connection : toClose) {
            try {
                connection.close();
            } catch (SQLException e) {
                // Nothing left to do with a connection that fails to close.
            }
        }
    }
}
