package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SealedSecret;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * Maps an {@link AccountSecret} to a row of {@code account_secrets} and back: the sealed bytes and
 * the daemon's authentication tag kept as given.
 */
public final class AccountSecretRows extends TableRows<AccountSecret> {

    /** @param dialect the store's differences */
    public AccountSecretRows(Dialect dialect) {
        super("account secret", dialect, List.of("credential_id", "kind", "lookup_hash", "sealed_secret", "created_at",
                "mac"));
    }

    @Override
    protected <S extends SqlStatement<S>> S bind(S statement, AccountSecret secret) {
        return statement
                .bind("credential_id", secret.credential().toString())
                .bind("kind", secret.kind())
                .bind("lookup_hash", secret.lookupHash())
                .bind("sealed_secret", secret.sealed().bytes())
                .bind("created_at", secret.createdAt().toEpochMilli())
                .bind("mac", secret.mac().orElse(null));
    }

    @Override
    protected AccountSecret read(ResultSet rows) throws SQLException {
        return new AccountSecret(CredentialId.parse(rows.getString("credential_id")), rows.getString("kind"),
                rows.getString("lookup_hash"), SealedSecret.of(rows.getBytes("sealed_secret")),
                Instant.ofEpochMilli(rows.getLong("created_at")), Optional.ofNullable(rows.getString("mac")));
    }
}
