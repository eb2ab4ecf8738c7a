package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * Maps {@link StoredCredential} to rows of {@code credentials} and back. Instants are epoch
 * milliseconds; an empty {@code Optional} is {@code NULL}. The lease columns are the stores' own.
 */
public final class CredentialRows extends TableRows<StoredCredential> {

    /** @param dialect what an unreadable row becomes */
    public CredentialRows(Dialect dialect) {
        super("credential", dialect, List.of("id", "provider", "account", "status", "sealed_secret", "issued_at",
                "access_expires_at", "refresh_expires_at", "version", "last_refresh_at", "last_error", "updated_at"));
    }

    /**
     * @return the assignments of a compare-and-set: every column but the key, and never the lease
     *         columns (provider and account follow from the key; they are set so that every bound
     *         parameter is used, which jdbi checks)
     */
    public String assignments() {
        return columns().stream().filter(column -> !column.equals("id")).map(column -> column + " = :" + column)
                .collect(Collectors.joining(", "));
    }

    /** Public: a store's own statements on the credentials table bind its columns with it too. */
    @Override
    public <S extends SqlStatement<S>> S bind(S statement, StoredCredential credential) {
        return statement
                .bind("id", credential.id().toString())
                .bind("provider", credential.id().provider())
                .bind("account", credential.id().account())
                .bind("status", credential.status().wireName())
                .bind("sealed_secret", credential.secret().bytes())
                .bind("issued_at", credential.issuedAt().toEpochMilli())
                .bind("access_expires_at", millis(credential.accessExpiresAt()))
                .bind("refresh_expires_at", millis(credential.refreshExpiresAt()))
                .bind("version", credential.version())
                .bind("last_refresh_at", millis(credential.lastRefreshAt()))
                .bind("last_error", credential.lastError().orElse(null))
                .bind("updated_at", credential.updatedAt().toEpochMilli());
    }

    @Override
    protected StoredCredential read(ResultSet rows) throws SQLException {
        return new StoredCredential(
                new CredentialId(rows.getString("provider"), rows.getString("account")),
                CredentialStatus.fromWireName(rows.getString("status")),
                SealedSecret.of(rows.getBytes("sealed_secret")),
                Instant.ofEpochMilli(rows.getLong("issued_at")),
                instant(rows, "access_expires_at"),
                instant(rows, "refresh_expires_at"),
                rows.getLong("version"),
                instant(rows, "last_refresh_at"),
                Optional.ofNullable(rows.getString("last_error")),
                Instant.ofEpochMilli(rows.getLong("updated_at")));
    }

    private static Long millis(Optional<Instant> instant) {
        return instant.map(Instant::toEpochMilli).orElse(null);
    }

    private static Optional<Instant> instant(ResultSet rows, String column) throws SQLException {
        long millis = rows.getLong(column);
        return rows.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
    }
}
