package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;

/**
 * Turns driver and pool failures into the store's two kinds: {@link StoreUnavailableException} for
 * what passes (no connection, a server restarting or shutting down, a statement that ran into the
 * timeout, too many connections, a serialization failure) so the daemon spools, and
 * {@link StoreException} with what to do for the rest. Messages carry the SQLSTATE and the
 * driver's words, which never contain the password or a bound value.
 */
final class PostgresErrors {

    private final PostgresSettings settings;

    PostgresErrors(PostgresSettings settings) {
        this.settings = settings;
    }

    /**
     * @param action what the store was doing, e.g. "read credential gazelle:default"
     * @param failure what went wrong
     * @return the exception to throw
     */
    StoreException translate(String action, Throwable failure) {
        if (failure instanceof StoreException already) {
            return already;
        }
        Optional<SQLException> sql = sqlCause(failure);
        String state = sql.map(SQLException::getSQLState).orElse(null);
        String detail = sql.map(SQLException::getMessage).orElse(failure.getMessage());
        String where = " (" + settings.printableUrl() + ", schema " + settings.schema() + ")";
        // jdbi's own exceptions render the bound values (a settings row may hold a token): keep only the driver's.
        Throwable cause = sql.<Throwable>map(e -> e).orElse(failure);
        if (transientFailure(failure, state)) {
            return new StoreUnavailableException("postgres: could not " + action + where + ": " + oneLine(detail)
                    + (state == null ? "" : " [SQLSTATE " + state + "]"), cause);
        }
        String advice;
        if (state == null) {
            advice = "";
        } else if (state.equals("28P01") || state.equals("28000")) {
            advice = ": the server refused the login; check the user and password in " + PostgresSettings.URL
                    + " or " + PostgresSettings.PASSWORD_FILE;
        } else if (state.equals("42501")) {
            advice = ": the user lacks a right; run `tokenkeeper doctor --print-sql postgres` as a user with DDL"
                    + " rights and apply its grants";
        } else if (state.equals("3F000") || state.equals("42P01") || state.equals("42883")) {
            advice = ": the schema or its tables are missing; run `tokenkeeper doctor --print-sql postgres` as a user"
                    + " with DDL rights, or give the daemon's user the right to create schema " + settings.schema();
        } else if (state.equals("3D000")) {
            advice = ": the database does not exist; check the database name in " + PostgresSettings.URL;
        } else {
            advice = "";
        }
        return new StoreException("postgres: could not " + action + where + ": " + oneLine(detail)
                + (state == null ? "" : " [SQLSTATE " + state + "]") + advice, cause);
    }

    private static boolean transientFailure(Throwable failure, String state) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof ConnectException
                    || t instanceof SocketTimeoutException || t instanceof EOFException) {
                return true;
            }
        }
        if (state == null) {
            return false;
        }
        return state.startsWith("08") || state.startsWith("57P") || state.equals("57014") || state.startsWith("53")
                || state.equals("40001") || state.equals("40P01") || state.equals("55P03");
    }

    private static Optional<SQLException> sqlCause(Throwable failure) {
        SQLException found = null;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                found = sql;
                if (sql.getSQLState() != null) {
                    return Optional.of(sql);
                }
            }
        }
        return Optional.ofNullable(found);
    }

    private static String oneLine(String text) {
        if (text == null) {
            return "no detail";
        }
        int statement = text.indexOf(" [statement:");
        String line = (statement >= 0 ? text.substring(0, statement) : text).strip().replace('\n', ' ');
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
