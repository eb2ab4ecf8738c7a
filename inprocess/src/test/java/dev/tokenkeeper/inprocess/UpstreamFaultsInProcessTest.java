package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.provider.vinted.FakeEndpoint;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.Fault;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every upstream fault of issue 6 point 2, for both providers, against the daemon in this JVM on the
 * controlled clock: answers that never come, answers that come after the daemon gave up, dropped
 * connections, connections reset mid-body, 500/502/503, 429 with {@code Retry-After}, malformed
 * answers and a 200 without the new token.
 *
 * <p>Each case imports a fresh credential (its own chain at the imitation), arms the fault for the
 * next few refresh requests, forces one refresh and then moves the clock in 500 ms steps, so that the
 * daemon's own retry schedule runs, until the upstream recovers. It checks that the daemon keeps
 * answering, serves the old token with status {@code active} while the fault lasts, retries a
 * bounded number of times with growing gaps (counted at the imitation, on the clock), honours
 * {@code Retry-After}, and ends on a new token with the chain intact (no refresh token presented
 * twice). Only the upstream timeout is real: a socket timeout of the daemon's HTTP client, one second.
 *
 * <p>The imitations ({@link FakeGazelle}, {@link FakeVinted}) read the test's clock and sit behind a
 * {@link FaultGate}, a real HTTP server on 127.0.0.1 that forwards everything, records when each
 * refresh request arrives, and itself plays the faults the imitations do not have. One daemon with
 * both providers serves every case, with access tokens that live an hour so that nothing but the
 * forced refresh and its retries reaches the refresh endpoint.
 */
class UpstreamFaultsInProcessTest {

    /** {@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS}: the one wait on the wall clock (the daemon's socket timeout). */
    private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(1);
    /** {@code TOKENKEEPER_RETRY_BASE_SECONDS}: failure n waits between base·2^(n-1)/2 and base·2^(n-1). */
    private static final Duration RETRY_BASE = Duration.ofSeconds(1);
    /** {@code TOKENKEEPER_RETRY_MAX_SECONDS}. */
    private static final Duration RETRY_MAX = Duration.ofSeconds(8);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(3);
    private static final Duration LONG_LIFETIME = Duration.ofHours(1);
    /** {@code VINTED_BLOCKED_BACKOFF_SECONDS}: how long an anti-bot answer pauses Vinted. */
    private static final Duration VINTED_BLOCKED_PAUSE = Duration.ofSeconds(2);
    /**
     * How far the clock moves between two looks, as a consumer polling twice a second; the clock
     * stops at every attempt on the way, so the gaps are counted exactly whatever the step.
     */
    private static final Duration POLL = Duration.ofMillis(500);
    /** Longer than any retry delay: after it, an attempt that has not come will not come. */
    private static final Duration QUIET = RETRY_MAX.multipliedBy(2);
    /** What the wall clock may add to the socket timeout on a loaded machine. */
    private static final Duration TIMEOUT_SLACK = Duration.ofSeconds(5);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final AtomicInteger CASES = new AtomicInteger();
    private static final MutableClock CLOCK = MutableClock.startingNow();
    private static final GazelleImitation GAZELLE = new GazelleImitation();
    private static final VintedImitation VINTED = new VintedImitation();

    @RegisterExtension
    static final TokenkeeperExtension DAEMON = TokenkeeperExtension.withProvider(new GazelleProvider())
            .provider(new VintedProvider()).clock(CLOCK)
            .setting("TOKENKEEPER_REFRESH_MARGIN_SECONDS", "1")
            .setting("TOKENKEEPER_REFRESH_JITTER_SECONDS", "0.2")
            .setting("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0.5")
            .setting("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", String.valueOf(UPSTREAM_TIMEOUT.toSeconds()))
            .setting("TOKENKEEPER_RETRY_BASE_SECONDS", String.valueOf(RETRY_BASE.toSeconds()))
            .setting("TOKENKEEPER_RETRY_MAX_SECONDS", String.valueOf(RETRY_MAX.toSeconds()))
            // The validation sweep is not the subject (each asks the imitations over HTTP): once a day.
            .setting("TOKENKEEPER_CHECK_INTERVAL_MINUTES", "1440")
            .settings(GAZELLE.daemonSettings()).settings(VINTED.daemonSettings());

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

