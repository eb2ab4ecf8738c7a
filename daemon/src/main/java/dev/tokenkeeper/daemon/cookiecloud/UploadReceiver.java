package dev.tokenkeeper.daemon.cookiecloud;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.refresh.CredentialNotFoundException;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import org.tinylog.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Takes a CookieCloud upload for a link and decides what it is worth: the provider's cookies of the
 * decrypted upload (every other cookie, and the local storage, discarded unread) are imported only
 * when they hold a session newer than the one held ({@link TokenProvider#sessionIssuedAt}) and not
 * expired, and the account is then refreshed at once through the refresh pipeline, so the daemon
 * owns the chain. Uploads of one link are taken one at a time, at most {@link #MOST_UPLOADS} per
 * {@link #WINDOW}; a replayed upload (the same ciphertext as the last one) is not even decrypted.
 *
 * <p>Nothing of an upload (uuid, password, cookies, tokens) reaches a log line or an answer.
 */
public final class UploadReceiver {

    /** How many uploads one link may send per {@link #WINDOW} (the extension sends one every few minutes). */
    public static final int MOST_UPLOADS = 10;
    /** The rate window. */
    public static final Duration WINDOW = Duration.ofMinutes(10);

    /** What the extension sent, from the body {@code {"uuid","encrypted","crypto_type"}}. */
    public record Upload(String uuid, String encrypted, String cryptoType) {
        /** @return nothing of the upload */
        @Override
        public String toString() {
            return "Upload[hidden]";
        }
    }

    /** How an upload ended. */
    public sealed interface Outcome {
        /** @return one line for the extension's user and the log, never a secret */
        String message();

        /** The session was imported and refreshed. */
        record Imported(CredentialId credential, String message) implements Outcome {
        }

        /** Nothing changed, on purpose (older, equal, replayed, expired, no session). */
        record Ignored(CredentialId credential, String message) implements Outcome {
        }

        /** The upload's uuid is not the link's. */
        record UnknownUuid(String message) implements Outcome {
        }

        /** Too many uploads of the link. */
        record TooMany(Duration retryAfter, String message) implements Outcome {
        }

        /** The upload does not open with the link's password, or its content is not CookieCloud's. */
        record Undecryptable(String message) implements Outcome {
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxNumberLength(64).build())
            .build());

    private final CredentialService credentials;
    private final RefreshPipeline pipeline;
    private final Clock clock;
    private final Map<CredentialId, LinkState> states = new ConcurrentHashMap<>();

    /**
     * @param credentials imports and refreshes
     * @param pipeline    the providers and the held credentials
     * @param clock       the daemon's clock (rate windows, expiry)
     */
    public UploadReceiver(CredentialService credentials, RefreshPipeline pipeline, Clock clock) {
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * @param link   the link the importer token named
     * @param upload what the extension sent
     * @return what came of it
     */
    public Outcome receive(CookieCloudLinks.Link link, Upload upload) {
        LinkState state = states.computeIfAbsent(link.credential(), id -> new LinkState());
        synchronized (state) {
            Optional<Duration> wait = state.admit(clock.instant());
            if (wait.isPresent()) {
                return new Outcome.TooMany(wait.get(), "more than " + MOST_UPLOADS + " uploads in " + WINDOW.toMinutes()
                        + " minutes for " + link.credential() + ": set the extension's interval to a few minutes");
            }
            if (!MessageDigest.isEqual(sha256(upload.uuid()), sha256(link.uuid()))) {
                return new Outcome.UnknownUuid("unknown uuid");
            }
            byte[] digest = sha256(upload.encrypted());
            if (MessageDigest.isEqual(digest, state.lastUpload)) {
                return ignored(link, "the same upload as the last one (replayed or unchanged)");
            }
            String cookies;
            try {
                cookies = providerCookies(CookieCloudCipher.decrypt(upload.cryptoType(), upload.encrypted(), link.uuid(),
                        link.password()), pipeline.provider(link.credential()).cookieDomains());
            } catch (UndecryptableUploadException e) {
                Logger.warn("cookiecloud: an upload for {} was refused: {}", link.credential(), e.getMessage());
                return new Outcome.Undecryptable("the upload does not open with the password linked to this uuid ("
                        + e.getMessage() + "): enter the same password in the extension and in `tokenkeeper cookiecloud"
                        + " link`");
            }
            state.lastUpload = digest;
            return consider(link.credential(), cookies);
        }
    }

    private Outcome consider(CredentialId id, String cookies) {
        TokenProvider provider = pipeline.provider(id);
        ImportedSecret candidate;
        try {
            candidate = provider.importSecret(new SecretInput.CookieFile(cookies));
        } catch (InvalidSecretException e) {
            return ignored(id, "the upload holds no usable " + id.provider() + " session (" + e.getMessage() + ")");
        }
        Instant now = clock.instant();
        Optional<Instant> ends = candidate.issued().refreshExpiresAt().or(() -> candidate.issued().accessExpiresAt());
        if (ends.isPresent() && !ends.get().isAfter(now)) {
            return ignored(id, "the browser's session has expired (" + ends.get() + ")");
        }
        Optional<Instant> issued = provider.sessionIssuedAt(candidate.issued().secret());
        if (issued.isEmpty()) {
            return ignored(id, "provider " + id.provider() + " cannot tell how old the browser's session is");
        }
        Optional<Instant> held = heldSince(id);
        if (held.isPresent() && !issued.get().isAfter(held.get())) {
            return ignored(id, "the browser's session (issued " + issued.get() + ") is not newer than the one held"
                    + " (issued " + held.get() + ")");
        }
        try {
            credentials.importSecret(id, new SecretInput.CookieFile(cookies));
        } catch (InvalidSecretException e) {
            return ignored(id, "the upload holds no usable " + id.provider() + " session (" + e.getMessage() + ")");
        }
        String refreshed;
        try {
            refreshed = refreshed(credentials.refresh(id, true));
        } catch (RuntimeException e) {
            refreshed = "its first refresh is still running or failed (" + e.getMessage() + ")";
        }
        String message = "imported the browser's newer session (issued " + issued.get() + "); " + refreshed;
        Logger.info("cookiecloud: {}: {}", id, message);
        return new Outcome.Imported(id, message);
    }

    private static String refreshed(RefreshReport report) {
        return report instanceof RefreshReport.Refreshed done
                ? "refreshed at once (version " + done.credential().version() + "): tokenkeeper now owns the chain"
                : report instanceof RefreshReport.RetryLater later ? "its first refresh failed and is retried: " + later.reason()
                : report instanceof RefreshReport.NeedsHuman human ? "its first refresh was refused: " + human.reason()
                : "its first refresh was skipped";
    }

    /** @return when the held session was issued, if one is held and opens */
    private Optional<Instant> heldSince(CredentialId id) {
        try {
            StoredCredential stored = pipeline.stored(id);
            return pipeline.provider(id).sessionIssuedAt(pipeline.open(stored).secret());
        } catch (CredentialNotFoundException | UnsealException e) {
            // Nothing held, or nothing that opens: the browser's session is the best there is.
            return Optional.empty();
        }
    }

    private static Outcome ignored(CookieCloudLinks.Link link, String why) {
        return ignored(link.credential(), why);
    }

    private static Outcome ignored(CredentialId id, String why) {
        Logger.info("cookiecloud: an upload for {} was ignored: {}", id, why);
        return new Outcome.Ignored(id, "ignored: " + why);
    }

    /**
     * @param decrypted the decrypted upload {@code {"cookie_data": {keyword: [cookie, ...]}, ...}}
     * @param domains   the provider's domain keywords
     * @return a JSON array of the cookies whose domain contains a keyword; nothing else is kept
     * @throws UndecryptableUploadException when the text is not CookieCloud's content (a wrong key can
     *                                      decrypt to garbage with a valid padding)
     */
    static String providerCookies(String decrypted, List<String> domains) throws UndecryptableUploadException {
        JsonNode content;
        try {
            content = JSON.readTree(decrypted);
        } catch (JsonProcessingException e) {
            throw new UndecryptableUploadException("the decrypted upload is not JSON");
        }
        if (content == null || !content.path("cookie_data").isObject()) {
            throw new UndecryptableUploadException("the decrypted upload has no cookie_data");
        }
        ArrayNode kept = JSON.createArrayNode();
        for (JsonNode group : content.path("cookie_data")) {
            for (JsonNode cookie : group) {
                String domain = cookie.path("domain").asText("").toLowerCase(Locale.ROOT);
                if (cookie.isObject() && domains.stream().anyMatch(domain::contains)) {
                    kept.add(cookie);
                }
            }
        }
        return kept.toString();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(String.valueOf(text).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One link's uploads: their times in the window and the last one's digest. */
    private static final class LinkState {
        private final Deque<Instant> recent = new ArrayDeque<>();
        private byte[] lastUpload = new byte[0];

        Optional<Duration> admit(Instant now) {
            while (!recent.isEmpty() && !recent.peekFirst().isAfter(now.minus(WINDOW))) {
                recent.removeFirst();
            }
            if (recent.size() >= MOST_UPLOADS) {
                return Optional.of(Duration.between(now, recent.peekFirst().plus(WINDOW)));
            }
            recent.addLast(now);
            return Optional.empty();
        }
    }
}
