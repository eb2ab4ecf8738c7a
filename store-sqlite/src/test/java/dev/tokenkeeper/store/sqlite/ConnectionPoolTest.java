package dev.tokenkeeper.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionPoolTest {

    @TempDir
    Path state;

    private ConnectionPool pool(String synchronous) {
        return new ConnectionPool(new SqliteSettings(state.resolve("pool.db"), synchronous),
                Duration.ofSeconds(10), 2);
    }

    @Test
    void everyConnectionHasTheStorePragmas() throws SQLException {
        try (ConnectionPool pool = pool("FULL")) {
            Connection connection = pool.openConnection();
            assertEquals(10_000, pragma(connection, "busy_timeout"));
            assertEquals(2, pragma(connection, "synchronous"), "FULL");
            assertEquals(1, pragma(connection, "foreign_keys"));
            pool.closeConnection(connection);
        }
        try (ConnectionPool pool = pool("NORMAL")) {
            Connection connection = pool.openConnection();
            assertEquals(1, pragma(connection, "synchronous"), "NORMAL");
            pool.closeConnection(connection);
        }
    }

    @Test
    void reusesCleanConnectionsAndDropsOnesLeftInATransaction() throws SQLException {
        try (ConnectionPool pool = pool("FULL")) {
            Connection first = pool.openConnection();
            pool.closeConnection(first);
            assertSame(first, pool.openConnection(), "an idle connection is reused");

            first.setAutoCommit(false);
            pool.closeConnection(first);
            assertTrue(first.isClosed(), "a connection inside a transaction is not handed out again");
            Connection next = pool.openConnection();
            assertNotSame(first, next);
            assertTrue(next.getAutoCommit());
            pool.closeConnection(next);
        }
    }

    @Test
    void keepsAtMostMaxIdleAndClosesEverythingOnClose() throws SQLException {
        ConnectionPool pool = pool("FULL");
        Connection a = pool.openConnection();
        Connection b = pool.openConnection();
        Connection c = pool.openConnection();
        pool.closeConnection(a);
        pool.closeConnection(b);
        pool.closeConnection(c);
        assertTrue(c.isClosed(), "third idle connection over the limit of 2");

        pool.close();
        assertTrue(a.isClosed() && b.isClosed());
        assertThrows(SQLException.class, pool::openConnection);
    }

    private static int pragma(Connection connection, String name) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("PRAGMA " + name)) {
            row.next();
            return row.getInt(1);
        }
    }
}
