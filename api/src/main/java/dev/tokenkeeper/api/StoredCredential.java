package dev.tokenkeeper.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One credential as a {@link TokenStore} keeps it. Everything but the secret is in clear so that
 * {@code status} and scheduling work without the key; the secret is sealed.
 *
 * @param id               {@code provider:account}
 * @param status           where it stands
 * @param secret           the sealed secret material
 * @param issuedAt         when the current secret was issued
 * @param accessExpiresAt  when the current access token expires, if known
 * @param refreshExpiresAt when the current refresh token or session expires, if known
 * @param version          increases by exactly one on every change; used for compare-and-set
 * @param lastRefreshAt    when the last successful refresh (or import) happened
 * @param lastError        the last failure, one human-readable line without secrets, if any
 * @param updatedAt        when this row last changed
 */
public record StoredCredential(CredentialId id,
                               CredentialStatus status,
                               SealedSecret secret,
                               Instant issuedAt,
                               Optional<Instant> accessExpiresAt,
                               Optional<Instant> refreshExpiresAt,
                               long version,
                               Optional<Instant> lastRefreshAt,
                               Optional<String> lastError,
                               Instant updatedAt) {

    /** Rejects nulls and negative versions. */
    public StoredCredential {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(accessExpiresAt, "accessExpiresAt");
        Objects.requireNonNull(refreshExpiresAt, "refreshExpiresAt");
        Objects.requireNonNull(lastRefreshAt, "lastRefreshAt");
        Objects.requireNonNull(lastError, "lastError");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative: " + version);
        }
    }

    /**
     * @param status    the new status
     * @param lastError the new last error
     * @param now       the time of the change
     * @return a copy with the next version, the given status and error, and the secret unchanged
     */
    public StoredCredential withStatus(CredentialStatus status, Optional<String> lastError, Instant now) {
        return new StoredCredential(id, status, secret, issuedAt, accessExpiresAt, refreshExpiresAt,
                version + 1, lastRefreshAt, lastError, now);
    }

    /**
     * Checks that this state may replace {@code expectedVersion} in a
     * {@linkplain TokenStore#compareAndSet compare-and-set}, as every store must before it writes.
     *
     * @param expectedVersion the version the writer read
     * @return this
     * @throws IllegalArgumentException unless this version is {@code expectedVersion + 1}
     */
    public StoredCredential checkFollows(long expectedVersion) {
        if (version != expectedVersion + 1) {
            throw new IllegalArgumentException("compare-and-set of " + id + ": new version " + version
                    + " must be the expected version " + expectedVersion + " plus one");
        }
        return this;
    }
}
