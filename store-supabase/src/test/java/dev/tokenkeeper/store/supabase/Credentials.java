package dev.tokenkeeper.store.supabase;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Builds credentials for tests. */
final class Credentials {

    static final Instant T0 = Instant.parse("2025-03-01T10:15:30.123Z");

    private Credentials() {
    }

    /** A version-1 credential with every optional field empty. */
    static StoredCredential minimal(String id, byte... sealed) {
        return new StoredCredential(CredentialId.parse(id), CredentialStatus.ACTIVE, SealedSecret.of(sealed), T0,
                Optional.empty(), Optional.empty(), 1, Optional.empty(), Optional.empty(), T0);
    }

    /** The next version of {@code credential}, its last error set to {@code marker}. */
    static StoredCredential next(StoredCredential credential, String marker) {
        return credential.withStatus(CredentialStatus.ACTIVE, Optional.of(marker),
                credential.updatedAt().plusMillis(1));
    }

    /** The row the Supabase store writes for {@code credential}, to seed {@link FakePostgrest} directly. */
    static Map<String, Object> row(StoredCredential credential) {
        Map<String, Object> row = new LinkedHashMap<>();
        CredentialRows.row(credential).properties()
                .forEach(field -> row.put(field.getKey(), field.getValue().isNull() ? null
                        : field.getValue().isNumber() ? field.getValue().longValue() : field.getValue().asText()));
        return row;
    }
}
