package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import org.jdbi.v3.core.JdbiException;
import org.sqlite.SQLiteException;

/**
 * Turns what SQLite and jdbi throw into one-line {@link StoreException}s that name the file and say
 * what to do. The cause kept is the driver's {@link SQLException}, never a jdbi exception: those
 * print the statement's bound arguments, which include sealed secret bytes.
 */
final class SqliteErrors {

    // SQLite's primary result codes (the low byte of an extended code).
    private static final int PERM = 3;
    private static final int BUSY = 5;
    private static final int LOCKED = 6;
    private static final int READONLY = 8;
    private static final int IOERR = 10;
    private static final int CORRUPT = 11;
    private static final int FULL = 13;
    private static final int CANTOPEN = 14;
    private static final int NOTADB = 26;

    private final Path file;
    private final Duration busyTimeout;

    /**
     * @param file        the database file, named in every message
     * @param busyTimeout how long SQLite waited for a lock before giving up
     */
    SqliteErrors(Path file, Duration busyTimeout) {
        this.file = file;
        this.busyTimeout = busyTimeout;
    }

    /**
     * @param action what was being done, e.g. "update credential gazelle:default"
     * @param error  what jdbi or the driver threw
     * @return the exception to throw
     */
    StoreException translate(String action, Exception error) {
        SQLException sql = findSqlException(error);
        if (sql == null) {
            Throwable cause = firstNonJdbi(error);
            return new StoreException("sqlite: cannot " + action + " in " + file + " ("
                    + (cause == null ? error.getClass().getSimpleName() : cause.getClass().getSimpleName())
                    + "): this is a bug in tokenkeeper, please report it", cause);
        }
        String detail = oneLine(sql.getMessage());
        switch (primaryCode(sql)) {
            case BUSY:
            case LOCKED:
                return new StoreUnavailableException("sqlite: cannot " + action + ": " + file
                        + " stayed locked by another connection for more than "
                        + duration(busyTimeout) + ": retry later, and look for a stuck process if it persists", sql);
            case NOTADB:
                return new StoreException("sqlite: " + file + " is not a SQLite database: move it away or point "
                        + SqliteSettings.PATH + " elsewhere", sql);
            case CORRUPT:
                return new StoreException("sqlite: " + file + " is corrupt (" + detail + "): restore it from a"
                        + " backup, or move it away and import the credentials again", sql);
            case READONLY:
                return new StoreException("sqlite: cannot " + action + ": " + file + " is read-only (" + detail
                        + "): make the file, its -wal and -shm files and its folder writable by this user, or point "
                        + SqliteSettings.PATH + " elsewhere", sql);
            case CANTOPEN:
            case PERM:
                return new StoreException("sqlite: cannot open " + file + " (" + detail + "): make the file and"
                        + " its folder readable and writable by this user, or point " + SqliteSettings.PATH
                        + " elsewhere", sql);
            case FULL:
                return new StoreException("sqlite: cannot " + action + ": the disk holding " + file
                        + " is full: free some space", sql);
            case IOERR:
                return new StoreException("sqlite: cannot " + action + ": I/O error on " + file + " (" + detail
                        + "): check the disk and the file system", sql);
            default:
                return new StoreException("sqlite: cannot " + action + " in " + file + " (" + detail
                        + "): check the database file, or report a bug if it looks sound", sql);
        }
    }

    private static String duration(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    private static int primaryCode(SQLException sql) {
        if (sql instanceof SQLiteException sqlite) {
            return sqlite.getResultCode().code & 0xff;
        }
        return sql.getErrorCode() & 0xff;
    }

    /**
     * @param error what jdbi or the driver threw
     * @return whether SQLite answered "busy" or "locked": another connection holds the lock
     */
    static boolean isBusy(Exception error) {
        SQLException sql = findSqlException(error);
        if (sql == null) {
            return false;
        }
        int code = primaryCode(sql);
        return code == BUSY || code == LOCKED;
    }

    private static SQLException findSqlException(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    private static Throwable firstNonJdbi(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (!(t instanceof JdbiException)) {
                return t;
            }
        }
        return null;
    }

    private static String oneLine(String text) {
        return text == null ? "no detail" : text.replaceAll("[\\r\\n\\t]+", " ").strip();
    }
}
