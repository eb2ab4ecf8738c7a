package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.contract.MutableClock;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A local HTTP server (JDK {@link HttpServer} on 127.0.0.1, random port) that behaves like the
 * parts of Vinted a session keeper talks to, as {@code UPSTREAMS.md} describes them, unpleasant
 * parts included:
 *
 * <ul>
 *   <li>sessions are JWT cookies ({@code access_token_web}, {@code refresh_token_web}, PS256-shaped with
 *       random signatures) with configurable, typically short, lifetimes;</li>
 *   <li>{@code GET /} answers an HTML page carrying the session's CSRF token
 *       ({@code <meta name="csrf-token">} and/or {@code "CSRF_TOKEN":"..."}) and sets a fresh
 *       {@code datadome} cookie (and a {@code _vinted_fr_session} for a browser that has none);</li>
 *   <li>{@code POST /web/api/auth/refresh} requires {@code X-Csrf-Token} (unless turned off) and the
 *       <em>current</em> refresh token of the session; each refresh rotates both tokens and the session
 *       cookie; a spent refresh token gets 401 {@code code 100} and is counted as reuse;</li>
 *   <li>{@code GET /api/v2/users/current} answers the user with a valid access token (cookie or
 *       {@code Authorization: Bearer}), else 401 {@code code 100};</li>
 *   <li>an anti-bot wall: more than {@code burstLimit} requests inside {@code burstWindow} (20 in 5
 *       minutes by default) and every request gets a 403 DataDome page for {@code blockDuration};
 *       {@link #blockAll(boolean)} raises the wall by hand;</li>
 *   <li>injected {@link Fault}s for the next requests of an endpoint.</li>
 * </ul>
 *
 * <p>Time comes from the clock given to the {@link Builder} (token {@code iat}/{@code exp}, expiry
 * checks, the burst window), so a test can share a {@link MutableClock} with the code under test, or
 * use the system clock with lifetimes of a few seconds. Everything is thread-safe.
 *
 * <pre>{@code
 * try (FakeVinted vinted = FakeVinted.builder().accessTokenLifetime(Duration.ofSeconds(5)).start()) {
 *     String cookies = vinted.newSession();          // what a user copies from the browser
 *     // point VINTED_BASE_URL at vinted.baseUrl(), import the cookies, refresh...
 *     assertEquals(0, vinted.reuseCount());
 * }
 * }</pre>
 */
public final class FakeVinted implements AutoCloseable {

    /** The session cookie of the French site. */
    public static final String SESSION_COOKIE = "_vinted_fr_session";
    /** The access token cookie. */
    public static final String ACCESS_TOKEN = "access_token_web";
    /** The refresh token cookie. */
    public static final String REFRESH_TOKEN = "refresh_token_web";
    /** The domain the {@link #jsonExport} and {@link #netscapeExport} renderings store cookies for. */
    public static final String EXPORT_DOMAIN = ".vinted.fr";
    /** The 401 body Vinted sends for a token it does not accept. */
    public static final String INVALID_TOKEN_BODY =
            "{\"code\":100,\"message\":\"Token d'authentification invalide\",\"message_code\":\"invalid_authentication_token\"}";
    /** The 403 body of Vinted's API when access is denied. */
    public static final String ACCESS_DENIED_BODY =
            "{\"code\":106,\"message\":\"Accès refusé\",\"message_code\":\"access_denied\"}";
    /** The body of a refused CSRF token. */
    public static final String INVALID_CSRF_BODY =
            "{\"code\":0,\"message\":\"Invalid CSRF token\",\"message_code\":\"invalid_csrf_token\"}";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    /** Where the home page puts the CSRF token. */
    public enum CsrfPlacement {
        /** {@code <meta name="csrf-token" content="...">} and the inline {@code "CSRF_TOKEN":"..."}. */
        META_AND_SCRIPT,
        /** Only the inline {@code window.__CONFIG__ = {"CSRF_TOKEN":"..."}}. */
        SCRIPT_ONLY,
        /** Nowhere: the page has no token. */
        NONE
    }

    /** Settings of a {@link FakeVinted}; every one has a Vinted-like default. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private Duration accessLifetime = Duration.ofSeconds(7200);
        private Duration refreshLifetime = Duration.ofSeconds(604_800);
        private boolean csrfRequired = true;
        private int csrfFailureStatus = 403;
        private CsrfPlacement csrfPlacement = CsrfPlacement.META_AND_SCRIPT;
        private int burstLimit = 20;
        private Duration burstWindow = Duration.ofMinutes(5);
        private Duration blockDuration = Duration.ofMinutes(10);

        private Builder() {
        }

        /**
         * @param clock where "now" comes from (default: the system clock)
         * @return this
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param lifetime access token lifetime (default 7200 s); whole seconds, as in a JWT
         * @return this
         */
        public Builder accessTokenLifetime(Duration lifetime) {
            this.accessLifetime = Objects.requireNonNull(lifetime, "lifetime");
            return this;
        }

        /**
         * @param lifetime refresh token lifetime (default 604800 s); whole seconds, as in a JWT
         * @return this
         */
        public Builder refreshTokenLifetime(Duration lifetime) {
            this.refreshLifetime = Objects.requireNonNull(lifetime, "lifetime");
            return this;
        }

        /**
         * @param required whether the refresh endpoint requires {@code X-Csrf-Token} (default true)
         * @return this
         */
        public Builder csrfRequired(boolean required) {
            this.csrfRequired = required;
            return this;
        }

        /**
         * @param status the status of a CSRF refusal: 401, 403 (default: the treacherous one, it looks
         *               like the anti-bot wall) or 422 (Rails' own)
         * @return this
         */
        public Builder csrfFailureStatus(int status) {
            this.csrfFailureStatus = status;
            return this;
        }

        /**
         * @param placement where the home page puts the CSRF token (default meta tag and script)
         * @return this
         */
        public Builder csrfPlacement(CsrfPlacement placement) {
            this.csrfPlacement = Objects.requireNonNull(placement, "placement");
            return this;
        }

        /**
         * @param limit  requests served inside {@code window} before the wall goes up (default 20)
         * @param window the sliding window (default 5 minutes)
         * @return this
         */
        public Builder burstLimit(int limit, Duration window) {
            this.burstLimit = limit;
            this.burstWindow = Objects.requireNonNull(window, "window");
            return this;
        }

        /**
         * @param duration how long the wall stays up once a burst raised it (default 10 minutes)
         * @return this
         */
        public Builder blockDuration(Duration duration) {
            this.blockDuration = Objects.requireNonNull(duration, "duration");
            return this;
        }

        /**
         * Starts the server.
         *
         * @return the running fake; close it when done
         */
        public FakeVinted start() {
            return new FakeVinted(this);
        }
    }

    /** One logged-in (or anonymous) session and its refresh-token chain. */
    private static final class AuthSession {
        final String sid;
        final long userId;
        final boolean anonymous;
        String currentRefresh;
        int refreshes;
        boolean revoked;

        AuthSession(String sid, long userId, boolean anonymous) {
            this.sid = sid;
            this.userId = userId;
            this.anonymous = anonymous;
        }
    }

    /** What a JWT the fake issued stands for. */
    private record Grant(String sid, Instant expiresAt) {
    }

    /** A canned answer, computed before it is sent (or lost). */
    private record Reply(int status, String contentType, List<String> setCookies, Map<String, String> headers,
                         String body) {
    }

    private final Clock clock;
    private final Duration accessLifetime;
    private final Duration refreshLifetime;
    private final int csrfFailureStatus;
    private final CsrfPlacement csrfPlacement;
    private final int burstLimit;
    private final Duration burstWindow;
    private final Duration blockDuration;
    private final HttpServer server;
    private final ExecutorService executor;

    // Everything below is guarded by "this".
    private boolean csrfRequired;
    private final Map<String, AuthSession> sessions = new LinkedHashMap<>();
    private final Map<String, Grant> refreshTokens = new HashMap<>();
    private final Map<String, Grant> accessTokens = new HashMap<>();
    /** Session cookie value to its CSRF token; a rotated cookie keeps the token (Rails keeps it in the session). */
    private final Map<String, String> csrfBySessionCookie = new HashMap<>();
    private final Set<String> issued = new LinkedHashSet<>();
    private final Map<String, String> lastIssued = new HashMap<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    private final Deque<Instant> served = new ArrayDeque<>();
    private final List<FaultRule> faults = new ArrayList<>();
    private Instant wallUntil = Instant.EPOCH;
    private boolean blockAll;
    private int blockedAnswers;
    private int refreshCount;
    private int reuseCount;
    private final Map<String, Instant> replacedAt = new HashMap<>();
    private int blockFirstRefreshTries;
    private final Map<String, Integer> refreshTries = new HashMap<>();
    private boolean cookieOnlyRefresh;
    private boolean redirectExpiredSessions;
    private Duration nextSessionAccessLifetime;
    private final List<Instant> reusedTokenSpentTimes = new ArrayList<>();
    private final List<Instant> reusedTokenPresentedTimes = new ArrayList<>();

    private static final class FaultRule {
        final FakeEndpoint endpoint;
        final Fault fault;
        int remaining;

        FaultRule(FakeEndpoint endpoint, int remaining, Fault fault) {
            this.endpoint = endpoint;
            this.remaining = remaining;
            this.fault = fault;
        }
    }

    private FakeVinted(Builder builder) {
        this.clock = builder.clock;
        this.accessLifetime = builder.accessLifetime;
        this.refreshLifetime = builder.refreshLifetime;
        this.csrfRequired = builder.csrfRequired;
        this.csrfFailureStatus = builder.csrfFailureStatus;
        this.csrfPlacement = builder.csrfPlacement;
        this.burstLimit = builder.burstLimit;
        this.burstWindow = builder.burstWindow;
        this.blockDuration = builder.blockDuration;
        this.executor = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "fake-vinted");
            thread.setDaemon(true);
            return thread;
        });
        try {
            this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start FakeVinted", e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** @return a builder with Vinted's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a fake with every default (2 h access tokens, 7 day refresh tokens, CSRF required) */
    public static FakeVinted start() {
        return builder().start();
    }

    // ---------------------------------------------------------------- sessions

    /**
     * Logs a user in, as a browser would: a new session with fresh tokens, a session cookie, a CSRF
     * token and the usual companion cookies.
     *
     * @return the {@code Cookie:} header a user copies from developer tools
     */
    public synchronized String newSession() {
        return browserCookies(false);
    }

    /** @return the {@code Cookie:} header of a visitor who is not logged in ({@code scope: public}) */
    public synchronized String anonymousSession() {
        return browserCookies(true);
    }

    /**
     * @param cookieHeader a session as returned by {@link #newSession()}
     * @return the same cookies as a cookie-extension JSON export for {@link #EXPORT_DOMAIN}
     */
    public String jsonExport(String cookieHeader) {
        return CookieExports.json(cookieHeader, EXPORT_DOMAIN, clock.instant().plus(Duration.ofDays(365)));
    }

    /**
     * @param cookieHeader a session as returned by {@link #newSession()}
     * @return the same cookies as a Netscape {@code cookies.txt} for {@link #EXPORT_DOMAIN}
     */
    public String netscapeExport(String cookieHeader) {
        return CookieExports.netscape(cookieHeader, EXPORT_DOMAIN, clock.instant().plus(Duration.ofDays(365)));
    }

    /**
     * Ends a session on the server side (a logout elsewhere, a password change): its tokens stop
     * working.
     *
     * @param cookies any cookies carrying one of the session's tokens (even spent ones)
     */
    public synchronized void revoke(String cookies) {
        session(cookies).revoked = true;
    }

    /**
     * @param cookies any cookies carrying one of the session's tokens (even spent ones)
     * @return the refresh token that session accepts now
     */
    public synchronized String currentRefreshToken(String cookies) {
        return session(cookies).currentRefresh;
    }

    /**
     * @param cookies any cookies carrying one of the session's tokens (even spent ones)
     * @return the session id ({@code sid} claim)
     */
    public synchronized String sessionId(String cookies) {
        return session(cookies).sid;
    }

    /**
     * @param token an access token
     * @return true when the fake issued it, it has not expired and its session is not revoked
     */
    public synchronized boolean isAccessTokenValid(String token) {
        Grant grant = accessTokens.get(token);
        return grant != null && grant.expiresAt().isAfter(clock.instant()) && !sessions.get(grant.sid()).revoked;
    }

    /**
     * @param cookies any cookies carrying one of the session's tokens (even spent ones)
     * @return true when the session can still be refreshed: not revoked, current refresh token unexpired
     */
    public synchronized boolean isSessionAlive(String cookies) {
        AuthSession session = session(cookies);
        return !session.revoked && refreshTokens.get(session.currentRefresh).expiresAt().isAfter(clock.instant());
    }

    // ---------------------------------------------------------------- behaviour switches

    /**
     * Raises or lowers the anti-bot wall by hand: while up, every request gets 403, alternately a
     * DataDome HTML page and {@code {"code":106}}.
     *
     * @param blocked true to block everything
     */
    public synchronized void blockAll(boolean blocked) {
        this.blockAll = blocked;
    }

    /**
     * @param required whether the refresh endpoint requires a CSRF token from now on
     */
    public synchronized void csrfRequired(boolean required) {
        this.csrfRequired = required;
    }

    /**
     * The anti-bot wall at the moment of a refresh: the first {@code tries} refresh requests presenting
     * each (current) refresh token get the 403 DataDome page, the next one goes through. 0 turns it off.
     *
     * @param tries how many tries of each refresh token are blocked
     */
    public synchronized void blockFirstRefreshTries(int tries) {
        this.blockFirstRefreshTries = tries;
    }

    /**
     * The variant of public clients that refresh with the {@code refresh_token_web} cookie alone: while
     * on, the home page carries no CSRF token, and the refresh endpoint asks for {@code X-Csrf-Token}
     * only from a request that carries the browser session cookie (CSRF protects the session).
     *
     * @param on true to turn the variant on
     */
    public synchronized void cookieOnlyRefresh(boolean on) {
        this.cookieOnlyRefresh = on;
    }

    /**
     * While on, {@code GET /} with an expired (or unknown) {@code access_token_web} cookie is redirected
     * (302, no page, no CSRF token), as Vinted may do for an expired session.
     *
     * @param on true to redirect expired sessions
     */
    public synchronized void redirectExpiredSessions(boolean on) {
        this.redirectExpiredSessions = on;
    }

    /**
     * Logs a user in whose access token lives {@code accessLifetime} instead of the configured lifetime
     * (an already expired one with a zero or negative lifetime); the refresh token is as usual.
     *
     * @param accessLifetime the access token's lifetime
     * @return the {@code Cookie:} header
     */
    public synchronized String newSession(Duration accessLifetime) {
        nextSessionAccessLifetime = accessLifetime;
        try {
            return browserCookies(false);
        } finally {
            nextSessionAccessLifetime = null;
        }
    }

    /**
     * The next {@code times} requests to {@code endpoint} misbehave as {@code fault}. Rules apply in
     * the order they were added.
     *
     * @param endpoint which route ({@link FakeEndpoint#ANY} for all)
     * @param times    how many requests
     * @param fault    how
     */
    public synchronized void failNext(FakeEndpoint endpoint, int times, Fault fault) {
        faults.add(new FaultRule(endpoint, times, fault));
    }

    /**
     * @param times how many requests, whatever their route
     * @param fault how they misbehave
     */
    public void failNext(int times, Fault fault) {
        failNext(FakeEndpoint.ANY, times, fault);
    }

    /**
     * @param endpoint which route
     * @param fault    how every request to it misbehaves until {@link #clearFaults()}
     */
    public void failAlways(FakeEndpoint endpoint, Fault fault) {
        failNext(endpoint, Integer.MAX_VALUE, fault);
    }

    /** Removes every pending fault. */
    public synchronized void clearFaults() {
        faults.clear();
    }

    // ---------------------------------------------------------------- introspection

    /** @return {@code http://127.0.0.1:<port>}, the value for {@code VINTED_BASE_URL} */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** @return every request received so far, in arrival order */
    public synchronized List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** @return how many requests arrived (served, faulted or walled) */
    public synchronized int requestCount() {
        return requests.size();
    }

    /**
     * @param endpoint a route
     * @return how many requests arrived for it
     */
    public synchronized int requestCount(FakeEndpoint endpoint) {
        return (int) requests.stream().filter(r -> endpoint.covers(r.endpoint())).count();
    }

    /** @return the arrival time of every request */
    public synchronized List<Instant> requestTimes() {
        return requests.stream().map(RecordedRequest::at).toList();
    }

    /** @return how many requests were answered by the anti-bot wall (burst or {@link #blockAll}) */
    public synchronized int blockedCount() {
        return blockedAnswers;
    }

    /** @return true while the burst wall is up (not counting {@link #blockAll}) */
    public synchronized boolean isWallUp() {
        return clock.instant().isBefore(wallUntil);
    }

    /** @return successful refreshes, all sessions together */
    public synchronized int refreshCount() {
        return refreshCount;
    }

    /**
     * For each reuse of a spent refresh token: when that token had been replaced (its refresh answered).
     *
     * @return replace times, in order of reuse
     */
    public synchronized List<Instant> reusedTokenSpentTimes() {
        return List.copyOf(reusedTokenSpentTimes);
    }

    /** @return when each spent token of {@link #reusedTokenSpentTimes()} was presented again (same order) */
    public synchronized List<Instant> reusedTokenPresentedTimes() {
        return List.copyOf(reusedTokenPresentedTimes);
    }

    /** @return refresh attempts with a refresh token that was already spent */
    public synchronized int reuseCount() {
        return reuseCount;
    }

    /** @return session id to its number of successful refreshes */
    public synchronized Map<String, Integer> refreshesPerSession() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        sessions.values().forEach(session -> counts.put(session.sid, session.refreshes));
        return counts;
    }

    /**
     * @return every secret value the fake ever handed out (cookie values, tokens, CSRF tokens), so that
     *         a test can check that none of them shows up in logs, messages or output
     */
    public synchronized Set<String> allIssuedSecrets() {
        return Set.copyOf(issued);
    }

    /**
     * @param name a cookie name
     * @return the value most recently issued for it (in a session or a {@code Set-Cookie})
     */
    public synchronized Optional<String> lastIssuedCookie(String name) {
        return Optional.ofNullable(lastIssued.get(name));
    }

    /**
     * Serves more pages on the fake's site, beside what it answers itself (the sign-in pages of
     * {@link SignInSite}).
     *
     * @param path    the path prefix
     * @param handler what answers there
     */
    public void serve(String path, HttpHandler handler) {
        server.createContext(path, handler);
    }

    /** Stops the server at once. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "FakeVinted[" + baseUrl() + "]";
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                answer(exchange);
            } catch (RuntimeException e) {
                // A bug in the fake must not look like a dropped connection.
                e.printStackTrace();
                exchange.sendResponseHeaders(500, -1);
            }
        }
    }

    /** Answers one request; returning without sending anything drops the connection. */
    private void answer(HttpExchange exchange) throws IOException {
        drain(exchange.getRequestBody());
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        FakeEndpoint endpoint = route(method, path);
        Map<String, String> cookies = cookies(exchange);
        Instant now = clock.instant();
        Fault fault;
        Reply walled;
        synchronized (this) {
            record(exchange, endpoint, cookies, now);
            walled = wall(now);
            fault = walled == null ? takeFault(endpoint) : null;
        }
        if (walled != null) {
            send(exchange, walled);
            return;
        }
        if (fault instanceof Fault.Slow slow) {
            try {
                Thread.sleep(slow.delay().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            fault = null;
        }
        if (fault instanceof Fault.DropConnection) {
            return; // closing an exchange before any header closes the connection
        }
        boolean servedNormally = fault == null || fault instanceof Fault.LoseResponse || fault instanceof Fault.StaleCsrf
                || fault instanceof Fault.Created || fault instanceof Fault.TokensInBody;
        Reply reply = servedNormally
                ? serve(endpoint, exchange, cookies, fault instanceof Fault.StaleCsrf)
                : faultReply(fault);
        if (endpoint == FakeEndpoint.REFRESH && reply.status() == 200 && fault instanceof Fault.Created) {
            reply = new Reply(201, reply.contentType(), reply.setCookies(), reply.headers(), reply.body());
        }
        if (endpoint == FakeEndpoint.REFRESH && reply.status() == 200 && fault instanceof Fault.TokensInBody) {
            ObjectNode body = JSON.createObjectNode();
            for (String cookie : reply.setCookies()) {
                String pair = cookie.substring(0, cookie.indexOf(';'));
                String name = pair.substring(0, pair.indexOf('='));
                String value = pair.substring(pair.indexOf('=') + 1);
                if (name.equals(ACCESS_TOKEN)) {
                    body.put("access_token", value);
                } else if (name.equals(REFRESH_TOKEN)) {
                    body.put("refresh_token", value);
                }
            }
            body.put("token_type", "Bearer");
            reply = new Reply(200, reply.contentType(), reply.setCookies(), reply.headers(), body.toString());
        }
        if (fault instanceof Fault.LoseResponse) {
            return;
        }
        send(exchange, reply);
    }

    private static FakeEndpoint route(String method, String path) {
        if (path.equals("/") && method.equals("GET")) {
            return FakeEndpoint.HOME;
        }
        if (path.equals("/web/api/auth/refresh") && method.equals("POST")) {
            return FakeEndpoint.REFRESH;
        }
        if (path.equals("/api/v2/users/current") && method.equals("GET")) {
            return FakeEndpoint.CURRENT_USER;
        }
        return FakeEndpoint.OTHER;
    }

    private synchronized Reply serve(FakeEndpoint endpoint, HttpExchange exchange, Map<String, String> cookies,
                                     boolean staleCsrf) {
        switch (endpoint) {
            case HOME:
                return home(cookies, staleCsrf);
            case REFRESH:
                return refresh(cookies, exchange.getRequestHeaders().getFirst("X-Csrf-Token"));
            case CURRENT_USER:
                return currentUser(cookies, exchange.getRequestHeaders().getFirst("Authorization"));
            default:
                return html(404, "<!DOCTYPE html><html><body><h1>Page introuvable</h1></body></html>");
        }
    }

    private Reply home(Map<String, String> cookies, boolean staleCsrf) {
        String access = cookies.get(ACCESS_TOKEN);
        if (redirectExpiredSessions && access != null && !isAccessTokenValid(access)) {
            return new Reply(302, "text/html; charset=utf-8", List.of(),
                    Map.of("Location", "/member/login?ref_url=%2F"), "");
        }
        CsrfPlacement csrfPlacement = cookieOnlyRefresh ? CsrfPlacement.NONE : this.csrfPlacement;
        List<String> setCookies = new ArrayList<>();
        String sessionCookie = cookies.get(SESSION_COOKIE);
        if (sessionCookie == null || !csrfBySessionCookie.containsKey(sessionCookie)) {
            sessionCookie = secret(SESSION_COOKIE, randomToken(48));
            csrfBySessionCookie.put(sessionCookie, secret("csrf", randomToken(32)));
            setCookies.add(setCookie(SESSION_COOKIE, sessionCookie, null, true));
        }
        setCookies.add(setCookie("datadome", secret("datadome", randomToken(64)), Duration.ofDays(365), false));
        String csrf = staleCsrf ? secret("csrf", randomToken(32)) : csrfBySessionCookie.get(sessionCookie);
        StringBuilder page = new StringBuilder("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n")
                .append("<meta charset=\"utf-8\">\n<title>Vinted | Vends et achète de la mode</title>\n");
        if (csrfPlacement == CsrfPlacement.META_AND_SCRIPT) {
            page.append("<meta name=\"csrf-param\" content=\"authenticity_token\" />\n")
                    .append("<meta name=\"csrf-token\" content=\"").append(csrf).append("\" />\n");
        }
        page.append("</head>\n<body>\n<div id=\"app\"></div>\n<script>\n");
        if (csrfPlacement != CsrfPlacement.NONE) {
            page.append("window.__CONFIG__ = {\"locale\":\"fr\",\"CSRF_TOKEN\":\"").append(csrf).append("\"};\n");
        }
        page.append("</script>\n</body>\n</html>\n");
        return new Reply(200, "text/html; charset=utf-8", setCookies, Map.of(), page.toString());
    }

    private Reply refresh(Map<String, String> cookies, String csrfHeader) {
        String tried = cookies.get(REFRESH_TOKEN);
        if (blockFirstRefreshTries > 0 && tried != null && refreshTokens.containsKey(tried)
                && tried.equals(sessions.get(refreshTokens.get(tried).sid()).currentRefresh)
                && refreshTries.merge(tried, 1, Integer::sum) <= blockFirstRefreshTries) {
            blockedAnswers++;
            return dataDomePage();
        }
        boolean csrfApplies = !cookieOnlyRefresh || cookies.containsKey(SESSION_COOKIE);
        if (csrfRequired && csrfApplies) {
            String expected = csrfBySessionCookie.get(cookies.getOrDefault(SESSION_COOKIE, ""));
            if (expected == null || !expected.equals(csrfHeader)) {
                return json(csrfFailureStatus, INVALID_CSRF_BODY);
            }
        }
        String presented = cookies.get(REFRESH_TOKEN);
        Grant grant = presented == null ? null : refreshTokens.get(presented);
        if (grant == null) {
            return json(401, INVALID_TOKEN_BODY);
        }
        AuthSession session = sessions.get(grant.sid());
        if (!presented.equals(session.currentRefresh)) {
            reuseCount++;
            Instant spent = replacedAt.get(presented);
            if (spent != null) {
                reusedTokenSpentTimes.add(spent);
                reusedTokenPresentedTimes.add(clock.instant());
            }
            return json(401, INVALID_TOKEN_BODY);
        }
        if (session.revoked || !grant.expiresAt().isAfter(clock.instant())) {
            return json(401, INVALID_TOKEN_BODY);
        }
        session.refreshes++;
        refreshCount++;
        String access = mint(session, "access", accessLifetime);
        String refresh = mint(session, "refresh", refreshLifetime);
        replacedAt.put(session.currentRefresh, clock.instant());
        session.currentRefresh = refresh;
        List<String> setCookies = new ArrayList<>();
        setCookies.add(setCookie(ACCESS_TOKEN, access, accessLifetime, true));
        setCookies.add(setCookie(REFRESH_TOKEN, refresh, refreshLifetime, true));
        String oldSessionCookie = cookies.get(SESSION_COOKIE);
        if (oldSessionCookie != null && csrfBySessionCookie.containsKey(oldSessionCookie)) {
            String rotated = secret(SESSION_COOKIE, randomToken(48));
            csrfBySessionCookie.put(rotated, csrfBySessionCookie.get(oldSessionCookie));
            setCookies.add(setCookie(SESSION_COOKIE, rotated, null, true));
        }
        return new Reply(200, "application/json; charset=utf-8", setCookies, Map.of(), "{}");
    }

    private Reply currentUser(Map<String, String> cookies, String authorization) {
        String token = cookies.get(ACCESS_TOKEN);
        if (authorization != null && authorization.startsWith("Bearer ")) {
            token = authorization.substring("Bearer ".length()).trim();
        }
        if (token == null || !isAccessTokenValid(token)) {
            return json(401, INVALID_TOKEN_BODY);
        }
        AuthSession session = sessions.get(accessTokens.get(token).sid());
        if (session.anonymous) {
            return json(401, INVALID_TOKEN_BODY);
        }
        ObjectNode user = JSON.createObjectNode();
        ObjectNode fields = user.putObject("user");
        fields.put("id", session.userId);
        fields.put("login", "fake_user_" + session.userId);
        fields.put("locale", "fr");
        fields.put("feedback_count", 0);
        user.put("code", 0);
        return json(200, user.toString());
    }

    private synchronized Reply faultReply(Fault fault) {
        if (fault instanceof Fault.ServiceUnavailable) {
            return html(503, "<html><head><title>503 Service Temporarily Unavailable</title></head>"
                    + "<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>");
        }
        if (fault instanceof Fault.RateLimited limited) {
            return new Reply(429, "application/json; charset=utf-8", List.of(),
                    Map.of("Retry-After", String.valueOf(limited.retryAfter().toSeconds())),
                    "{\"code\":0,\"message\":\"Too Many Requests\"}");
        }
        if (fault instanceof Fault.OkWithoutToken) {
            return json(200, "{}");
        }
        if (fault instanceof Fault.BlockedPage) {
            return dataDomePage();
        }
        if (fault instanceof Fault.AccessDenied) {
            return json(403, ACCESS_DENIED_BODY);
        }
        if (fault instanceof Fault.InvalidToken) {
            return json(401, INVALID_TOKEN_BODY);
        }
        if (fault instanceof Fault.ChallengePage) {
            Reply page = dataDomePage();
            return new Reply(200, page.contentType(), page.setCookies(), Map.of(), page.body());
        }
        if (fault instanceof Fault.CaptchaRedirect) {
            return new Reply(302, "text/html; charset=utf-8", List.of(), Map.of("Location",
                    "https://geo.captcha-delivery.com/captcha/?initialCid=" + randomToken(24) + "&cid=" + randomToken(24)),
                    "");
        }
        throw new IllegalStateException("no canned reply for " + fault);
    }

    /** The anti-bot wall: returns the 403 to send, or null when the request may pass. */
    private Reply wall(Instant now) {
        if (blockAll) {
            blockedAnswers++;
            return blockedAnswers % 2 == 1 ? dataDomePage() : json(403, ACCESS_DENIED_BODY);
        }
        if (now.isBefore(wallUntil)) {
            blockedAnswers++;
            return dataDomePage();
        }
        Instant horizon = now.minus(burstWindow);
        for (Iterator<Instant> it = served.iterator(); it.hasNext(); ) {
            if (!it.next().isAfter(horizon)) {
                it.remove();
            }
        }
        if (served.size() >= burstLimit) {
            wallUntil = now.plus(blockDuration);
            blockedAnswers++;
            return dataDomePage();
        }
        served.addLast(now);
        return null;
    }

    private Fault takeFault(FakeEndpoint endpoint) {
        for (Iterator<FaultRule> it = faults.iterator(); it.hasNext(); ) {
            FaultRule rule = it.next();
            if (rule.endpoint.covers(endpoint)) {
                if (rule.remaining != Integer.MAX_VALUE && --rule.remaining <= 0) {
                    it.remove();
                }
                return rule.fault;
            }
        }
        return null;
    }

    private Reply dataDomePage() {
        String cid = randomToken(24);
        String page = "<html lang=\"fr\"><head><title>vinted.fr</title><style>#cmsg{animation: A 1.5s;}"
                + "@keyframes A{0%{opacity:0;}99%{opacity:0;}100%{opacity:1;}}</style></head>"
                + "<body style=\"margin:0\"><p id=\"cmsg\">Please enable JS and disable any ad blocker</p>"
                + "<script data-cfasync=\"false\">var dd={'rt':'c','cid':'" + cid + "','hsh':'"
                + randomToken(16) + "','t':'fe','s':45839,'e':'" + randomToken(32)
                + "','host':'geo.captcha-delivery.com'}</script>"
                + "<script data-cfasync=\"false\" src=\"https://ct.captcha-delivery.com/c.js\"></script>"
                + "</body></html>";
        return new Reply(403, "text/html;charset=utf-8",
                List.of(setCookie("datadome", secret("datadome", randomToken(64)), Duration.ofDays(365), false)),
                Map.of(), page);
    }

    private static Reply json(int status, String body) {
        return new Reply(status, "application/json; charset=utf-8", List.of(), Map.of(), body);
    }

    private static Reply html(int status, String body) {
        return new Reply(status, "text/html; charset=utf-8", List.of(), Map.of(), body);
    }

    private static void send(HttpExchange exchange, Reply reply) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", reply.contentType());
        reply.setCookies().forEach(cookie -> exchange.getResponseHeaders().add("Set-Cookie", cookie));
        reply.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private void record(HttpExchange exchange, FakeEndpoint endpoint, Map<String, String> cookies, Instant now) {
        Map<String, String> headers = new HashMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!lower.equals("cookie") && !lower.equals("authorization") && !values.isEmpty()) {
                headers.put(lower, values.get(0));
            }
        });
        String query = exchange.getRequestURI().getRawQuery();
        requests.add(new RecordedRequest(now, endpoint, exchange.getRequestMethod(),
                exchange.getRequestURI().getRawPath() + (query == null ? "" : "?" + query), headers,
                new HashSet<>(cookies.keySet())));
    }

    private static Map<String, String> cookies(HttpExchange exchange) {
        Map<String, String> cookies = new LinkedHashMap<>();
        for (String header : exchange.getRequestHeaders().getOrDefault("Cookie", List.of())) {
            cookies.putAll(CookieExports.parseHeader(header));
        }
        return cookies;
    }

    private static void drain(InputStream body) throws IOException {
        body.transferTo(OutputStream.nullOutputStream());
    }

    // ---------------------------------------------------------------- tokens and cookies

    private String browserCookies(boolean anonymous) {
        String sid = UUID.randomUUID().toString();
        long userId = anonymous ? 0 : 100_000_000L + RANDOM.nextInt(900_000_000);
        AuthSession session = new AuthSession(sid, userId, anonymous);
        sessions.put(sid, session);
        String access = mint(session, "access", nextSessionAccessLifetime != null ? nextSessionAccessLifetime : accessLifetime);
        session.currentRefresh = mint(session, "refresh", refreshLifetime);
        String sessionCookie = secret(SESSION_COOKIE, randomToken(48));
        csrfBySessionCookie.put(sessionCookie, secret("csrf", randomToken(32)));
        Map<String, String> cookies = new LinkedHashMap<>();
        cookies.put("v_udt", secret("v_udt", randomToken(24)));
        cookies.put("anon_id", secret("anon_id", UUID.randomUUID().toString()));
        if (!anonymous) {
            cookies.put("v_uid", secret("v_uid", String.valueOf(userId)));
        }
        cookies.put("v_sid", secret("v_sid", randomToken(24)));
        cookies.put(ACCESS_TOKEN, access);
        cookies.put(REFRESH_TOKEN, session.currentRefresh);
        cookies.put(SESSION_COOKIE, sessionCookie);
        cookies.put("datadome", secret("datadome", randomToken(64)));
        cookies.put("__cf_bm", secret("__cf_bm", randomToken(40)));
        StringJoiner header = new StringJoiner("; ");
        cookies.forEach((name, value) -> header.add(name + "=" + value));
        return header.toString();
    }

    /** Issues a PS256-shaped JWT; the signature is random bytes, as no one here can check it. */
    private String mint(AuthSession session, String purpose, Duration lifetime) {
        long iat = clock.instant().getEpochSecond();
        long exp = iat + lifetime.toSeconds();
        ObjectNode claims = JSON.createObjectNode();
        if (!session.anonymous) {
            claims.put("account_id", session.userId + 7);
        }
        claims.put("app_id", 4);
        claims.put("aud", "fr.core.api");
        claims.put("client_id", "web");
        claims.put("exp", exp);
        claims.put("iat", iat);
        claims.put("iss", "vinted-iam-service");
        claims.put("purpose", purpose);
        claims.put("scope", session.anonymous ? "public" : "user");
        claims.put("sid", session.sid);
        if (!session.anonymous) {
            claims.put("sub", String.valueOf(session.userId));
        }
        byte[] signature = new byte[256];
        RANDOM.nextBytes(signature);
        String token = B64URL.encodeToString("{\"alg\":\"PS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
                + "." + B64URL.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8))
                + "." + B64URL.encodeToString(signature);
        Grant grant = new Grant(session.sid, Instant.ofEpochSecond(exp));
        (purpose.equals("access") ? accessTokens : refreshTokens).put(token, grant);
        secret(purpose.equals("access") ? ACCESS_TOKEN : REFRESH_TOKEN, token);
        return token;
    }

    private String secret(String name, String value) {
        issued.add(value);
        lastIssued.put(name, value);
        return value;
    }

    private String setCookie(String name, String value, Duration maxAge, boolean httpOnly) {
        StringBuilder header = new StringBuilder(name).append('=').append(value).append("; path=/");
        if (maxAge != null) {
            header.append("; expires=").append(HTTP_DATE.format(clock.instant().plus(maxAge)))
                    .append("; max-age=").append(maxAge.toSeconds());
        }
        header.append("; secure");
        if (httpOnly) {
            header.append("; HttpOnly");
        }
        return header.append("; SameSite=Lax").toString();
    }

    private AuthSession session(String cookies) {
        Map<String, String> parsed = CookieExports.parseHeader(cookies);
        for (String name : List.of(REFRESH_TOKEN, ACCESS_TOKEN)) {
            String token = parsed.getOrDefault(name, cookies.strip());
            Grant grant = refreshTokens.containsKey(token) ? refreshTokens.get(token) : accessTokens.get(token);
            if (grant != null) {
                return sessions.get(grant.sid());
            }
        }
        throw new IllegalArgumentException("FakeVinted never issued a token in these cookies");
    }

    private static String randomToken(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return B64URL.encodeToString(random);
    }
}
