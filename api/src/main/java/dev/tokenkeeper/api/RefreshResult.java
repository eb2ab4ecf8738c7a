package dev.tokenkeeper.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** What {@link TokenProvider#refresh} produced. */
public sealed interface RefreshResult {

    /**
     * The upstream issued new secret material. The daemon commits it durably before anything uses it.
     *
     * @param issued the new material, complete (an unrotated refresh token is carried over)
     */
    record Refreshed(IssuedSecret issued) implements RefreshResult {
        /** Rejects null. */
        public Refreshed {
            Objects.requireNonNull(issued, "issued");
        }
    }

    /**
     * The refresh did not happen but may succeed later; the current secret is still what the
     * upstream knows (in particular, a rotating refresh token was not spent, as far as the provider
     * can tell).
     *
     * @param kind       what went wrong
     * @param reason     one human-readable line, no secrets
     * @param retryAfter how long the upstream asked us to wait ({@code Retry-After}), if it did
     */
    record TransientFailure(FailureKind kind, String reason, Optional<Duration> retryAfter)
            implements RefreshResult {
        /** Rejects nulls. */
        public TransientFailure {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(retryAfter, "retryAfter");
        }

        /**
         * @param kind   what went wrong
         * @param reason one human-readable line, no secrets
         * @return a failure without a retry hint
         */
        public static TransientFailure of(FailureKind kind, String reason) {
            return new TransientFailure(kind, reason, Optional.empty());
        }
    }

    /**
     * The upstream refused the refresh for good (refresh token rejected, {@code invalid_grant},
     * session revoked): a human must import or authorize again. The daemon stops retrying.
     *
     * @param reason one human-readable line, no secrets, saying what the upstream answered
     */
    record PermanentFailure(String reason) implements RefreshResult {
        /** Rejects null. */
        public PermanentFailure {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
