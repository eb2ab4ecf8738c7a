package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.vinted.FakeEndpoint;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every upstream fault of issue 6 point 2, for both providers, against the real daemon process:
 * answers that never come, answers that come after the daemon gave up, dropped connections,
 * connections reset mid-body, 500/502/503, 429 with {@code Retry-After}, malformed answers and a
 * 200 without the new token.
 *
 * <p>Each case imports a fresh credential (its own chain at the imitation), arms the fault for the
 * next few refresh requests, forces one refresh and then lets the daemon's own retry schedule run
 * until the upstream recovers. It checks that the daemon keeps answering, serves the old token with
 * status {@code active} while the fault lasts, retries a bounded number of times with growing gaps
 * (counted at the imitation), honours {@code Retry-After}, and ends on a new token with the chain
 * intact (no refresh token presented twice).
 *
 * <p>The imitations ({@link FakeGazelle}, {@link FakeVinted}) sit behind a small fault gate, a
 * real HTTP server on 127.0.0.1 that forwards everything, records when each refresh request
 * arrives, and itself plays the faults the imitations do not have (500, 502, a reset mid-body, an
 * answer that never comes, garbage {@code Set-Cookie}, an unreadable new token). One daemon per
 * provider serves every case of that provider, with access tokens that live an hour so that nothing
 * but the forced refresh and its retries reaches the refresh endpoint.
 */
class UpstreamFaultsTest {

    /** {@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS}. */
    private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(1);
    /** {@code TOKENKEEPER_RETRY_BASE_SECONDS}: failure n waits between base·2^(n-1)/2 and base·2^(n-1). */
    private static final Duration RETRY_BASE = Duration.ofSeconds(1);
    /** {@code TOKENKEEPER_RETRY_MAX_SECONDS}. */
    private static final Duration RETRY_MAX = Duration.ofSeconds(8);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(3);
    /** Timers and clocks of two processes: a gap may look this much shorter than the delay planned. */
    private static final long TOLERANCE_MILLIS = 100;
    private static final Duration LONG_LIFETIME = Duration.ofHours(1);
    /** {@code VINTED_BLOCKED_BACKOFF_SECONDS} of the Vinted daemon: how long an anti-bot answer pauses Vinted. */
    private static final Duration VINTED_BLOCKED_PAUSE = Duration.ofSeconds(2);

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final AtomicInteger CASES = new AtomicInteger();
    private static final Map<Side, Imitation> IMITATIONS = new EnumMap<>(Side.class);
    @TempDir
    static Path temp;

    /** The two providers. */
    enum Side { GAZELLE, VINTED }

    /**
     * A fault, how many refresh requests in a row meet it, and the failure kind the daemon should
     * record ({@code lastError} starts with it).
     */
    enum UpstreamFault {
        /** The gate holds the request and never answers nor forwards it: the daemon's timeout ends the wait. */
        NEVER_ANSWERS(3, "network"),
        /** The imitation answers after the timeout and carries the refresh out anyway: the loss window. */
        ANSWERS_AFTER_TIMEOUT(1, "network"),
        /** The imitation closes the connection without a byte. */
        DROPPED_CONNECTION(3, "network"),
        /** The gate sends a 200 with a Content-Length, half the body, and closes the connection. */
        RESET_MID_BODY(3, "network"),
        HTTP_500(3, "server_error"),
        HTTP_502(3, "server_error"),
        HTTP_503(3, "server_error"),
        /** 429 with {@code Retry-After: 3}, longer than the backoff of the first two failures. */
        RATE_LIMITED_429(2, "rate_limited"),
        /** Gazelle: a 200 whose JSON is cut short; Vinted: a 200 whose {@code Set-Cookie} headers are garbage. */
        MALFORMED(3, "bad_response"),
        /** A 200 {@code {}}: no access token (Gazelle) or no {@code Set-Cookie} at all (Vinted). */
        OK_WITHOUT_TOKEN(3, "bad_response"),
        /**
         * A 200 that names the new token but whose value is unusable: Gazelle, an {@code access_token}
         * that is a JSON object; Vinted, an {@code access_token_web} cookie that is not a JWT.
         */
        UNREADABLE_TOKEN(3, "bad_response"),
        /** Vinted only: DataDome's challenge as a 200 HTML page where JSON was expected. */
        CHALLENGE_PAGE_200(1, "blocked"),
        /** Vinted only: a 302 to {@code geo.captcha-delivery.com}. */
        CAPTCHA_REDIRECT(1, "blocked");

