package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.statement.SqlStatement;

/** Maps {@link StoredCredential} to rows of the credentials table and back; instants are epoch milliseconds. */
final class CredentialRows {

    /** Every column but the lease. */
    static final String COLUMNS = "id, provider, account, status, version, sealed_secret, issued_at, access_expires_at,"
            + " refresh_expires_at, last_refresh_at, last_error, updated_at";
    /** The named parameters matching {@link #COLUMNS}. */
    static final String VALUES = ":id, :provider, :account, :status, :version, :sealed_secret, :issued_at,"
            + " :access_expires_at, :refresh_expires_at, :last_refresh_at, :last_error, :updated_at";
    /** What a compare-and-set writes: everything but the key and the lease. */
    static final String ASSIGNMENTS = "provider = :provider, account = :account, status = :status, version = :version,"
            + " sealed_secret = :sealed_secret, issued_at = :issued_at, access_expires_at = :access_expires_at,"
            + " refresh_expires_at = :refresh_expires_at, last_refresh_at = :last_refresh_at,"
            + " last_error = :last_error, updated_at = :updated_at";

    private CredentialRows() {
    }

    static <S extends SqlStatement<S>> S bind(S statement, StoredCredential credential) {
        return statement
                .bind("id", credential.id().toString())
                .bind("provider", credential.id().provider())
                .bind("account", credential.id().account())
                .bind("status", credential.status().wireName())
                .bind("version", credential.version())
                .bind("sealed_secret", credential.secret().bytes())
                .bind("issued_at", credential.issuedAt().toEpochMilli())
                .bind("access_expires_at", millis(credential.accessExpiresAt()))
                .bind("refresh_expires_at", millis(credential.refreshExpiresAt()))
                .bind("last_refresh_at", millis(credential.lastRefreshAt()))
                .bind("last_error", credential.lastError().orElse(null))
                .bind("updated_at", credential.updatedAt().toEpochMilli());
    }

    static StoredCredential read(ResultSet row) throws SQLException {
        return new StoredCredential(
                new CredentialId(row.getString("provider"), row.getString("account")),
                CredentialStatus.fromWireName(row.getString("status")),
                SealedSecret.of(row.getBytes("sealed_secret")),
                Instant.ofEpochMilli(row.getLong("issued_at")),
                instant(row, "access_expires_at"),
                instant(row, "refresh_expires_at"),
                row.getLong("version"),
                instant(row, "last_refresh_at"),
                Optional.ofNullable(row.getString("last_error")),
                Instant.ofEpochMilli(row.getLong("updated_at")));
    }

    private static Long millis(Optional<Instant> instant) {
        return instant.map(Instant::toEpochMilli).orElse(null);
    }

    private static Optional<Instant> instant(ResultSet row, String column) throws SQLException {
        long value = row.getLong(column);
        return row.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(value));
    }
}
