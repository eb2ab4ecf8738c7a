package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.StoredCredential;

import java.time.Duration;
import java.time.Instant;

/**
 * Whether a credential's access token lasts long enough for a consumer. A consumer's
 * {@code minValidity} is capped at half the token's lifetime: an upstream that issues 30-second
 * tokens cannot satisfy "valid for 60 s", and asking would refresh on every read.
 */
final class Validity {

    private Validity() {
    }

    static boolean enough(StoredCredential credential, Instant now, Duration minValidity) {
        if (credential.accessExpiresAt().isEmpty()) {
            return true;
        }
        Instant expiry = credential.accessExpiresAt().get();
        Duration half = Duration.between(credential.issuedAt(), expiry).dividedBy(2);
        Duration wanted = half.isNegative() || minValidity.compareTo(half) <= 0 ? minValidity : half;
        return !expiry.isBefore(now.plus(wanted));
    }
}