        final int times;
        final String kind;

        UpstreamFault(int times, String kind) {
            this.times = times;
            this.kind = kind;
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (Side side : Side.values()) {
            for (UpstreamFault fault : UpstreamFault.values()) {
                if (side == Side.VINTED && fault == UpstreamFault.UNREADABLE_TOKEN) {
                    continue; // a known bug: see vintedAccessCookieThatIsNotAJwtIsNotTakenForANewToken
                }
                if (side == Side.GAZELLE && fault.kind.equals("blocked")) {
                    continue; // Vinted's anti-bot wall
                }
                cases.add(Arguments.of(side, fault));
            }
        }
        return cases.stream();
    }

    @AfterAll
    static void stopEverythingAndCheckOutputForSecrets() throws Exception {
        List<String> leaks = new ArrayList<>();
        for (Imitation imitation : IMITATIONS.values()) {
            imitation.daemon.stop();
            leaks.addAll(imitation.leakedSecrets());
            imitation.close();
        }
        IMITATIONS.clear();
        assertEquals(List.of(), leaks, "daemon output must hold no secret the imitations issued");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void survivesTheFaultAndKeepsTheChain(Side side, UpstreamFault fault) throws Exception {
        Imitation upstream = imitation(side);
        DaemonProcess daemon = upstream.daemon;
        upstream.resetFaults();
        String account = "case" + CASES.incrementAndGet();
        String id = upstream.importFresh(account);
        String old = token(daemon, id).orElseThrow();
        assertTrue(upstream.isAccessTokenValid(old), "the imported token is valid");
        int reusesBefore = upstream.reuseCount();
        int attemptsBefore = upstream.gate.refreshAttempts().size();

        upstream.inject(fault);
        DaemonProcess.Response forced = daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        assertEquals(200, forced.status(), forced.body());
        assertEquals("retry_later", forced.json().get("outcome").asText(), forced.body());
        // While the fault lasts (the next attempt is at least 0.5 s away): alive, active, the old token.
        assertHealthy(daemon);
        JsonNode during = credential(daemon, id);
        assertEquals("active", during.get("status").asText(), "a transient failure of a valid token is not expiry");
        assertTrue(during.get("lastError").asText().startsWith(fault.kind + ":"),
                "lastError names the failure kind " + fault.kind + ": " + during.get("lastError"));
        assertEquals(old, token(daemon, id).orElseThrow(), "the old token is served while the upstream fails");

        if (fault == UpstreamFault.ANSWERS_AFTER_TIMEOUT) {
            assertTheLossWindow(upstream, id, account, reusesBefore, attemptsBefore);
        } else {
            assertRecovery(upstream, fault, id, account, old, reusesBefore, attemptsBefore);
        }
        assertHealthy(daemon);
        assertEquals(List.of(), upstream.leakedSecrets(), "daemon output holds a secret");
        DaemonProcess.Response deleted = daemon.call("DELETE", "/api/v1/credentials/" + id, null);
        assertEquals(204, deleted.status(), deleted.body());
    }

    @Test
    // Was a bug: a 2xx setting a non-JWT access_token_web counted as a refresh; SessionRefresh now
    // keeps the old, readable access token and reports bad_response.
    void vintedAccessCookieThatIsNotAJwtIsNotTakenForANewToken() throws Exception {
        survivesTheFaultAndKeepsTheChain(Side.VINTED, UpstreamFault.UNREADABLE_TOKEN);
    }

    /** Vinted answers that differ from the usual one but are a success, or succeed by another way. */
    enum VintedVariant {
        /** The refresh is answered 201 instead of 200. */
        ANSWERED_201,
        /** The refresh's JSON body repeats the new tokens; {@code Set-Cookie} stays authoritative. */
        TOKENS_IN_BODY,
        /** The home page carries no CSRF token: the {@code refresh_token_web} cookie alone is accepted. */
        REFRESH_COOKIE_ALONE,
        /** The account cookies are expired and the home page redirects such a session away. */
        EXPIRED_SESSION_HOME_REDIRECT
    }

    @ParameterizedTest(name = "VINTED: {0}")
    @org.junit.jupiter.params.provider.EnumSource(VintedVariant.class)
    void vintedVariantRefreshesAndKeepsTheChain(VintedVariant variant) throws Exception {
        VintedImitation upstream = (VintedImitation) imitation(Side.VINTED);
        DaemonProcess daemon = upstream.daemon;
        upstream.resetFaults();
        String account = "variant" + CASES.incrementAndGet();
        int reusesBefore = upstream.reuseCount();
        String id;
        String old;
        try {
            switch (variant) {
                case ANSWERED_201 -> upstream.vinted.failNext(FakeEndpoint.REFRESH, 1, Fault.created());
                case TOKENS_IN_BODY -> upstream.vinted.failNext(FakeEndpoint.REFRESH, 1, Fault.tokensInBody());
                case REFRESH_COOKIE_ALONE -> upstream.vinted.cookieOnlyRefresh(true);
                case EXPIRED_SESSION_HOME_REDIRECT -> upstream.vinted.redirectExpiredSessions(true);
                default -> throw new IllegalArgumentException(variant.name());
            }
            if (variant == VintedVariant.EXPIRED_SESSION_HOME_REDIRECT) {
                // Imported already expired: the daemon refreshes it at once by itself.
                id = upstream.importFresh(account, Duration.ofSeconds(-60));
                old = null;
            } else {
                id = upstream.importFresh(account);
                old = token(daemon, id).orElseThrow();
                DaemonProcess.Response forced = daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
                assertEquals(200, forced.status(), forced.body());
                assertEquals("refreshed", forced.json().get("outcome").asText(), forced.body());
            }
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> upstream.refreshesOf(account) == 1
                            && token(daemon, id).filter(upstream::isAccessTokenValid).isPresent());
        } finally {
            upstream.vinted.cookieOnlyRefresh(false);
            upstream.vinted.redirectExpiredSessions(false);
        }
        String fresh = token(daemon, id).orElseThrow();
        assertNotEquals(old, fresh);
        JsonNode after = credential(daemon, id);
        assertEquals("active", after.get("status").asText(), after.toString());
        assertEquals(1, upstream.refreshesOf(account), "exactly one refresh went through at the upstream");
        // The daemon kept the refresh token Set-Cookie carried: the chain goes on.
        DaemonProcess.Response again = daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        assertEquals("refreshed", again.json().get("outcome").asText(), again.body());
        assertEquals(2, upstream.refreshesOf(account));
        assertEquals(reusesBefore, upstream.reuseCount(), "no refresh token was presented twice: the chain is intact");
        assertEquals(List.of(), upstream.leakedSecrets(), "daemon output holds a secret");
        assertEquals(204, daemon.call("DELETE", "/api/v1/credentials/" + id, null).status());
    }

