package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import java.time.Instant;
import java.util.Optional;

/**
 * Maps {@link StoredCredential} to JSON rows of the credentials table and back. Instants are epoch
 * milliseconds; an empty {@code Optional} is {@code null}; the sealed secret is Base64 text.
 */
final class CredentialRows {

    /** The columns a credential is read from: every column but the lease. */
    static final String COLUMNS = "id,provider,account,status,version,sealed_secret,issued_at,access_expires_at,"
            + "refresh_expires_at,last_refresh_at,last_error,updated_at";

    private CredentialRows() {
    }

    /**
     * @param credential the credential
     * @return the row for an insert: every column of {@link #COLUMNS}, no lease
     */
    static ObjectNode row(StoredCredential credential) {
        ObjectNode row = JsonNodeFactory.instance.objectNode();
        row.put("id", credential.id().toString());
        row.setAll(assignments(credential));
        return row;
    }

    /**
     * @param credential the new state
     * @return the columns a compare-and-set writes: all of {@link #COLUMNS} but the key, never the lease
     */
    static ObjectNode assignments(StoredCredential credential) {
        ObjectNode row = JsonNodeFactory.instance.objectNode();
        row.put("provider", credential.id().provider());
        row.put("account", credential.id().account());
        row.put("status", credential.status().wireName());
        row.put("version", credential.version());
        row.put("sealed_secret", credential.secret().toBase64());
        row.put("issued_at", credential.issuedAt().toEpochMilli());
        putMillis(row, "access_expires_at", credential.accessExpiresAt());
        putMillis(row, "refresh_expires_at", credential.refreshExpiresAt());
        putMillis(row, "last_refresh_at", credential.lastRefreshAt());
        if (credential.lastError().isPresent()) {
            row.put("last_error", credential.lastError().get());
        } else {
            row.putNull("last_error");
        }
        row.put("updated_at", credential.updatedAt().toEpochMilli());
        return row;
    }

    /**
     * @param row a row selected with {@link #COLUMNS}
     * @return the credential
     * @throws IllegalArgumentException when a value is missing or not valid; the message names the
     *                                  column, never a secret
     */
    static StoredCredential read(JsonNode row) {
        return new StoredCredential(
                new CredentialId(Columns.text(row, "provider"), Columns.text(row, "account")),
                CredentialStatus.fromWireName(Columns.text(row, "status")),
                sealed(Columns.text(row, "sealed_secret")),
                Instant.ofEpochMilli(Columns.millis(row, "issued_at")),
                Columns.optionalMillis(row, "access_expires_at").map(Instant::ofEpochMilli),
                Columns.optionalMillis(row, "refresh_expires_at").map(Instant::ofEpochMilli),
                Columns.millis(row, "version"),
                Columns.optionalMillis(row, "last_refresh_at").map(Instant::ofEpochMilli),
                Columns.optionalText(row, "last_error"),
                Instant.ofEpochMilli(Columns.millis(row, "updated_at")));
    }

    private static SealedSecret sealed(String base64) {
        try {
            return SealedSecret.fromBase64(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("column sealed_secret is not Base64");
        }
    }

    private static void putMillis(ObjectNode row, String column, Optional<Instant> instant) {
        if (instant.isPresent()) {
            row.put(column, instant.get().toEpochMilli());
        } else {
            row.putNull(column);
        }
    }
}
