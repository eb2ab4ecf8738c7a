package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.api.CredentialId;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Authorization-code flows started from the console and not yet back: the {@code state} sent to the
 * provider names one of them. A state is used once and lives {@link #LIFETIME}; the callback is
 * checked against it because the session cookie ({@code SameSite=Strict}) does not come along on a
 * redirect from another site.
 */
final class PendingAuthorizations {

    static final Duration LIFETIME = Duration.ofMinutes(10);
    static final int MAX_PENDING = 64;

    /**
     * A flow waiting for its redirect.
     *
     * @param codeVerifier the PKCE verifier; only its S256 hash went to the provider
     */
    record Pending(CredentialId id, URI redirectUri, String codeVerifier, Instant expiresAt) {
        @Override
        public String toString() {
            return "Pending[" + id + ", " + redirectUri + ", verifier hidden]";
        }
    }

    /** A new flow: the state to send and the PKCE challenge of its verifier. */
    record Started(String state, String codeChallenge) {
    }

    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Clock clock;

    PendingAuthorizations(Clock clock) {
        this.clock = clock;
    }

    /** @return the state that names a new flow for this credential, and its PKCE challenge */
    Started start(CredentialId id, URI redirectUri) {
        Instant now = clock.instant();
        pending.values().removeIf(p -> now.isAfter(p.expiresAt()));
        while (pending.size() >= MAX_PENDING) {
            pending.entrySet().stream().min(Map.Entry.comparingByValue(Comparator.comparing(Pending::expiresAt)))
                    .ifPresent(oldest -> pending.remove(oldest.getKey()));
        }
        String state = ConsoleSessions.random();
        String verifier = ConsoleSessions.random();
        pending.put(state, new Pending(id, redirectUri, verifier, now.plus(LIFETIME)));
        return new Started(state, challenge(verifier));
    }

    /** @return the flow this state names, removed so it cannot be used twice; empty when unknown or too old */
    Optional<Pending> finish(String state) {
        if (state == null || state.isEmpty()) {
            return Optional.empty();
        }
        // Look up by constant-time comparison of the key rather than a hash lookup on attacker input.
        for (String key : pending.keySet()) {
            if (MessageDigest.isEqual(key.getBytes(StandardCharsets.UTF_8),
                    state.getBytes(StandardCharsets.UTF_8))) {
                Pending found = pending.remove(key);
                return Optional.ofNullable(found).filter(p -> !clock.instant().isAfter(p.expiresAt()));
            }
        }
        return Optional.empty();
    }

    /** @return {@code BASE64URL(SHA-256(verifier))}, RFC 7636's S256 method */
    static String challenge(String verifier) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