        /** The daemon's own socket timeout ends the attempt: the one wait in wall time. */
        boolean timesOut() {
            return this == NEVER_ANSWERS || this == ANSWERS_AFTER_TIMEOUT;
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
    static void closeImitationsAndCheckTheLogForSecrets() {
        List<String> leaks = new ArrayList<>();
        for (Imitation imitation : List.of(GAZELLE, VINTED)) {
            leaks.addAll(imitation.leakedSecrets());
            imitation.close();
        }
        assertEquals(List.of(), leaks, "the daemon's log must hold no secret the imitations issued");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void survivesTheFaultAndKeepsTheChain(Side side, UpstreamFault fault) throws Exception {
        Imitation upstream = side == Side.GAZELLE ? GAZELLE : VINTED;
        upstream.resetFaults();
        String account = "case" + CASES.incrementAndGet();
        String id = upstream.importFresh(account);
        String old = token(id).orElseThrow();
        assertTrue(upstream.isAccessTokenValid(old), "the imported token is valid");
        int reusesBefore = upstream.reuseCount();
        int attemptsBefore = upstream.gate.refreshAttempts().size();

        upstream.inject(fault);
        long started = System.nanoTime();
        HttpResponse<String> forced = DAEMON.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertEquals(200, forced.statusCode(), forced.body());
        assertEquals("retry_later", JSON.readTree(forced.body()).get("outcome").asText(), forced.body());
        if (fault.timesOut()) {
            assertTrue(took.compareTo(UPSTREAM_TIMEOUT.minusMillis(50)) >= 0
                    && took.compareTo(UPSTREAM_TIMEOUT.plus(TIMEOUT_SLACK)) < 0,
                    "the daemon's socket timeout ended the attempt: " + took.toMillis() + " ms");
        }
        // While the fault lasts (the clock has not moved to the next attempt): alive, active, the old token.
        assertHealthy();
        JsonNode during = credential(id);
        assertEquals("active", during.get("status").asText(), "a transient failure of a valid token is not expiry");
        assertTrue(during.get("lastError").asText().startsWith(fault.kind + ":"),
                "lastError names the failure kind " + fault.kind + ": " + during.get("lastError"));
        assertEquals(old, token(id).orElseThrow(), "the old token is served while the upstream fails");

        if (fault == UpstreamFault.ANSWERS_AFTER_TIMEOUT) {
            assertTheLossWindow(upstream, id, account, reusesBefore, attemptsBefore);
        } else {
            assertRecovery(upstream, fault, id, account, old, reusesBefore, attemptsBefore);
        }
        assertHealthy();
        assertEquals(List.of(), upstream.leakedSecrets(), "the daemon's log holds a secret");
        HttpResponse<String> deleted = DAEMON.call("DELETE", "/api/v1/credentials/" + id, null);
        assertEquals(204, deleted.statusCode(), deleted.body());
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
    @EnumSource(VintedVariant.class)
    void vintedVariantRefreshesAndKeepsTheChain(VintedVariant variant) throws Exception {
        VINTED.resetFaults();
        String account = "variant" + CASES.incrementAndGet();
        int reusesBefore = VINTED.reuseCount();
        String id;
        String old;
        try {
            switch (variant) {
                case ANSWERED_201 -> VINTED.vinted.failNext(FakeEndpoint.REFRESH, 1, Fault.created());
                case TOKENS_IN_BODY -> VINTED.vinted.failNext(FakeEndpoint.REFRESH, 1, Fault.tokensInBody());
                case REFRESH_COOKIE_ALONE -> VINTED.vinted.cookieOnlyRefresh(true);
                case EXPIRED_SESSION_HOME_REDIRECT -> VINTED.vinted.redirectExpiredSessions(true);
                default -> throw new IllegalArgumentException(variant.name());
            }
            if (variant == VintedVariant.EXPIRED_SESSION_HOME_REDIRECT) {
                // Imported already expired: the daemon refreshes it by itself, at once.
                id = VINTED.importFresh(account, Duration.ofSeconds(-60));
                old = null;
            } else {
                id = VINTED.importFresh(account);
                old = token(id).orElseThrow();
                HttpResponse<String> forced = DAEMON.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
                assertEquals(200, forced.statusCode(), forced.body());
                assertEquals("refreshed", JSON.readTree(forced.body()).get("outcome").asText(), forced.body());
            }
            Instant deadline = CLOCK.instant().plusSeconds(20);
            while (!(VINTED.refreshesOf(account) == 1 && token(id).filter(VINTED::isAccessTokenValid).isPresent())) {
                assertTrue(CLOCK.instant().isBefore(deadline), "no valid refreshed token within 20 s of the clock");
                DAEMON.advance(POLL);
            }
        } finally {
            VINTED.vinted.cookieOnlyRefresh(false);
            VINTED.vinted.redirectExpiredSessions(false);
        }
        String fresh = token(id).orElseThrow();
        assertNotEquals(old, fresh);
        JsonNode after = credential(id);
        assertEquals("active", after.get("status").asText(), after.toString());
        assertEquals(1, VINTED.refreshesOf(account), "exactly one refresh went through at the upstream");
        // The daemon kept the refresh token Set-Cookie carried: the chain goes on.
        HttpResponse<String> again = DAEMON.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        assertEquals("refreshed", JSON.readTree(again.body()).get("outcome").asText(), again.body());
        assertEquals(2, VINTED.refreshesOf(account));
        assertEquals(reusesBefore, VINTED.reuseCount(), "no refresh token was presented twice: the chain is intact");
        assertEquals(List.of(), VINTED.leakedSecrets(), "the daemon's log holds a secret");
        assertEquals(204, DAEMON.call("DELETE", "/api/v1/credentials/" + id, null).statusCode());
    }

    private static void assertRecovery(Imitation upstream, UpstreamFault fault, String id, String account, String old,
                                       int reusesBefore, int attemptsBefore) throws Exception {
        List<String> problems = new ArrayList<>();
        // Poll like a consumer, the clock moving 500 ms between looks, until the daemon hands out a new token.
        Instant deadline = CLOCK.instant().plusSeconds(45);
        while (token(id).orElse("(no token: HTTP error)").equals(old)) {
            // The rotation count is read last: it only grows, so a rotation that invalidated the old
            // token (or changed the status) before the earlier reads shows in it.
            boolean oldStillAccepted = upstream.isAccessTokenValid(old);
            String status = credential(id).get("status").asText();
            int rotated = upstream.refreshesOf(account);
            if (rotated == 0 && !oldStillAccepted) {
                problems.add("the old token was served after the upstream stopped accepting it");
            }
            if (rotated == 0 && !status.equals("active")) {
                problems.add("status " + status + " while the old token was valid");
            }
            assertTrue(CLOCK.instant().isBefore(deadline), "no new token within 45 s of the clock; refresh attempts "
                    + upstream.gate.refreshAttempts().subList(attemptsBefore, upstream.gate.refreshAttempts().size()));
            DAEMON.advance(POLL);
        }
        assertEquals(List.of(), problems);

        String fresh = token(id).orElseThrow();
        assertNotEquals(old, fresh);
        assertTrue(upstream.isAccessTokenValid(fresh), "the new token is accepted upstream");
        JsonNode after = credential(id);
        assertEquals("active", after.get("status").asText());
        assertTrue(after.get("lastError").isNull(), "a success clears lastError: " + after.get("lastError"));
        assertEquals(1, upstream.refreshesOf(account), "exactly one refresh went through at the upstream");
        assertEquals(reusesBefore, upstream.reuseCount(), "no refresh token was presented twice: the chain is intact");

        // Bounded: the faulted attempts and the one that succeeded, and nothing more afterwards.
        DAEMON.advance(QUIET);
        int expected = fault.times + 1;
        List<Instant> all = upstream.gate.refreshAttempts();
        assertEquals(expected, all.size() - attemptsBefore, "refresh attempts " + all.subList(attemptsBefore, all.size()));
        List<Long> gaps = gapsMillis(all.subList(attemptsBefore, attemptsBefore + expected));
        for (int failure = 1; failure <= gaps.size(); failure++) {
            long floor = backoffFloor(failure).toMillis();
            if (fault == UpstreamFault.RATE_LIMITED_429) {
                floor = Math.max(floor, RETRY_AFTER.toMillis());
            }
            if (fault.kind.equals("blocked")) {
                floor = Math.max(floor, VINTED_BLOCKED_PAUSE.toMillis());
            }
            long gap = gaps.get(failure - 1);
            assertTrue(gap >= floor, "the wait after failure " + failure + " is at least " + floor + " ms"
                    + (fault == UpstreamFault.RATE_LIMITED_429 ? " (Retry-After)" : "") + ": gaps " + gaps);
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
        // The late answer is carried out on the imitation's thread 1.3 s (wall) after the request:
        // wait for it before the clock moves to the retry, as the retry's backoff let it in the process.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> upstream.refreshesOf(account) == 1);
        Instant deadline = CLOCK.instant().plusSeconds(20);
        while (!credential(id).get("status").asText().equals("requires_configuration")) {
            assertTrue(CLOCK.instant().isBefore(deadline), "not requires_configuration within 20 s of the clock");
            DAEMON.advance(POLL);
        }
        assertEquals(1, upstream.refreshesOf(account), "the late answer was carried out at the upstream");
        assertEquals(reusesBefore + 1, upstream.reuseCount(), "the retry presented the refresh token spent by the late answer");
        JsonNode after = credential(id);
        assertFalse(after.get("lastError").asText().isBlank(), "the reason tells a human what to do");
        HttpResponse<String> token = DAEMON.call("GET", "/api/v1/credentials/" + id + "/token", null);
        assertEquals(409, token.statusCode(), "no token is served for a lost chain: " + token.body());
        // One timed-out attempt, one rejected retry, then nothing: a rejected chain is not retried.
        DAEMON.advance(QUIET);
        List<Instant> all = upstream.gate.refreshAttempts();
        assertEquals(2, all.size() - attemptsBefore, "refresh attempts " + all.subList(attemptsBefore, all.size()));
        long gap = Duration.between(all.get(attemptsBefore), all.get(attemptsBefore + 1)).toMillis();
        assertTrue(gap >= backoffFloor(1).toMillis(), "the retry waited for the backoff: " + gap + " ms");
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

    private static Optional<String> token(String id) throws IOException {
        HttpResponse<String> response = DAEMON.call("GET", "/api/v1/credentials/" + id + "/token", null);
        return response.statusCode() == 200 ? Optional.of(JSON.readTree(response.body()).get("token").asText())
                : Optional.empty();
    }

    private static JsonNode credential(String id) throws IOException {
        HttpResponse<String> response = DAEMON.call("GET", "/api/v1/credentials/" + id, null);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static void assertHealthy() throws Exception {
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(DAEMON.baseUri().resolve("/healthz"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
    }

    // ---------------------------------------------------------------- the two imitations

    /** One provider's imitation on the test's clock and the fault gate in front of it. */
    private abstract static class Imitation implements AutoCloseable {
        final FaultGate gate;

        Imitation(URI upstream, String refreshPath) {
            gate = new FaultGate(upstream, refreshPath, CLOCK);
        }

        /** @return the daemon's settings that point it at the gate */
        abstract Map<String, String> daemonSettings();

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

        List<String> leakedSecrets() {
            String log = DAEMON.log();
            List<String> leaks = new ArrayList<>();
            for (String secret : issuedSecrets()) {
                if (log.contains(secret)) {
                    leaks.add("a secret of " + secret.length() + " characters");
                }
            }
            return leaks;
        }

        static void importChecked(String id, String body) {
            HttpResponse<String> imported = DAEMON.call("PUT", "/api/v1/credentials/" + id, body);
            assertEquals(201, imported.statusCode(), imported.body());
        }

        @Override
        public abstract void close();
    }

    private static final class GazelleImitation extends Imitation {
        private final FakeGazelle gazelle;

        GazelleImitation() {
            this(FakeGazelle.start().clock(CLOCK));
        }

        private GazelleImitation(FakeGazelle gazelle) {
            super(gazelle.baseUrl(), FakeGazelle.TOKEN_PATH);
            this.gazelle = gazelle;
            gazelle.accessLifetime(LONG_LIFETIME);
        }

        @Override
        Map<String, String> daemonSettings() {
            Map<String, String> settings = new HashMap<>(gazelle.settings());
            settings.put("GAZELLE_OAUTH_TOKEN_URL", gate.baseUrl().resolve(FakeGazelle.TOKEN_PATH).toString());
            settings.put("GAZELLE_API_URL", gate.baseUrl().resolve(FakeGazelle.API_PATH).toString());
            return settings;
        }

        @Override
        String importFresh(String account) {
            String id = "gazelle:" + account;
            importChecked(id, JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString());
            return id;
        }

        @Override
        void inject(UpstreamFault fault) {
            int n = fault.times;
            switch (fault) {
                case NEVER_ANSWERS -> gate.failNext(n, FaultGate.Play.HANG);
                // Longer than the 1 s timeout; the test waits for it before it moves the clock to the retry.
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
        private final Map<String, String> sessions = new HashMap<>();

        VintedImitation() {
            this(FakeVinted.builder().clock(CLOCK).accessTokenLifetime(LONG_LIFETIME).refreshTokenLifetime(Duration.ofDays(1))
                    .csrfRequired(true).burstLimit(10_000, Duration.ofMinutes(5)).start());
        }

        private VintedImitation(FakeVinted vinted) {
            super(URI.create(vinted.baseUrl()), REFRESH_PATH);
            this.vinted = vinted;
        }

        @Override
        Map<String, String> daemonSettings() {
            return Map.of("VINTED_BASE_URL", gate.baseUrl().toString(),
                    "VINTED_MAX_REQUESTS_PER_5_MIN", "1000",
                    "VINTED_BLOCKED_BACKOFF_SECONDS", String.valueOf(VINTED_BLOCKED_PAUSE.toSeconds()));
        }

        String importFresh(String account, Duration accessLifetime) {
            return imported(account, vinted.newSession(accessLifetime));
        }

        @Override
        String importFresh(String account) {
            return imported(account, vinted.newSession());
        }

        private String imported(String account, String session) {
            String id = "vinted:" + account;
            sessions.put(account, session);
            importChecked(id, JSON.createObjectNode().put("cookie", session).toString());
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
}
