package dev.tokenkeeper.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** What {@link TokenProvider#validate} found out about the current access token. */
public sealed interface ValidationResult {

    /** The upstream accepted the token. */
    record Accepted() implements ValidationResult {
    }

    /**
     * The upstream rejected the token as expired or revoked (for example HTTP 401): refresh it.
     *
     * @param reason one human-readable line, no secrets
     */
    record Rejected(String reason) implements ValidationResult {
        /** Rejects null. */
        public Rejected {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * The check itself failed (network, 5xx, anti-bot wall): nothing is known about the token.
     *
     * @param kind       what went wrong
     * @param reason     one human-readable line, no secrets
     * @param retryAfter how long the upstream asked us to wait, if it did
     */
    record Inconclusive(FailureKind kind, String reason, Optional<Duration> retryAfter)
            implements ValidationResult {
        /** Rejects nulls. */
        public Inconclusive {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(retryAfter, "retryAfter");
        }
    }
}
