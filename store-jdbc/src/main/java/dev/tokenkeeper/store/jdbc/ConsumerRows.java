package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * Maps a {@link Consumer} to a row of {@code consumers} and back: only its token's hash, its
 * credential ids in the dialect's list column, and the daemon's authentication tag ({@code mac}).
 */
public final class ConsumerRows extends TableRows<Consumer> {

    /** @param dialect how the list of credential ids is kept */
    public ConsumerRows(Dialect dialect) {
        super("consumer", dialect, List.of("name", "token_hash", "credentials", "created_at", "mac"));
    }

    @Override
    protected <S extends SqlStatement<S>> S bind(S statement, Consumer consumer) {
        return dialect.bindIds(statement
                        .bind("name", consumer.name())
                        .bind("token_hash", consumer.tokenHash())
                        .bind("created_at", consumer.createdAt().toEpochMilli())
                        .bind("mac", consumer.mac().orElse(null)),
                "credentials", consumer.credentials().stream().map(CredentialId::toString).toList());
    }

    @Override
    protected Consumer read(ResultSet rows) throws SQLException {
        return new Consumer(rows.getString("name"), rows.getString("token_hash"),
                dialect.readIds(rows, "credentials").stream().map(CredentialId::parse).toList(),
                Instant.ofEpochMilli(rows.getLong("created_at")), Optional.ofNullable(rows.getString("mac")));
    }
}
