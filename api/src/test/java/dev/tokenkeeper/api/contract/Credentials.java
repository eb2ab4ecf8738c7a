package dev.tokenkeeper.api.contract;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import java.time.Instant;
import java.util.Optional;

/** Builds credentials for store tests. */
public final class Credentials {

    /** The instant every credential built here is issued and updated at, and {@link MutableClock}s start at. */
    public static final Instant T0 = Instant.parse("2025-03-01T10:15:30.123Z");

    private Credentials() {
    }

    /**
     * A version-1 credential with every optional field empty.
     *
     * @param id     the credential id, e.g. {@code gazelle:default}
     * @param sealed the sealed secret's bytes (may be none)
     * @return an {@link CredentialStatus#ACTIVE} credential issued and updated at {@link #T0}
     */
    public static StoredCredential minimal(String id, byte... sealed) {
        return new StoredCredential(CredentialId.parse(id), CredentialStatus.ACTIVE, SealedSecret.of(sealed), T0,
                Optional.empty(), Optional.empty(), 1, Optional.empty(), Optional.empty(), T0);
    }

    /**
     * The next version of a credential, marked so that a test can tell which writer wrote it.
     *
     * @param credential the version a writer read
     * @param marker     put into the last error
     * @return version + 1, updated one millisecond later
     */
    public static StoredCredential next(StoredCredential credential, String marker) {
        return credential.withStatus(CredentialStatus.ACTIVE, Optional.of(marker),
                credential.updatedAt().plusMillis(1));
    }
}
