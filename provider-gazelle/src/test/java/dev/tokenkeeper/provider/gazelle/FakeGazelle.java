package dev.tokenkeeper.provider.gazelle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local imitation of Gazelle for tests: a real HTTP server on {@code 127.0.0.1} (random port)
 * that behaves like Gazelle's Doorkeeper token endpoint and its GraphQL API, including the
 * unpleasant parts.
 *
 * <ul>
 *   <li>{@code POST /developer/oauth/token} takes form-encoded or JSON bodies (client credentials in
 *       the body or as HTTP Basic). Grant {@code refresh_token}: a refresh token works only while it
 *       is the <em>current</em> one of its chain; with rotation on (the default) using it issues a
 *       new access and refresh token and the old refresh token is spent. A spent or unknown refresh
 *       token gets {@code 400 {"error":"invalid_grant",...}} and counts as a {@link #reuseCount()
 *       reuse}. Grant {@code authorization_code}: codes from {@link #issueAuthorizationCode} or the
 *       authorize endpoint, single use, bound to their redirect URI. Wrong client credentials get
 *       {@code 401 {"error":"invalid_client",...}}. Answers carry {@code created_at} (epoch seconds)
 *       and {@code expires_in} = the {@link #accessLifetime(Duration) access lifetime}.</li>
 *   <li>{@link #doorkeeper(boolean) Doorkeeper mode} (off: the strict server, whose old refresh token
 *       is revoked at once): the old refresh token stays valid until the new access token is first
 *       used at the API; presented again before that, it gets {@code 200} with a second, separate
 *       pair (the first pair stays alive too), counted as a {@link #graceRefreshCount() grace refresh},
 *       not a reuse. The first use of the new access token revokes the old refresh token and the old
 *       access token.</li>
 *   <li>{@code POST /graphql/private} (also with a trailing slash): {@code 200
 *       {"data":{"__typename":"Query"}}} for a current, unexpired access token, {@code 401
 *       {"error":"unauthorized"}} otherwise.</li>
 *   <li>{@code GET /developer/oauth/authorize?client_id&response_type=code&redirect_uri&state}:
 *       approves at once and redirects (302) to {@code redirect_uri?code=..&state=..}, for the
 *       account set with {@link #authorizeAs(String)}.</li>
 * </ul>
 *
 * <p>{@link Fault Faults} can be switched on at run time for either endpoint, for good or for the
 * next few requests. Every method is thread-safe; the server answers on a pool of threads so a slow
 * answer does not hold up the others.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (FakeGazelle gazelle = FakeGazelle.start()) {
 *     gazelle.accessLifetime(Duration.ofSeconds(3));
 *     String tokenJson = gazelle.seedChain("default");   // import this
 *     Map<String, String> env = gazelle.settings();      // GAZELLE_* pointing here
 *     ...
 *     assertEquals(0, gazelle.reuseCount());
 * }
 * }</pre>
 *
 * <p>Classpath note for other modules: this class needs the {@code jdk.httpserver} module
 * ({@code --add-modules jdk.httpserver}) and Jackson.
 */
public final class FakeGazelle implements AutoCloseable {

    /** The path of the token endpoint. */
    public static final String TOKEN_PATH = "/developer/oauth/token";
    /** The path of the authorization endpoint. */
    public static final String AUTHORIZE_PATH = "/developer/oauth/authorize";
    /** The path of the GraphQL API. */
    public static final String API_PATH = "/graphql/private";
    /** Gazelle's access-token lifetime as far as anyone knows: 30 days. */
    public static final Duration DEFAULT_ACCESS_LIFETIME = Duration.ofSeconds(2_592_000);
    /** Doorkeeper's description of {@code invalid_grant}. */
    public static final String INVALID_GRANT_DESCRIPTION = "The provided authorization grant is invalid, expired, "
            + "revoked, does not match the redirection URI used in the authorization request, or was issued to "
            + "another client.";

    private static final String INVALID_CLIENT_DESCRIPTION = "Client authentication failed due to unknown client, "
            + "no client authentication included, or unsupported authentication method.";
    private static final Duration CODE_LIFETIME = Duration.ofMinutes(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService executor;
    private final URI baseUrl;
    private final String clientId = "tokenkeeper-test-client";
    private final String clientSecret = "client-secret-" + randomToken();

    private final Object lock = new Object();
    /** Where "now" comes from: the system clock, or the clock a test shares with the code under test. */
    private volatile Clock clock = Clock.systemUTC();
    // Everything below is guarded by lock.
    private Duration accessLifetime = DEFAULT_ACCESS_LIFETIME;
    private boolean rotation = true;
    private Duration refreshLifetime;
    private String authorizeAccount = "default";
    private boolean pkceRequired;
    private int pkceRejections;
    private final Map<String, Chain> chains = new TreeMap<>();
    private final Map<String, Chain> chainByRefreshToken = new HashMap<>();
    private final Map<String, Chain> chainByAccessToken = new HashMap<>();
    private final Map<String, Chain> chainByPreviousRefreshToken = new HashMap<>();
    private final Map<String, PendingCode> codes = new HashMap<>();
    private final Set<String> spentRefreshTokens = new LinkedHashSet<>();
    private final Set<String> revokedRefreshTokens = new LinkedHashSet<>();
    private final Set<String> issuedSecrets = new LinkedHashSet<>();
    private final List<TokenRequest> tokenRequests = new ArrayList<>();
    private final FaultPlan tokenFaults = new FaultPlan();
    private final FaultPlan apiFaults = new FaultPlan();
    private int reuseCount;
    private final Map<String, Instant> spentAt = new HashMap<>();
    private final List<Instant> reusedTokenSpentTimes = new ArrayList<>();
    private final List<Instant> reusedTokenPresentedTimes = new ArrayList<>();
    private int apiRequestCount;
    private boolean doorkeeper;
    private int graceRefreshCount;
    private int pkceExchanges;

    private FakeGazelle() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        int instance = INSTANCES.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        executor = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "fake-gazelle-" + instance + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext(TOKEN_PATH, exchange -> serve(exchange, this::handleToken));
        server.createContext(AUTHORIZE_PATH, exchange -> serve(exchange, this::handleAuthorize));
        server.createContext(API_PATH, exchange -> serve(exchange, this::handleApi));
        server.createContext("/", exchange -> serve(exchange, e -> respond(e, 404, "text/plain", "Not Found")));
        server.start();
        baseUrl = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        synchronized (lock) {
            issuedSecrets.add(clientSecret);
        }
    }

    /**
     * Starts a server on a random port of {@code 127.0.0.1}.
     *
     * @return the running server; close it when done
     * @throws UncheckedIOException when no port can be bound
     */
    public static FakeGazelle start() {
        try {
            return new FakeGazelle();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start FakeGazelle on 127.0.0.1", e);
        }
    }

    // ---------------------------------------------------------------- addresses and settings

    /** @return {@code http://127.0.0.1:<port>} */
    public URI baseUrl() {
        return baseUrl;
    }

    /** @return the token endpoint, for {@code GAZELLE_OAUTH_TOKEN_URL} */
    public URI tokenUrl() {
        return baseUrl.resolve(TOKEN_PATH);
    }

    /** @return the authorization endpoint, for {@code GAZELLE_OAUTH_AUTHORIZE_URL} */
    public URI authorizeUrl() {
        return baseUrl.resolve(AUTHORIZE_PATH);
    }

    /** @return the GraphQL API, for {@code GAZELLE_API_URL} */
    public URI apiUrl() {
        return baseUrl.resolve(API_PATH);
    }

    /** @return the OAuth client id the server accepts */
    public String clientId() {
        return clientId;
    }

    /** @return the OAuth client secret the server accepts (random per instance; also in {@link #allIssuedSecrets()}) */
    public String clientSecret() {
        return clientSecret;
    }

    /**
     * @return {@code GAZELLE_CLIENT_ID}, {@code GAZELLE_CLIENT_SECRET}, {@code GAZELLE_OAUTH_TOKEN_URL},
     *         {@code GAZELLE_OAUTH_AUTHORIZE_URL} and {@code GAZELLE_API_URL} pointing at this server
     */
    public Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("GAZELLE_CLIENT_ID", clientId);
        settings.put("GAZELLE_CLIENT_SECRET", clientSecret);
        settings.put("GAZELLE_OAUTH_TOKEN_URL", tokenUrl().toString());
        settings.put("GAZELLE_OAUTH_AUTHORIZE_URL", authorizeUrl().toString());
        settings.put("GAZELLE_API_URL", apiUrl().toString());
        return settings;
    }

    // ---------------------------------------------------------------- behaviour

    /**
     * @param time where "now" comes from from now on (token lifetimes, codes, the request log), such
     *             as a clock a test moves and shares with the daemon
     * @return this server
     */
    public FakeGazelle clock(Clock time) {
        this.clock = Objects.requireNonNull(time, "clock");
        return this;
    }

    /**
     * Sets the lifetime of access tokens issued from now on ({@code expires_in}).
     *
     * @param lifetime at least one second; tests use 2 to 5 s
     * @return this server
     */
    public FakeGazelle accessLifetime(Duration lifetime) {
        if (lifetime.toSeconds() < 1) {
            throw new IllegalArgumentException("access lifetime must be at least one second (expires_in is in seconds)");
        }
        synchronized (lock) {
            accessLifetime = lifetime;
        }
        return this;
    }

    /**
     * Turns refresh-token rotation on (the default) or off. Off: a refresh issues a new access token
     * only, the answer has no {@code refresh_token}, and the refresh token stays current.
     *
     * @param on whether to rotate
     * @return this server
     */
    public FakeGazelle rotateRefreshTokens(boolean on) {
        synchronized (lock) {
            rotation = on;
        }
        return this;
    }

    /**
     * Doorkeeper with its {@code previous_refresh_token} column (on), or a server that revokes the old
     * refresh token at once (off, the default). See the class comment.
     *
     * @param on whether the old refresh token stays valid until the new access token is used
     * @return this server
     */
    public FakeGazelle doorkeeper(boolean on) {
        synchronized (lock) {
            doorkeeper = on;
        }
        return this;
    }

    /**
     * Like an authorization server that enforces PKCE for public clients: an authorize request
     * without an S256 {@code code_challenge} is sent back with {@code error=invalid_request}. A
     * code issued for a challenge always needs the matching {@code code_verifier}, required or not.
     *
     * @param on whether a challenge is required
     * @return this server
     */
    public FakeGazelle requirePkce(boolean on) {
        synchronized (lock) {
            pkceRequired = on;
        }
        return this;
    }

    /**
     * Gives refresh tokens issued from now on an end ({@code refresh_token_expires_in} in answers and
     * in {@link #seedChain}); after it, the refresh token gets {@code invalid_grant}. With rotation
     * off, the end stays where it was: a chain that refreshing cannot renew.
     *
     * @param lifetime how long a new refresh token lasts, or null for no end (the default)
     * @return this server
     */
    public FakeGazelle refreshTokenLifetime(Duration lifetime) {
        synchronized (lock) {
            refreshLifetime = lifetime;
        }
        return this;
    }

    /** @return refreshes that presented the previous refresh token again inside Doorkeeper's grace */
    public int graceRefreshCount() {
        synchronized (lock) {
            return graceRefreshCount;
        }
    }

    /** @return how many authorize requests or code exchanges were refused for a missing or wrong PKCE value */
    public int pkceRejections() {
        synchronized (lock) {
            return pkceRejections;
        }
    }

    /**
     * @param account the chain the authorize endpoint creates codes for (default {@code default})
     * @return this server
     */
    public FakeGazelle authorizeAs(String account) {
        synchronized (lock) {
            authorizeAccount = Objects.requireNonNull(account, "account");
        }
        return this;
    }

    /**
     * Makes every token-endpoint request answer with a fault until changed; {@link Fault#normal()}
     * restores normal service (and clears the "next N" queue).
     *
     * @param fault the fault
     */
    public void tokenFault(Fault fault) {
        synchronized (lock) {
            tokenFaults.always(fault);
        }
    }

    /**
     * Makes the next {@code count} token-endpoint requests answer with a fault, then the standing
     * behaviour again. Calls queue up in order.
     *
     * @param count how many requests
     * @param fault the fault
     */
    public void tokenFaultForNext(int count, Fault fault) {
        synchronized (lock) {
            tokenFaults.next(count, fault);
        }
    }

    /**
     * Like {@link #tokenFault} for the GraphQL API.
     *
     * @param fault the fault
     */
    public void apiFault(Fault fault) {
        synchronized (lock) {
            apiFaults.always(fault);
        }
    }

    /**
     * Like {@link #tokenFaultForNext} for the GraphQL API.
     *
     * @param count how many requests
     * @param fault the fault
     */
    public void apiFaultForNext(int count, Fault fault) {
        synchronized (lock) {
            apiFaults.next(count, fault);
        }
    }

    // ---------------------------------------------------------------- chains

    /**
     * Starts a new token chain for an account, as if the user had just authorized; an existing chain
     * of that account is revoked.
     *
     * @param account a name for the chain
     * @return the token JSON existing deployments keep in Supabase:
     *         {@code {"access_token","refresh_token","expires_in","created_at"}}
     */
    public String seedChain(String account) {
        synchronized (lock) {
            Chain chain = newChain(account);
            ObjectNode json = JSON.createObjectNode();
            json.put("access_token", chain.accessToken);
            json.put("refresh_token", chain.refreshToken);
            json.put("expires_in", chain.accessLifetime.toSeconds());
            json.put("created_at", chain.accessIssuedAt.getEpochSecond());
            if (chain.refreshExpiresAt != null) {
                json.put("refresh_token_expires_in", chain.refreshExpiresIn());
            }
            return json.toString();
        }
    }

    /**
     * Issues an authorization code, as the authorize endpoint would after the user approved.
     * Exchanging it starts a new chain for the account.
     *
     * @param account     the chain the code creates
     * @param redirectUri the redirect URI the exchange must name
     * @return the code (single use, valid ten minutes)
     */
    public String issueAuthorizationCode(String account, URI redirectUri) {
        return issueAuthorizationCode(account, redirectUri, Optional.empty());
    }

    private String issueAuthorizationCode(String account, URI redirectUri, Optional<String> codeChallenge) {
        synchronized (lock) {
            String code = randomToken();
            codes.put(code, new PendingCode(account, redirectUri.toString(), clock.instant().plus(CODE_LIFETIME), codeChallenge));
            issuedSecrets.add(code);
            return code;
        }
    }

    /**
     * Makes an account's current access token invalid (the API answers 401) while its refresh token
     * keeps working.
     *
     * @param account the chain
     */
    public void revokeAccessToken(String account) {
        synchronized (lock) {
            Chain chain = chain(account);
            chainByAccessToken.remove(chain.accessToken);
            chain.accessRevoked = true;
        }
    }

    /**
     * Revokes an account's chain, as a user removing the app would: its refresh token gets
     * {@code invalid_grant} (not counted as a reuse) and its access token 401.
     *
     * @param account the chain
     */
    public void revokeChain(String account) {
        synchronized (lock) {
            revoke(chain(account));
        }
    }

    // ---------------------------------------------------------------- introspection

    /** @return how many authorization codes were exchanged with a verifier matching their PKCE challenge */
    public int pkceExchangeCount() {
        synchronized (lock) {
            return pkceExchanges;
        }
    }

    private static String s256(String verifier) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return how many refresh-grant requests reached the token endpoint, faulted ones included */
    public int refreshRequestCount() {
        return refreshRequestTimes().size();
    }

    /** @return when each refresh-grant request arrived, oldest first */
    public List<Instant> refreshRequestTimes() {
        synchronized (lock) {
            return tokenRequests.stream().filter(r -> "refresh_token".equals(r.grantType()))
                    .map(TokenRequest::at).toList();
        }
    }

    /** @return every token-endpoint request, oldest first */
    public List<TokenRequest> tokenRequests() {
        synchronized (lock) {
            return List.copyOf(tokenRequests);
        }
    }

    /** @return how many GraphQL requests arrived, faulted ones included */
    public int apiRequestCount() {
        synchronized (lock) {
            return apiRequestCount;
        }
    }

    /**
     * For each reuse of a spent refresh token: when that token had been spent (its refresh answered).
     * A crash test compares these with its kill times to tell "killed between the answer and the
     * commit" from any other loss.
     *
     * @return spend times, in order of reuse
     */
    public List<Instant> reusedTokenSpentTimes() {
        synchronized (lock) {
            return List.copyOf(reusedTokenSpentTimes);
        }
    }

    /** @return when each spent token of {@link #reusedTokenSpentTimes()} was presented again (same order) */
    public List<Instant> reusedTokenPresentedTimes() {
        synchronized (lock) {
            return List.copyOf(reusedTokenPresentedTimes);
        }
    }

    /**
     * @return how many times a spent or unknown refresh token was presented: must stay 0 in a
     *         healthy test (a revoked chain's token is not counted)
     */
    public int reuseCount() {
        synchronized (lock) {
            return reuseCount;
        }
    }

    /** @return the refresh tokens that were rotated away, in order */
    public Set<String> spentRefreshTokens() {
        synchronized (lock) {
            return Set.copyOf(spentRefreshTokens);
        }
    }

    /**
     * @param accessToken an access token
     * @return whether the API would accept it now (current in its chain, not expired, not revoked)
     */
    public boolean isAccessTokenValid(String accessToken) {
        synchronized (lock) {
            Chain chain = chainByAccessToken.get(accessToken);
            return chain != null && clock.instant().isBefore(chain.accessExpiresAt());
        }
    }

    /**
     * @param account a chain
     * @return its current access token (possibly expired)
     */
    public String currentAccessToken(String account) {
        synchronized (lock) {
            return chain(account).accessToken;
        }
    }

    /**
     * @param account a chain
     * @return its current refresh token
     */
    public String currentRefreshToken(String account) {
        synchronized (lock) {
            return chain(account).refreshToken;
        }
    }

    /** @return successful refreshes of each account's current chain (seeding again starts at 0) */
    public Map<String, Integer> refreshesPerChain() {
        synchronized (lock) {
            Map<String, Integer> counts = new TreeMap<>();
            chains.forEach((account, chain) -> counts.put(account, chain.refreshes));
            return counts;
        }
    }

    /**
     * @return every secret this server ever issued or holds: access and refresh tokens,
     *         authorization codes and the client secret, so tests can check that none leaks into logs
     */
    public Set<String> allIssuedSecrets() {
        synchronized (lock) {
            return Set.copyOf(issuedSecrets);
        }
    }

    /** Stops the server at once; slow answers in progress are abandoned. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "FakeGazelle[" + baseUrl + "]";
    }

    // ---------------------------------------------------------------- faults

    /**
     * Something the fake does instead of (or before) answering normally. At the token endpoint and
     * at the API, unless a fault says otherwise.
     */
    public sealed interface Fault {

        /** @return normal service */
        static Fault normal() {
            return new Normal();
        }

        /** @return token endpoint: 400 {@code invalid_grant} for every grant; API: 401 */
        static Fault invalidGrant() {
            return new InvalidGrant();
        }

        /** @return 503 with an HTML page and no {@code Retry-After} */
        static Fault serviceUnavailable() {
            return new ServiceUnavailable(Optional.empty());
        }

        /**
         * @param retryAfter the {@code Retry-After} to send, in whole seconds
         * @return 503 with an HTML page and {@code Retry-After}
         */
        static Fault serviceUnavailable(Duration retryAfter) {
            return new ServiceUnavailable(Optional.of(retryAfter));
        }

        /**
         * @param retryAfter the wait to announce, sent as whole seconds
         * @return 429 with {@code Retry-After: <seconds>}
         */
        static Fault rateLimited(Duration retryAfter) {
            return new RateLimited(String.valueOf(retryAfter.toSeconds()));
        }

        /**
         * @param until the time to announce, sent as an HTTP date
         * @return 429 with {@code Retry-After: <HTTP date>}
         */
        static Fault rateLimitedUntil(Instant until) {
            return new RateLimited(DateTimeFormatter.RFC_1123_DATE_TIME.format(until.atOffset(ZoneOffset.UTC)));
        }

        /** @return 403 with a Cloudflare-style HTML page */
        static Fault blocked() {
            return new Blocked();
        }

        /** @return the connection is closed without an answer (the client sees an I/O error) */
        static Fault dropConnection() {
            return new DropConnection();
        }

        /**
         * Token endpoint: the request is carried out (a refresh token rotates) but the answer is
         * lost, as when a crash or a network cut hits at the worst moment. API: like
         * {@link #dropConnection()}.
         *
         * @return the fault
         */
        static Fault dropAfterProcessing() {
            return new DropAfterProcessing();
        }

        /**
         * Waits, then answers normally. Like a real server, the request is carried out even when
         * the client gave up meanwhile: a refresh then spends the refresh token (see
         * {@link #dropAfterProcessing()}).
         *
         * @param delay how long to wait before answering normally
         * @return the fault
         */
        static Fault slow(Duration delay) {
            return new Slow(delay);
        }

        /**
         * A wedged proxy in front of the token endpoint: 200 headers announcing a body, half of it,
         * then no more bytes and no FIN for {@code hold}; then the connection closes with the body cut
         * short. Answered before the grant is carried out: the refresh token is not spent.
         *
         * @param hold how long the answer stalls
         * @return the fault
         */
        static Fault stallMidBody(Duration hold) {
            return new StallMidBody(hold);
        }

        /** @return 200 with a JSON body cut short */
        static Fault malformedJson() {
            return new MalformedJson();
        }

        /** @return 200 {@code {}} */
        static Fault okWithoutToken() {
            return new OkWithoutToken();
        }

        /** @return API: 200 with a GraphQL {@code UNAUTHENTICATED} error; token endpoint: normal */
        static Fault graphqlUnauthenticated() {
            return new GraphqlUnauthenticated();
        }

        /** @return API: 200 with an ordinary GraphQL error (the token is fine); token endpoint: normal */
        static Fault graphqlError() {
            return new GraphqlError();
        }

        /**
         * A hostile or careless server: the token endpoint answers 400 {@code invalid_request} with an
         * {@code error_description} that echoes every secret of the request (refresh token, code,
         * client secret), whole, minus one character, and in 8- to 12-character pieces; or, when
         * not {@code whole}, a short line holding the first secret minus its last character. The
         * grant is not carried out. API: normal.
         *
         * @param whole the long echo of every secret, whole and in part; else the short, partial one
         * @return the fault
         */
        static Fault echoSecrets(boolean whole) {
            return new EchoSecrets(whole);
        }

        /** Normal service. */
        record Normal() implements Fault {
        }

        /** 400 {@code invalid_request} whose description echoes the request's secrets, whole and in part. */
        record EchoSecrets(boolean whole) implements Fault {
        }

        /** 400 {@code invalid_grant} at the token endpoint, 401 at the API. */
        record InvalidGrant() implements Fault {
        }

        /** @param retryAfter the {@code Retry-After} to send, if any */
        record ServiceUnavailable(Optional<Duration> retryAfter) implements Fault {
        }

        /** @param retryAfter the raw {@code Retry-After} value: seconds or an HTTP date */
        record RateLimited(String retryAfter) implements Fault {
        }

        /** 403 with an anti-bot HTML page. */
        record Blocked() implements Fault {
        }

        /** The connection closes without an answer. */
        record DropConnection() implements Fault {
        }

        /** The request is carried out, then the connection closes without an answer. */
        record DropAfterProcessing() implements Fault {
        }

        /** @param delay how long to wait before answering normally */
        record Slow(Duration delay) implements Fault {
        }

        /** @param hold how long the answer stalls after half of its body */
        record StallMidBody(Duration hold) implements Fault {
        }

        /** 200 with broken JSON. */
        record MalformedJson() implements Fault {
        }

        /** 200 {@code {}}. */
        record OkWithoutToken() implements Fault {
        }

        /** API: 200 with an {@code UNAUTHENTICATED} GraphQL error. */
        record GraphqlUnauthenticated() implements Fault {
        }

        /** API: 200 with an ordinary GraphQL error. */
        record GraphqlError() implements Fault {
        }
    }

    /**
     * One request the token endpoint received.
     *
     * @param at          when it arrived
     * @param grantType   its {@code grant_type}, or empty text when none
     * @param contentType its {@code Content-Type}, or empty text
     * @param accept      its {@code Accept}, or empty text
     * @param fault       the fault it met ({@link Fault.Normal} when none)
     */
    public record TokenRequest(Instant at, String grantType, String contentType, String accept, Fault fault) {
    }

    // ---------------------------------------------------------------- handlers

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private void serve(HttpExchange exchange, Handler handler) {
        try {
            handler.handle(exchange);
        } catch (IOException | RuntimeException e) {
            // The client went away or the server is stopping: nothing to answer.
        } finally {
            exchange.close();
        }
    }

    private void handleToken(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestURI().getPath().equals(TOKEN_PATH)) {
            respond(exchange, 404, "text/plain", "Not Found");
            return;
        }
        if (!exchange.getRequestMethod().equals("POST")) {
            respond(exchange, 405, "text/plain", "Method Not Allowed");
            return;
        }
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        byte[] body = exchange.getRequestBody().readAllBytes();
        Optional<Map<String, String>> params = params(contentType, body);
        String grantType = params.map(p -> p.getOrDefault("grant_type", "")).orElse("");
        Fault fault;
        synchronized (lock) {
            fault = tokenFaults.take();
            tokenRequests.add(new TokenRequest(clock.instant(), grantType, orEmpty(contentType),
                    orEmpty(exchange.getRequestHeaders().getFirst("Accept")), fault));
        }
        if (fault instanceof Fault.Slow slow && !pause(slow.delay())) {
            return;
        }
        if (fault instanceof Fault.EchoSecrets echo) {
            respond(exchange, 400, "application/json; charset=utf-8",
                    Answer.error(400, "invalid_request", echo(echo.whole(), params.orElse(Map.of()),
                            exchange.getRequestHeaders().getFirst("Authorization"))).json());
            return;
        }
        if (commonFault(exchange, fault, "{\"error\":\"invalid_grant\",\"error_description\":\""
                + INVALID_GRANT_DESCRIPTION + "\"}", 400)) {
            return;
        }
        // A broken 200 is answered before the grant is carried out: the refresh token is not spent.
        if (fault instanceof Fault.StallMidBody stall) {
            byte[] half = "{\"access_token\":\"stalled-".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            exchange.sendResponseHeaders(200, half.length * 2L);
            exchange.getResponseBody().write(half);
            exchange.getResponseBody().flush();
            pause(stall.hold());
            return;
        }
        if (fault instanceof Fault.MalformedJson) {
            respond(exchange, 200, "application/json; charset=utf-8", "{\"access_token\":\"");
            return;
        }
        if (fault instanceof Fault.OkWithoutToken) {
            respond(exchange, 200, "application/json; charset=utf-8", "{}");
            return;
        }
        Answer answer = params.isEmpty()
                ? Answer.error(400, "invalid_request", "The request is missing a required parameter.")
                : grant(params.get(), exchange.getRequestHeaders().getFirst("Authorization"));
        if (fault instanceof Fault.DropAfterProcessing) {
            return;
        }
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("Pragma", "no-cache");
        respond(exchange, answer.status(), "application/json; charset=utf-8", answer.json());
    }

    private void handleApi(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (!path.equals(API_PATH) && !path.equals(API_PATH + "/")) {
            respond(exchange, 404, "text/plain", "Not Found");
            return;
        }
        if (!exchange.getRequestMethod().equals("POST")) {
            respond(exchange, 405, "text/plain", "Method Not Allowed");
            return;
        }
        exchange.getRequestBody().readAllBytes();
        Fault fault;
        synchronized (lock) {
            apiRequestCount++;
            fault = apiFaults.take();
        }
        if (fault instanceof Fault.Slow slow && !pause(slow.delay())) {
            return;
        }
        if (fault instanceof Fault.DropAfterProcessing
                || commonFault(exchange, fault, "{\"error\":\"unauthorized\"}", 401)) {
            return;
        }
        String json = "application/json; charset=utf-8";
        if (fault instanceof Fault.MalformedJson) {
            respond(exchange, 200, json, "{\"data\":{\"__typename\":");
        } else if (fault instanceof Fault.OkWithoutToken) {
            respond(exchange, 200, json, "{}");
        } else if (fault instanceof Fault.GraphqlUnauthenticated) {
            respond(exchange, 200, json, "{\"data\":null,\"errors\":[{\"message\":\"You must be logged in to "
                    + "perform this action\",\"extensions\":{\"code\":\"UNAUTHENTICATED\"}}]}");
        } else if (fault instanceof Fault.GraphqlError) {
            respond(exchange, 200, json, "{\"data\":null,\"errors\":[{\"message\":\"Field 'nope' doesn't exist on "
                    + "type 'Query'\",\"locations\":[{\"line\":1,\"column\":3}]}]}");
        } else if (isAccessTokenValid(bearer(exchange.getRequestHeaders().getFirst("Authorization")))) {
            firstUse(bearer(exchange.getRequestHeaders().getFirst("Authorization")));
            respond(exchange, 200, json, "{\"data\":{\"__typename\":\"Query\"}}");
        } else {
            respond(exchange, 401, json, "{\"error\":\"unauthorized\"}");
        }
    }

    private void handleAuthorize(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("GET")) {
            respond(exchange, 405, "text/plain", "Method Not Allowed");
            return;
        }
        Map<String, String> query = form(Optional.ofNullable(exchange.getRequestURI().getRawQuery()).orElse(""));
        String redirectUri = query.get("redirect_uri");
        if (!clientId.equals(query.get("client_id")) || !"code".equals(query.get("response_type"))
                || redirectUri == null || redirectUri.isBlank()) {
            respond(exchange, 400, "text/html; charset=utf-8", "<html><body><h1>An error has occurred</h1>"
                    + "<p>Client authentication failed or the request is missing a required parameter.</p></body></html>");
            return;
        }
        String challenge = query.get("code_challenge");
        String account;
        synchronized (lock) {
            account = authorizeAccount;
            boolean wellFormed = challenge != null && challenge.matches("[A-Za-z0-9_-]{43}")
                    && "S256".equals(query.get("code_challenge_method"));
            if ((pkceRequired || challenge != null) && !wellFormed) {
                pkceRejections++;
                account = null;
            }
        }
        if (account == null) {
            String location = redirectUri + (redirectUri.contains("?") ? "&" : "?") + "error=invalid_request"
                    + "&error_description=" + encode("Code challenge required (S256).")
                    + Optional.ofNullable(query.get("state")).map(state -> "&state=" + encode(state)).orElse("");
            exchange.getResponseHeaders().set("Location", location);
            respond(exchange, 302, "text/html; charset=utf-8", "<html><body>You are being redirected.</body></html>");
            return;
        }
        String code = issueAuthorizationCode(account, URI.create(redirectUri), Optional.ofNullable(challenge));
        String location = redirectUri + (redirectUri.contains("?") ? "&" : "?") + "code=" + encode(code)
                + Optional.ofNullable(query.get("state")).map(state -> "&state=" + encode(state)).orElse("");
        exchange.getResponseHeaders().set("Location", location);
        respond(exchange, 302, "text/html; charset=utf-8", "<html><body>You are being redirected.</body></html>");
    }

    /**
     * Answers the faults both endpoints share.
     *
     * @return true when the exchange is answered (or dropped)
     */
    private boolean commonFault(HttpExchange exchange, Fault fault, String rejectionJson, int rejectionStatus)
            throws IOException {
        if (fault instanceof Fault.InvalidGrant) {
            respond(exchange, rejectionStatus, "application/json; charset=utf-8", rejectionJson);
        } else if (fault instanceof Fault.ServiceUnavailable unavailable) {
            unavailable.retryAfter().ifPresent(wait ->
                    exchange.getResponseHeaders().set("Retry-After", String.valueOf(wait.toSeconds())));
            respond(exchange, 503, "text/html; charset=utf-8",
                    "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1>"
                            + "<p>We're performing maintenance. Please try again shortly.</p></body></html>");
        } else if (fault instanceof Fault.RateLimited limited) {
            exchange.getResponseHeaders().set("Retry-After", limited.retryAfter());
            respond(exchange, 429, "text/plain; charset=utf-8", "Retry later\n");
        } else if (fault instanceof Fault.Blocked) {
            respond(exchange, 403, "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Attention Required! "
                    + "| Cloudflare</title></head><body><h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: "
                    + "8a1b2c3d4e5f6789</p></body></html>");
        } else if (fault instanceof Fault.DropConnection) {
            // Closing an exchange before its headers were sent closes the socket: the client reads nothing.
            exchange.close();
        } else {
            return false;
        }
        return true;
    }

    /** A description that repeats each secret of a token request whole, minus its last character, and in pieces. */
    private static String echo(boolean whole, Map<String, String> params, String authorization) {
        List<String> secrets = new ArrayList<>();
        for (String name : List.of("refresh_token", "code", "client_secret", "code_verifier")) {
            Optional.ofNullable(params.get(name)).filter(v -> !v.isEmpty()).ifPresent(secrets::add);
        }
        basicCredentials(authorization).ifPresent(pair -> secrets.add(pair[1]));
        if (!whole) {
            // Short, and without any secret whole: what a client filtering on either lets through.
            return secrets.isEmpty() ? "Nothing was sent." : "The grant " + secrets.get(0).substring(0, secrets.get(0).length() - 1)
                    + " is invalid.";
        }
        StringBuilder text = new StringBuilder("The provided grant is invalid.");
        for (String secret : secrets) {
            text.append(" You sent ").append(secret).append(", close to ").append(secret, 0, secret.length() - 1)
                    .append(" or ").append(secret.substring(1)).append("; pieces:");
            for (int at = 0; at + 8 <= secret.length(); at += 11) {
                text.append(' ').append(secret, at, Math.min(secret.length(), at + 8 + at % 5));
            }
            text.append('.');
        }
        return text.toString();
    }

    // ---------------------------------------------------------------- grants

    private Answer grant(Map<String, String> params, String authorization) {
        Map<String, String> client = new HashMap<>(params);
        basicCredentials(authorization).ifPresent(pair -> {
            client.putIfAbsent("client_id", pair[0]);
            client.putIfAbsent("client_secret", pair[1]);
        });
        if (!clientId.equals(client.get("client_id")) || !clientSecret.equals(client.get("client_secret"))) {
            return Answer.error(401, "invalid_client", INVALID_CLIENT_DESCRIPTION);
        }
        String grantType = params.getOrDefault("grant_type", "");
        synchronized (lock) {
            switch (grantType) {
                case "refresh_token":
                    return refreshGrant(params.get("refresh_token"));
                case "authorization_code":
                    return codeGrant(params.get("code"), params.get("redirect_uri"), params.get("code_verifier"));
                case "":
                    return Answer.error(400, "invalid_request", "The request is missing a required parameter, "
                            + "includes an unsupported parameter value, or is otherwise malformed.");
                default:
                    return Answer.error(400, "unsupported_grant_type",
                            "The authorization grant type is not supported by the authorization server.");
            }
        }
    }

    /** Called with the lock held. */
    private Answer refreshGrant(String refreshToken) {
        if (refreshToken == null || refreshToken.isBlank()) {
            return Answer.error(400, "invalid_request", "Missing required parameter: refresh_token.");
        }
        Chain chain = chainByRefreshToken.get(refreshToken);
        boolean grace = false;
        if (chain == null) {
            Chain previousOf = chainByPreviousRefreshToken.get(refreshToken);
            if (doorkeeper && previousOf != null && !previousOf.accessUsed) {
                chain = previousOf;
                grace = true;
            }
        }
        if (chain == null) {
            if (!revokedRefreshTokens.contains(refreshToken)) {
                reuseCount++;
                Instant spent = spentAt.get(refreshToken);
                if (spent != null) {
                    reusedTokenSpentTimes.add(spent);
                    reusedTokenPresentedTimes.add(clock.instant());
                }
            }
            return Answer.error(400, "invalid_grant", INVALID_GRANT_DESCRIPTION);
        }
        if (chain.refreshExpiresAt != null && !clock.instant().isBefore(chain.refreshExpiresAt)) {
            return Answer.error(400, "invalid_grant", INVALID_GRANT_DESCRIPTION);
        }
        if (grace) {
            // Doorkeeper: a second, separate pair; the first pair (never used) stays alive too.
            graceRefreshCount++;
            chain.accessToken = issue();
            chain.accessIssuedAt = clock.instant();
            chain.accessLifetime = accessLifetime;
            chain.accessRevoked = false;
            chain.accessUsed = false;
            chainByAccessToken.put(chain.accessToken, chain);
            chain.refreshToken = issue();
            chainByRefreshToken.put(chain.refreshToken, chain);
            chain.refreshes++;
            return Answer.tokens(chain, true);
        }
        if (!doorkeeper) {
            chainByAccessToken.remove(chain.accessToken);
        }
        chain.accessToken = issue();
        chain.accessIssuedAt = clock.instant();
        chain.accessLifetime = accessLifetime;
        chain.accessRevoked = false;
        chain.accessUsed = false;
        chainByAccessToken.put(chain.accessToken, chain);
        boolean rotated = rotation;
        if (rotated) {
            chainByRefreshToken.remove(chain.refreshToken);
            spentRefreshTokens.add(chain.refreshToken);
            spentAt.put(chain.refreshToken, clock.instant());
            if (doorkeeper) {
                if (chain.previousRefreshToken != null) {
                    chainByPreviousRefreshToken.remove(chain.previousRefreshToken);
                }
                chain.previousRefreshToken = chain.refreshToken;
                chainByPreviousRefreshToken.put(chain.refreshToken, chain);
            }
            chain.refreshToken = issue();
            chainByRefreshToken.put(chain.refreshToken, chain);
            chain.refreshExpiresAt = refreshLifetime == null ? null : clock.instant().plus(refreshLifetime);
        }
        chain.refreshes++;
        return Answer.tokens(chain, rotated);
    }

    /** Called with the lock held. */
    private Answer codeGrant(String code, String redirectUri, String codeVerifier) {
        PendingCode pending = code == null ? null : codes.remove(code);
        if (pending == null || clock.instant().isAfter(pending.expiresAt())
                || !pending.redirectUri().equals(redirectUri)) {
            return Answer.error(400, "invalid_grant", INVALID_GRANT_DESCRIPTION);
        }
        if (pending.codeChallenge().isPresent()) {
            // RFC 7636 4.6: a code issued for a challenge is only exchanged with the verifier that hashes to it.
            if (codeVerifier == null || !MessageDigest.isEqual(s256(codeVerifier).getBytes(StandardCharsets.US_ASCII),
                    pending.codeChallenge().get().getBytes(StandardCharsets.US_ASCII))) {
                pkceRejections++;
                return Answer.error(400, "invalid_grant", INVALID_GRANT_DESCRIPTION);
            }
            pkceExchanges++;
        }
        return Answer.tokens(newChain(pending.account()), true);
    }

    /** Called with the lock held. */
    private Chain newChain(String account) {
        Objects.requireNonNull(account, "account");
        Chain old = chains.get(account);
        if (old != null) {
            revoke(old);
        }
        Chain chain = new Chain();
        chain.accessToken = issue();
        chain.refreshToken = issue();
        chain.accessIssuedAt = clock.instant();
        chain.accessLifetime = accessLifetime;
        chain.refreshExpiresAt = refreshLifetime == null ? null : clock.instant().plus(refreshLifetime);
        chains.put(account, chain);
        chainByAccessToken.put(chain.accessToken, chain);
        chainByRefreshToken.put(chain.refreshToken, chain);
        return chain;
    }

    /** Called with the lock held. */
    private void revoke(Chain chain) {
        if (chain.previousRefreshToken != null) {
            chainByPreviousRefreshToken.remove(chain.previousRefreshToken);
        }
        chainByAccessToken.remove(chain.accessToken);
        chainByRefreshToken.remove(chain.refreshToken);
        revokedRefreshTokens.add(chain.refreshToken);
        chain.accessRevoked = true;
    }

    /** Called with the lock held. */
    private String issue() {
        String token = randomToken();
        issuedSecrets.add(token);
        return token;
    }

    private Chain chain(String account) {
        Chain chain = chains.get(account);
        if (chain == null) {
            throw new IllegalArgumentException("FakeGazelle has no chain for account '" + account
                    + "': call seedChain first");
        }
        return chain;
    }

    // ---------------------------------------------------------------- plumbing

    /** One account's tokens. Guarded by the server's lock. */
    /** Doorkeeper: the first use of a chain's current access token ends the grace of the previous pair. */
    private void firstUse(String accessToken) {
        synchronized (lock) {
            Chain chain = chainByAccessToken.get(accessToken);
            if (!doorkeeper || chain == null || !accessToken.equals(chain.accessToken) || chain.accessUsed) {
                return;
            }
            chain.accessUsed = true;
            if (chain.previousRefreshToken != null) {
                chainByPreviousRefreshToken.remove(chain.previousRefreshToken);
                chain.previousRefreshToken = null;
            }
            chainByAccessToken.entrySet().removeIf(entry -> entry.getValue() == chain && !entry.getKey().equals(accessToken));
        }
    }

    private static final class Chain {
        String accessToken;
        String refreshToken;
        String previousRefreshToken;
        boolean accessUsed;
        Instant accessIssuedAt;
        Duration accessLifetime;
        boolean accessRevoked;
        int refreshes;
        Instant refreshExpiresAt;

        /** Seconds from {@code created_at} (whole seconds, as sent) to the refresh token's end. */
        long refreshExpiresIn() {
            return Math.max(0, Duration.between(Instant.ofEpochSecond(accessIssuedAt.getEpochSecond()), refreshExpiresAt)
                    .toSeconds());
        }

        Instant accessExpiresAt() {
            return accessRevoked ? Instant.MIN : accessIssuedAt.plus(accessLifetime);
        }
    }

    private record PendingCode(String account, String redirectUri, Instant expiresAt, Optional<String> codeChallenge) {
    }

    private record Answer(int status, String json) {

        static Answer error(int status, String code, String description) {
            ObjectNode body = JSON.createObjectNode();
            body.put("error", code);
            body.put("error_description", description);
            return new Answer(status, body.toString());
        }

        static Answer tokens(Chain chain, boolean withRefreshToken) {
            ObjectNode body = JSON.createObjectNode();
            body.put("access_token", chain.accessToken);
            body.put("token_type", "Bearer");
            body.put("expires_in", chain.accessLifetime.toSeconds());
            if (withRefreshToken) {
                body.put("refresh_token", chain.refreshToken);
            }
            body.put("scope", "");
            body.put("created_at", chain.accessIssuedAt.getEpochSecond());
            if (chain.refreshExpiresAt != null) {
                body.put("refresh_token_expires_in", chain.refreshExpiresIn());
            }
            return new Answer(200, body.toString());
        }
    }

    /** A standing fault and a queue of one-off ones. Guarded by the server's lock. */
    private static final class FaultPlan {
        private Fault standing = new Fault.Normal();
        private final Deque<Fault> queued = new ArrayDeque<>();

        void always(Fault fault) {
            standing = Objects.requireNonNull(fault, "fault");
            queued.clear();
        }

        void next(int count, Fault fault) {
            Objects.requireNonNull(fault, "fault");
            for (int i = 0; i < count; i++) {
                queued.addLast(fault);
            }
        }

        Fault take() {
            Fault next = queued.pollFirst();
            return next != null ? next : standing;
        }
    }

    private static Optional<Map<String, String>> params(String contentType, byte[] body) {
        String type = orEmpty(contentType).toLowerCase(java.util.Locale.ROOT);
        String text = new String(body, StandardCharsets.UTF_8);
        if (type.startsWith("application/json")) {
            try {
                JsonNode node = JSON.readTree(text);
                if (!(node instanceof ObjectNode object)) {
                    return Optional.empty();
                }
                Map<String, String> params = new HashMap<>();
                object.properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
                return Optional.of(params);
            } catch (JsonProcessingException e) {
                return Optional.empty();
            }
        }
        return Optional.of(form(text));
    }

    private static Map<String, String> form(String text) {
        Map<String, String> params = new HashMap<>();
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            params.putIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8),
                    URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return params;
    }

    private static Optional<String[]> basicCredentials(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        try {
            String pair = new String(Base64.getDecoder().decode(authorization.substring(6).strip()),
                    StandardCharsets.UTF_8);
            int colon = pair.indexOf(':');
            return colon < 0 ? Optional.empty() : Optional.of(new String[] {
                    URLDecoder.decode(pair.substring(0, colon), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(colon + 1), StandardCharsets.UTF_8)});
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "";
        }
        return authorization.substring(7).strip();
    }

    /** @return false when interrupted (the server is stopping) */
    private static boolean pause(Duration delay) {
        try {
            Thread.sleep(delay.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
    }

    private static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }
}
