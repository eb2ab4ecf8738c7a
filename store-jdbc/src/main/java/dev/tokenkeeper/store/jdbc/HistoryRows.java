package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.StatementContext;

/** Maps {@link RefreshEvent} to rows of {@code refresh_history} and back. */
public final class HistoryRows implements RowMapper<RefreshEvent> {

    /** The columns an event is read from and inserted into. */
    public static final String COLUMNS = "credential_id, at, outcome, detail, duration_ms, version";

    /** The named parameters {@link #bind} sets, matching {@link #COLUMNS}. */
    public static final String VALUES = ":credential_id, :at, :outcome, :detail, :duration_ms, :version";

    private final Dialect dialect;

    /** @param dialect what an unreadable row becomes */
    public HistoryRows(Dialect dialect) {
        this.dialect = dialect;
    }

    /**
     * @param statement the statement
     * @param event     the event
     * @param <S>       the statement type
     * @return the statement with every parameter of {@link #VALUES} bound
     */
    public static <S extends SqlStatement<S>> S bind(S statement, RefreshEvent event) {
        return statement
                .bind("credential_id", event.id().toString())
                .bind("at", event.at().toEpochMilli())
                .bind("outcome", event.outcome().wireName())
                .bind("detail", event.detail())
                .bind("duration_ms", event.duration().toMillis())
                .bind("version", event.version());
    }

    /**
     * Reads a row selected with {@link #COLUMNS}.
     *
     * @throws SQLException when a column cannot be read
     */
    @Override
    public RefreshEvent map(ResultSet rows, StatementContext context) throws SQLException {
        try {
            return new RefreshEvent(
                    CredentialId.parse(rows.getString("credential_id")),
                    Instant.ofEpochMilli(rows.getLong("at")),
                    RefreshOutcome.valueOf(rows.getString("outcome").toUpperCase(Locale.ROOT)),
                    rows.getString("detail"),
                    Duration.ofMillis(rows.getLong("duration_ms")),
                    rows.getLong("version"));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw dialect.unreadable("history", e);
        }
    }
}
