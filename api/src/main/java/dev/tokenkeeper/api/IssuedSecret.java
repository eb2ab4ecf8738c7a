package dev.tokenkeeper.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Secret material together with the lifetimes the upstream gave it: what an import or a refresh
 * produces.
 *
 * @param secret           the new secret material (complete: fields the upstream did not rotate are
 *                         carried over by the provider)
 * @param issuedAt         when the upstream issued it (or when the response arrived, if it did not say)
 * @param accessExpiresAt  when the access token stops working, if known
 * @param refreshExpiresAt when the refresh token (or session) stops working, if known
 */
public record IssuedSecret(SecretMaterial secret,
                           Instant issuedAt,
                           Optional<Instant> accessExpiresAt,
                           Optional<Instant> refreshExpiresAt) {

    /** Rejects nulls. */
    public IssuedSecret {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(accessExpiresAt, "accessExpiresAt");
        Objects.requireNonNull(refreshExpiresAt, "refreshExpiresAt");
    }
}