    private static void assertRecovery(Imitation upstream, UpstreamFault fault, String id, String account, String old,
                                       int reusesBefore, int attemptsBefore) throws Exception {
        DaemonProcess daemon = upstream.daemon;
        List<String> problems = new ArrayList<>();
        // Poll like a consumer until the daemon hands out a new token.
        await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(200)).until(() -> {
            String served = token(daemon, id).orElse("(no token: HTTP error)");
            if (!served.equals(old)) {
                return true;
            }
            // The rotation count is read last: it only grows, so a rotation that invalidated the old
            // token (or changed the status) before the earlier reads shows in it. Read first, it raced
            // a rotation landing between the reads and flagged a token that was valid when served.
            boolean oldStillAccepted = upstream.isAccessTokenValid(old);
            String status = credential(daemon, id).get("status").asText();
            int rotated = upstream.refreshesOf(account);
            if (rotated == 0 && !oldStillAccepted) {
                problems.add("the old token was served after the upstream stopped accepting it");
            }
            if (rotated == 0 && !status.equals("active")) {
                problems.add("status " + status + " while the old token was valid");
            }
            return false;
        });
        assertEquals(List.of(), problems);

        String fresh = token(daemon, id).orElseThrow();
        assertNotEquals(old, fresh);
        assertTrue(upstream.isAccessTokenValid(fresh), "the new token is accepted upstream");
        JsonNode after = credential(daemon, id);
        assertEquals("active", after.get("status").asText());
        assertTrue(after.get("lastError").isNull(), "a success clears lastError: " + after.get("lastError"));
        assertEquals(1, upstream.refreshesOf(account), "exactly one refresh went through at the upstream");
        assertEquals(reusesBefore, upstream.reuseCount(), "no refresh token was presented twice: the chain is intact");

