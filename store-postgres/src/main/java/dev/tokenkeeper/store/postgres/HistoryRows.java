package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.jdbi.v3.core.statement.SqlStatement;

/** Maps {@link RefreshEvent} to rows of the history table and back. */
final class HistoryRows {

    static final String COLUMNS = "credential_id, at, outcome, detail, duration_ms, version";
    static final String VALUES = ":credential_id, :at, :outcome, :detail, :duration_ms, :event_version";

    private HistoryRows() {
    }

    static <S extends SqlStatement<S>> S bind(S statement, RefreshEvent event) {
        return statement
                .bind("credential_id", event.id().toString())
                .bind("at", event.at().toEpochMilli())
                .bind("outcome", event.outcome().wireName())
                .bind("detail", event.detail())
                .bind("duration_ms", event.duration().toMillis())
                .bind("event_version", event.version());
    }

    static RefreshEvent read(ResultSet row) throws SQLException {
        return new RefreshEvent(
                CredentialId.parse(row.getString("credential_id")),
                Instant.ofEpochMilli(row.getLong("at")),
                RefreshOutcome.valueOf(row.getString("outcome").toUpperCase(Locale.ROOT)),
                row.getString("detail"),
                Duration.ofMillis(row.getLong("duration_ms")),
                row.getLong("version"));
    }
}
