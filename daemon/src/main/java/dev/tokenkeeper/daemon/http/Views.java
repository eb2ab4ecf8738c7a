package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The JSON shapes of the control API. None carries a secret except {@link TokenView}. */
final class Views {

    private Views() {
    }

    /**
     * A credential without its secret.
     *
     * @param note what kind of credential it is when that matters, e.g. "no refresh token: import again
     *             before ..."; null (left out) for a credential that refreshes
     */
    record CredentialView(String id, String provider, String account, String status, long version,
                          Instant issuedAt, Instant accessExpiresAt, Instant refreshExpiresAt,
                          Instant lastRefreshAt, String lastError, Instant updatedAt, Instant nextRefreshAt,
                          @JsonInclude(JsonInclude.Include.NON_NULL) String note) {

        static CredentialView of(StoredCredential c, Instant nextRefreshAt) {
            return of(c, nextRefreshAt, Optional.empty());
        }

        static CredentialView of(StoredCredential c, Instant nextRefreshAt, Optional<String> note) {
            return new CredentialView(c.id().toString(), c.id().provider(), c.id().account(), c.status().wireName(),
                    c.version(), c.issuedAt(), c.accessExpiresAt().orElse(null), c.refreshExpiresAt().orElse(null),
                    c.lastRefreshAt().orElse(null), c.lastError().orElse(null), c.updatedAt(), nextRefreshAt,
                    note.orElse(null));
        }
    }

    /** The answer to an import. */
    record ImportView(CredentialView credential, List<String> warnings, boolean replaced) {
    }

    /** The answer to a refresh request. */
    record RefreshView(String outcome, String detail, CredentialView credential) {
    }

    /**
     * A valid token for a consumer. When the upstream's tokens live shorter than the consumer asked,
     * {@code validityShortBySeconds} says by how much (null when the token lasts long enough),
     * {@code validForSeconds} how long it does, and {@code warning} says so in words.
     */
    record TokenView(String id, String token, Map<String, String> headers, Instant expiresAt, long version,
                     Long validForSeconds, Long validityShortBySeconds, String warning) {

        TokenView(String id, String token, Map<String, String> headers, Instant expiresAt, long version) {
            this(id, token, headers, expiresAt, version, null, null, null);
        }

        @Override
        public String toString() {
            return "TokenView[" + id + " v" + version + ", hidden]";
        }
    }

    /** One history line. */
    record EventView(Instant at, String outcome, String detail, long durationMs, long version) {
        static EventView of(RefreshEvent e) {
            return new EventView(e.at(), e.outcome().wireName(), e.detail(), e.duration().toMillis(), e.version());
        }
    }

    /** One provider or store. */
    record PluginView(String kind, String id, String description, String module, String version, String jar,
                      boolean bundled) {
    }

    /** A skipped plugin jar. */
    record ProblemView(String jar, String reason) {
    }

    /** An error. */
    record ErrorView(String error, String message) {
    }
}