        // Bounded: the faulted attempts and the one that succeeded, and nothing more afterwards.
        int expected = fault.times + 1;
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> upstream.gate.refreshAttempts().size() - attemptsBefore == expected);
        List<Instant> attempts = upstream.gate.refreshAttempts().subList(attemptsBefore, attemptsBefore + expected);
        List<Long> gaps = gapsMillis(attempts);
        for (int failure = 1; failure <= gaps.size(); failure++) {
            long floor = backoffFloor(failure).toMillis();
            if (fault == UpstreamFault.RATE_LIMITED_429) {
                floor = Math.max(floor, RETRY_AFTER.toMillis());
            }
            if (fault == UpstreamFault.NEVER_ANSWERS) {
                floor += UPSTREAM_TIMEOUT.toMillis();
            }
            if (fault.kind.equals("blocked")) {
                floor = Math.max(floor, VINTED_BLOCKED_PAUSE.toMillis());
            }
            long gap = gaps.get(failure - 1);
            assertTrue(gap >= floor - TOLERANCE_MILLIS, "the wait after failure " + failure + " is at least "
                    + floor + " ms" + (fault == UpstreamFault.RATE_LIMITED_429 ? " (Retry-After)" : "") + ": gaps " + gaps);
        }
        if (fault != UpstreamFault.RATE_LIMITED_429 && gaps.size() > 1) {
            assertTrue(gaps.get(gaps.size() - 1) > gaps.get(0), "delays grow: gaps " + gaps);
        }
    }

    /**
     * The imitation holds the answer to the forced refresh past the daemon's timeout and then carries
     * the refresh out, as a real server does: the refresh token rotates at the upstream, but the
     * answer that carries the new one never reaches the daemon. This is the window DESIGN.md and issue
     * 6 point 1 name, "the upstream answered, the answer is not committed", here opened by the network
     * instead of a crash; no client can close it, since it never learns the new token. What must (and
     * does) hold: the daemon does not crash, its next attempt presents the old refresh token once, takes
     * the rejection as final (status {@code requires_configuration}, a reason for a human, no token
     * served, no retry loop), and the loss is visible as exactly one reuse at the upstream.
     */
    private static void assertTheLossWindow(Imitation upstream, String id, String account, int reusesBefore,
                                            int attemptsBefore) throws Exception {
        DaemonProcess daemon = upstream.daemon;
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> credential(daemon, id).get("status").asText().equals("requires_configuration"));
        assertEquals(1, upstream.refreshesOf(account), "the late answer was carried out at the upstream");
        assertEquals(reusesBefore + 1, upstream.reuseCount(), "the retry presented the refresh token spent by the late answer");
        JsonNode after = credential(daemon, id);
        assertFalse(after.get("lastError").asText().isBlank(), "the reason tells a human what to do");
        DaemonProcess.Response token = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null);
        assertEquals(409, token.status(), "no token is served for a lost chain: " + token.body());
        // One timed-out attempt, one rejected retry, then nothing: a rejected chain is not retried.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(6))
                .until(() -> upstream.gate.refreshAttempts().size() - attemptsBefore == 2);
        List<Instant> attempts = upstream.gate.refreshAttempts().subList(attemptsBefore, attemptsBefore + 2);
        long gap = Duration.between(attempts.get(0), attempts.get(1)).toMillis();
        assertTrue(gap >= UPSTREAM_TIMEOUT.plus(backoffFloor(1)).toMillis() - TOLERANCE_MILLIS,
                "the retry waited for the timeout and the backoff: " + gap + " ms");
    }

    /** The shortest delay the daemon's backoff plans after the n-th failure in a row (half of the ceiling). */
    private static Duration backoffFloor(int failure) {
        long ceiling = Math.min(RETRY_MAX.toMillis(), RETRY_BASE.toMillis() << (failure - 1));
        return Duration.ofMillis(ceiling / 2);
    }

    private static List<Long> gapsMillis(List<Instant> times) {
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < times.size(); i++) {
            gaps.add(Duration.between(times.get(i - 1), times.get(i)).toMillis());
        }
        return gaps;
    }

    // ---------------------------------------------------------------- daemon calls

    private static java.util.Optional<String> token(DaemonProcess daemon, String id) throws Exception {
        DaemonProcess.Response response = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null);
        return response.status() == 200 ? java.util.Optional.of(response.json().get("token").asText())
                : java.util.Optional.empty();
    }

    private static JsonNode credential(DaemonProcess daemon, String id) throws Exception {
        DaemonProcess.Response response = daemon.call("GET", "/api/v1/credentials/" + id, null);
        assertEquals(200, response.status(), response.body());
        return response.json();
    }

    private static void assertHealthy(DaemonProcess daemon) throws Exception {
        assertTrue(daemon.process().isAlive(), "the daemon process is alive");
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.baseUrl() + "/healthz"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
    }

    private static synchronized Imitation imitation(Side side) throws Exception {
        Imitation existing = IMITATIONS.get(side);
        if (existing != null) {
            return existing;
        }
        Imitation created = side == Side.GAZELLE ? new GazelleImitation() : new VintedImitation();
        IMITATIONS.put(side, created);
        return created;
    }

    private static Map<String, String> daemonSettings() {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", String.valueOf(UPSTREAM_TIMEOUT.toSeconds()));
        env.put("TOKENKEEPER_RETRY_BASE_SECONDS", String.valueOf(RETRY_BASE.toSeconds()));
        env.put("TOKENKEEPER_RETRY_MAX_SECONDS", String.valueOf(RETRY_MAX.toSeconds()));
        return env;
    }

    // ---------------------------------------------------------------- the two imitations

    /** One provider's imitation, the fault gate in front of it and a daemon pointed at the gate. */
    private abstract static class Imitation implements AutoCloseable {
        final FaultGate gate;
        DaemonProcess daemon;

        Imitation(URI upstream, String refreshPath) {
            gate = new FaultGate(upstream, refreshPath);
        }

        /** Imports a new chain of the imitation as {@code <provider>:<account>}; returns the id. */
        abstract String importFresh(String account) throws Exception;

        /** Arms {@code fault} for the next {@code fault.times} refresh requests. */
        abstract void inject(UpstreamFault fault);

        abstract void resetFaults();

        abstract boolean isAccessTokenValid(String token);

        /** Refreshes the imitation carried out for this account's chain. */
        abstract int refreshesOf(String account);

        abstract int reuseCount();

        abstract Set<String> issuedSecrets();

        List<String> leakedSecrets() throws IOException {
            String output = daemon.output();
            List<String> leaks = new ArrayList<>();
            for (String secret : issuedSecrets()) {
                if (output.contains(secret)) {
                    leaks.add("a secret of " + secret.length() + " characters");
                }
            }
            return leaks;
        }

        void importChecked(String id, String body) throws Exception {
            DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/" + id, body);
            assertEquals(201, imported.status(), imported.body());
        }
    }

    private static final class GazelleImitation extends Imitation {
        private final FakeGazelle gazelle;

        GazelleImitation() throws Exception {
            this(FakeGazelle.start());
        }

        private GazelleImitation(FakeGazelle gazelle) throws Exception {
            super(gazelle.baseUrl(), FakeGazelle.TOKEN_PATH);
            this.gazelle = gazelle;
            gazelle.accessLifetime(LONG_LIFETIME);
            Map<String, String> env = daemonSettings();
            env.putAll(gazelle.settings());
            env.put("GAZELLE_OAUTH_TOKEN_URL", gate.baseUrl().resolve(FakeGazelle.TOKEN_PATH).toString());
            env.put("GAZELLE_API_URL", gate.baseUrl().resolve(FakeGazelle.API_PATH).toString());
            daemon = new DaemonProcess(temp.resolve("gazelle-state"), env).start();
        }

        @Override
        String importFresh(String account) throws Exception {
            String id = "gazelle:" + account;
            importChecked(id, DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString());
            return id;
        }

        @Override
        void inject(UpstreamFault fault) {
            int n = fault.times;
            switch (fault) {
                case NEVER_ANSWERS -> gate.failNext(n, FaultGate.Play.HANG);
                // Longer than the 1 s timeout, shorter than the timeout plus the first retry delay (0.5 s at least).
                case ANSWERS_AFTER_TIMEOUT -> gazelle.tokenFaultForNext(n, FakeGazelle.Fault.slow(Duration.ofMillis(1300)));
                case DROPPED_CONNECTION -> gazelle.tokenFaultForNext(n, FakeGazelle.Fault.dropConnection());
                case RESET_MID_BODY -> gate.failNext(n, FaultGate.Play.RESET_MID_BODY);
                case HTTP_500 -> gate.failNext(n, FaultGate.Play.STATUS_500);
                case HTTP_502 -> gate.failNext(n, FaultGate.Play.STATUS_502);
                case HTTP_503 -> gazelle.tokenFaultForNext(n, FakeGazelle.Fault.serviceUnavailable());
                case RATE_LIMITED_429 -> gazelle.tokenFaultForNext(n, FakeGazelle.Fault.rateLimited(RETRY_AFTER));
                case MALFORMED -> gazelle.tokenFaultForNext(n, FakeGazelle.Fault.malformedJson());
                case OK_WITHOUT_TOKEN -> gazelle.tokenFaultForNext(n, FakeGazelle.Fault.okWithoutToken());
                case UNREADABLE_TOKEN -> gate.failNext(n, FaultGate.Play.UNREADABLE_ACCESS_TOKEN_JSON);
                default -> throw new IllegalArgumentException(fault.name());
            }
        }

        @Override
        void resetFaults() {
            gazelle.tokenFault(FakeGazelle.Fault.normal());
            gate.clear();
        }

        @Override
        boolean isAccessTokenValid(String token) {
            return gazelle.isAccessTokenValid(token);
        }

        @Override
        int refreshesOf(String account) {
            return gazelle.refreshesPerChain().getOrDefault(account, 0);
        }

        @Override
        int reuseCount() {
            return gazelle.reuseCount();
        }

        @Override
        Set<String> issuedSecrets() {
            return gazelle.allIssuedSecrets();
        }

        @Override
        public void close() {
            gate.close();
            gazelle.close();
        }
    }

    private static final class VintedImitation extends Imitation {
        private static final String REFRESH_PATH = "/web/api/auth/refresh";
        private final FakeVinted vinted;
        private final Map<String, String> sessions = new java.util.HashMap<>();

        VintedImitation() throws Exception {
            this(FakeVinted.builder().accessTokenLifetime(LONG_LIFETIME).refreshTokenLifetime(Duration.ofDays(1))
                    .csrfRequired(true).burstLimit(10_000, Duration.ofMinutes(5)).start());
        }

        private VintedImitation(FakeVinted vinted) throws Exception {
            super(URI.create(vinted.baseUrl()), REFRESH_PATH);
            this.vinted = vinted;
            Map<String, String> env = daemonSettings();
            env.put("VINTED_BASE_URL", gate.baseUrl().toString());
            env.put("VINTED_MAX_REQUESTS_PER_5_MIN", "1000");
            env.put("VINTED_BLOCKED_BACKOFF_SECONDS", String.valueOf(VINTED_BLOCKED_PAUSE.toSeconds()));
            daemon = new DaemonProcess(temp.resolve("vinted-state"), env).start();
        }

        String importFresh(String account, Duration accessLifetime) throws Exception {
            String id = "vinted:" + account;
            String session = vinted.newSession(accessLifetime);
            sessions.put(account, session);
            importChecked(id, DaemonProcess.JSON.createObjectNode().put("cookie", session).toString());
            return id;
        }

        @Override
        String importFresh(String account) throws Exception {
            String id = "vinted:" + account;
            String session = vinted.newSession();
            sessions.put(account, session);
            importChecked(id, DaemonProcess.JSON.createObjectNode().put("cookie", session).toString());
            return id;
        }

        @Override
        void inject(UpstreamFault fault) {
            int n = fault.times;
            switch (fault) {
                case NEVER_ANSWERS -> gate.failNext(n, FaultGate.Play.HANG);
                case ANSWERS_AFTER_TIMEOUT -> vinted.failNext(FakeEndpoint.REFRESH, n, Fault.slow(Duration.ofMillis(1300)));
                case DROPPED_CONNECTION -> vinted.failNext(FakeEndpoint.REFRESH, n, Fault.dropConnection());
                case RESET_MID_BODY -> gate.failNext(n, FaultGate.Play.RESET_MID_BODY);
                case HTTP_500 -> gate.failNext(n, FaultGate.Play.STATUS_500);
                case HTTP_502 -> gate.failNext(n, FaultGate.Play.STATUS_502);
                case HTTP_503 -> vinted.failNext(FakeEndpoint.REFRESH, n, Fault.serviceUnavailable());
                case RATE_LIMITED_429 -> vinted.failNext(FakeEndpoint.REFRESH, n, Fault.rateLimited(RETRY_AFTER));
                case MALFORMED -> gate.failNext(n, FaultGate.Play.GARBAGE_SET_COOKIE);
                case OK_WITHOUT_TOKEN -> vinted.failNext(FakeEndpoint.REFRESH, n, Fault.okWithoutToken());
                case UNREADABLE_TOKEN -> gate.failNext(n, FaultGate.Play.UNREADABLE_ACCESS_TOKEN_COOKIE);
                case CHALLENGE_PAGE_200 -> vinted.failNext(FakeEndpoint.REFRESH, n, Fault.challengePage());
                case CAPTCHA_REDIRECT -> vinted.failNext(FakeEndpoint.REFRESH, n, Fault.captchaRedirect());
                default -> throw new IllegalArgumentException(fault.name());
            }
        }

        @Override
        void resetFaults() {
            vinted.clearFaults();
            gate.clear();
        }

        @Override
        boolean isAccessTokenValid(String token) {
            return vinted.isAccessTokenValid(token);
        }

        @Override
        int refreshesOf(String account) {
            return vinted.refreshesPerSession().getOrDefault(vinted.sessionId(sessions.get(account)), 0);
        }

        @Override
        int reuseCount() {
            return vinted.reuseCount();
        }

        @Override
        Set<String> issuedSecrets() {
            return vinted.allIssuedSecrets();
        }

        @Override
        public void close() {
            gate.close();
            vinted.close();
        }
    }

    // ---------------------------------------------------------------- the fault gate

    /**
     * A real HTTP server on 127.0.0.1 in front of an imitation: forwards every request as it came and
     * the answer as it came back, records the arrival of each refresh request ({@code POST} to the
     * refresh path), and answers the next refresh requests itself when a {@link Play} is armed. None
     * of its own answers reaches the imitation, so none of them spends a refresh token.
     */
    private static final class FaultGate implements AutoCloseable {

        /** What the gate does instead of forwarding. */
        enum Play {
            /** Holds the request until the gate closes: the answer never comes. */
            HANG,
            /** 200 with {@code Content-Length}, half the body, then the connection closes. */
            RESET_MID_BODY,
            /** 500 with a JSON error body. */
            STATUS_500,
            /** 502 with an nginx HTML page. */
            STATUS_502,
            /** 200 {@code {}} with {@code Set-Cookie} headers that hold no {@code name=value} pair. */
            GARBAGE_SET_COOKIE,
            /** 200 with {@code "access_token"} as a JSON object instead of text. */
            UNREADABLE_ACCESS_TOKEN_JSON,
            /** 200 {@code {}} setting {@code access_token_web} to a value that is not a JWT. */
            UNREADABLE_ACCESS_TOKEN_COOKIE
        }

        private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "expect", "host",
                "upgrade", "transfer-encoding", "keep-alive", "date");

        private final URI upstream;
        private final String refreshPath;
        private final HttpServer server;
        private final ExecutorService executor = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "fault-gate");
            thread.setDaemon(true);
            return thread;
        });
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
        private final CountDownLatch closed = new CountDownLatch(1);
        // Guarded by this.
        private final Deque<Play> armed = new ArrayDeque<>();
        private final List<Instant> refreshAttempts = new ArrayList<>();

        FaultGate(URI upstream, String refreshPath) {
            this.upstream = upstream;
            this.refreshPath = refreshPath;
            try {
                server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the fault gate on 127.0.0.1", e);
            }
            server.setExecutor(executor);
            server.createContext("/", this::handle);
            server.start();
        }

        URI baseUrl() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        synchronized void failNext(int times, Play play) {
            for (int i = 0; i < times; i++) {
                armed.addLast(play);
            }
        }

        synchronized void clear() {
            armed.clear();
        }

        /** @return when each refresh request arrived, oldest first (faulted and forwarded alike) */
        synchronized List<Instant> refreshAttempts() {
            return List.copyOf(refreshAttempts);
        }

        private void handle(HttpExchange exchange) {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                boolean refresh = exchange.getRequestMethod().equals("POST")
                        && exchange.getRequestURI().getPath().equals(refreshPath);
                Play play = null;
                if (refresh) {
                    synchronized (this) {
                        refreshAttempts.add(Instant.now());
                        play = armed.pollFirst();
                    }
                }
                if (play != null) {
                    play(exchange, play);
                } else {
                    forward(exchange, body);
                }
            } catch (IOException | RuntimeException e) {
                // The client gave up or the imitation dropped the connection: closing the exchange
                // without an answer drops this connection too.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void play(HttpExchange exchange, Play play) throws IOException, InterruptedException {
            switch (play) {
                case HANG -> closed.await();
                case RESET_MID_BODY -> {
                    byte[] whole = ("{\"error\":\"none\",\"padding\":\"" + "x".repeat(200) + "\"}").getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                    exchange.sendResponseHeaders(200, whole.length);
                    OutputStream out = exchange.getResponseBody();
                    out.write(whole, 0, whole.length / 2);
                    out.flush();
                    // Closing a fixed-length body before it is complete closes the connection.
                }
                case STATUS_500 -> respond(exchange, 500, "application/json; charset=utf-8",
                        "{\"error\":\"internal_server_error\",\"message\":\"Something went wrong\"}");
                case STATUS_502 -> respond(exchange, 502, "text/html",
                        "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
                                + "</center><hr><center>nginx</center></body></html>");
                case GARBAGE_SET_COOKIE -> {
                    for (String garbage : List.of("=; Path=/", "access_token_web; HttpOnly", ";refresh_token_web=",
                            "%%%~~~ ;;; ==")) {
                        exchange.getResponseHeaders().add("Set-Cookie", garbage);
                    }
                    respond(exchange, 200, "application/json; charset=utf-8", "{}");
                }
                case UNREADABLE_ACCESS_TOKEN_JSON -> respond(exchange, 200, "application/json; charset=utf-8",
                        "{\"access_token\":{\"value\":\"not-a-token\"},\"token_type\":\"Bearer\",\"expires_in\":3600}");
                case UNREADABLE_ACCESS_TOKEN_COOKIE -> {
                    exchange.getResponseHeaders().add("Set-Cookie",
                            "access_token_web=not-a-jwt; path=/; max-age=7200; secure; HttpOnly; SameSite=Lax");
                    respond(exchange, 200, "application/json; charset=utf-8", "{}");
                }
                default -> throw new IllegalArgumentException(play.name());
            }
        }

        private void forward(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
            String query = exchange.getRequestURI().getRawQuery();
            HttpRequest.Builder request = HttpRequest.newBuilder(upstream.resolve(exchange.getRequestURI().getRawPath()
                            + (query == null ? "" : "?" + query)))
                    .timeout(Duration.ofSeconds(30))
                    .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                    values.forEach(value -> request.header(name, value));
                }
            });
            HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            response.headers().map().forEach((name, values) -> {
                if (!name.startsWith(":") && !NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                    exchange.getResponseHeaders().put(name, new ArrayList<>(values));
                }
            });
            byte[] answer = response.body();
            exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            }
        }

        private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }

        @Override
        public void close() {
            closed.countDown();
            server.stop(0);
            executor.shutdownNow();
        }
    }
}
