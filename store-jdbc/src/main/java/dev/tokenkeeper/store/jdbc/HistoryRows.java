package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.jdbi.v3.core.statement.SqlStatement;

/** Maps {@link RefreshEvent} to rows of {@code refresh_history} and back. */
public final class HistoryRows extends TableRows<RefreshEvent> {

    /** @param dialect what an unreadable row becomes */
    public HistoryRows(Dialect dialect) {
        super("history", dialect, List.of("credential_id", "at", "outcome", "detail", "duration_ms", "version"));
    }

    @Override
    protected <S extends SqlStatement<S>> S bind(S statement, RefreshEvent event) {
        return statement
                .bind("credential_id", event.id().toString())
                .bind("at", event.at().toEpochMilli())
                .bind("outcome", event.outcome().wireName())
                .bind("detail", event.detail())
                .bind("duration_ms", event.duration().toMillis())
                .bind("version", event.version());
    }

    @Override
    protected RefreshEvent read(ResultSet rows) throws SQLException {
        return new RefreshEvent(
                CredentialId.parse(rows.getString("credential_id")),
                Instant.ofEpochMilli(rows.getLong("at")),
                RefreshOutcome.valueOf(rows.getString("outcome").toUpperCase(Locale.ROOT)),
                rows.getString("detail"),
                Duration.ofMillis(rows.getLong("duration_ms")),
                rows.getLong("version"));
    }
}
