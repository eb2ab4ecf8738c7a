package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Maps a {@link Consumer} to a row of {@code consumers} and back: only its token's hash, its
 * credential ids in the dialect's list column, and the daemon's authentication tag ({@code mac}).
 */
public final class ConsumerRows implements RowMapper<Consumer> {

    /** Every column, for {@code SELECT} and {@code INSERT}. */
    public static final String COLUMNS = "name, token_hash, credentials, created_at, mac";

    /** The named parameters {@link #bind} sets, matching {@link #COLUMNS}. */
    public static final String VALUES = ":name, :hash, :credentials, :created, :mac";

    private final Dialect dialect;

    /** @param dialect how the list of credential ids is kept */
    public ConsumerRows(Dialect dialect) {
        this.dialect = dialect;
    }

    /**
     * @param statement the statement
     * @param consumer  the consumer
     * @param <S>       the statement type
     * @return the statement with every parameter of {@link #VALUES} bound
     */
    public <S extends SqlStatement<S>> S bind(S statement, Consumer consumer) {
        return dialect.bindIds(statement
                        .bind("name", consumer.name())
                        .bind("hash", consumer.tokenHash())
                        .bind("created", consumer.createdAt().toEpochMilli())
                        .bind("mac", consumer.mac().orElse(null)),
                "credentials", consumer.credentials().stream().map(CredentialId::toString).toList());
    }

    /**
     * Reads a row selected with {@link #COLUMNS}.
     *
     * @throws SQLException when a column cannot be read
     */
    @Override
    public Consumer map(ResultSet rows, StatementContext context) throws SQLException {
        return new Consumer(rows.getString("name"), rows.getString("token_hash"),
                dialect.readIds(rows, "credentials").stream().map(CredentialId::parse).toList(),
                Instant.ofEpochMilli(rows.getLong("created_at")), Optional.ofNullable(rows.getString("mac")));
    }
}
