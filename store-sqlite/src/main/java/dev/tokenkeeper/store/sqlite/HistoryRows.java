package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.jdbi.v3.core.statement.SqlStatement;

/** Maps {@link RefreshEvent} to rows of {@code refresh_history} and back. */
final class HistoryRows {

    /** The columns an event is read from. */
    static final String COLUMNS = "credential_id, at, outcome, detail, duration_ms, version";

    /** The named parameters {@link #bind} sets, matching {@link #COLUMNS}. */
    static final String VALUES = ":credential_id, :at, :outcome, :detail, :duration_ms, :version";

    private HistoryRows() {
    }

    /**
     * @param statement the statement
     * @param event     the event
     * @param <S>       the statement type
     * @return the statement with every parameter of {@link #VALUES} bound
     */
    static <S extends SqlStatement<S>> S bind(S statement, RefreshEvent event) {
        return statement
                .bind("credential_id", event.id().toString())
                .bind("at", event.at().toEpochMilli())
                .bind("outcome", event.outcome().wireName())
                .bind("detail", event.detail())
                .bind("duration_ms", event.duration().toMillis())
                .bind("version", event.version());
    }

    /**
     * @param rows the result set, on a row selected with {@link #COLUMNS}
     * @return the event
     * @throws SQLException when a column cannot be read
     * @throws IllegalArgumentException when a stored value is not valid
     */
    static RefreshEvent read(ResultSet rows) throws SQLException {
        return new RefreshEvent(
                CredentialId.parse(rows.getString("credential_id")),
                Instant.ofEpochMilli(rows.getLong("at")),
                RefreshOutcome.valueOf(rows.getString("outcome").toUpperCase(Locale.ROOT)),
                rows.getString("detail"),
                Duration.ofMillis(rows.getLong("duration_ms")),
                rows.getLong("version"));
    }
}
