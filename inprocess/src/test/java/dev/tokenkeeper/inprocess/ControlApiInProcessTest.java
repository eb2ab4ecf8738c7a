package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control API through the real Jetty of the harness's daemon: {@code BearerAuth} (no token, a
 * wrong one, the admin's, a consumer's limited to its credentials' token routes), the access policy
 * (a foreign {@code Host}, a private {@code /metrics}) and each route group (credentials, scheduler,
 * providers, reports, notifications, consumers) with its answers to bad input. One daemon for the
 * class; each test imports credentials of its own account names. Every answer that was not asked
 * for a token, and the log, are searched for every secret the imitation issued.
 */
class ControlApiInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MutableClock CLOCK = MutableClock.startingNow();
    private static final FakeGazelle GAZELLE = FakeGazelle.start().clock(CLOCK).accessLifetime(Duration.ofHours(1));
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Answers that hold no token, searched for secrets at the end. */
    private static final List<String> BODIES = new ArrayList<>();

    @RegisterExtension
    static final TokenkeeperExtension DAEMON = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(CLOCK)
            .settings(GAZELLE.settings());

    @AfterAll
    static void noSecretWasShown() {
        String log = DAEMON.log();
        for (String secret : GAZELLE.allIssuedSecrets()) {
            assertFalse(log.contains(secret), "the daemon's log holds a secret");
            for (String body : BODIES) {
                assertFalse(body.contains(secret), "an answer that was not a token's holds a secret: " + body);
            }
        }
        GAZELLE.close();
    }

    private static HttpResponse<String> send(String authorization, String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(DAEMON.baseUri().resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Calls as the admin; the answer is kept for the secret search. */
    private static HttpResponse<String> admin(String method, String path, String body) {
        HttpResponse<String> answer = DAEMON.call(method, path, body);
        BODIES.add(answer.body());
        return answer;
    }

    private static JsonNode json(HttpResponse<String> answer) {
        try {
            return JSON.readTree(answer.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + answer.body(), e);
        }
    }

    private static void importChain(String account) {
        HttpResponse<String> imported = admin("PUT", "/api/v1/credentials/gazelle:" + account,
                JSON.createObjectNode().put("tokenJson", GAZELLE.seedChain(account)).toString());
        assertEquals(201, imported.statusCode(), imported.body());
    }

    private static double metric(String line) {
        String scrape = admin("GET", "/metrics", null).body();
        Matcher value = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\S+)$").matcher(scrape);
        return value.find() ? Double.parseDouble(value.group(1)) : 0;
    }

    @Test
    void withoutTheRightBearerEveryApiRouteAnswers401AndTheFailureIsCounted() {
        double before = metric("tokenkeeper_auth_failures_total");
        List<String> refused = new ArrayList<>();
        for (String authorization : new String[] {null, "Bearer ", "Bearer wrong-token", "Basic " + DAEMON.adminToken(),
                "Bearer " + DAEMON.adminToken() + "x", "Bearer tkc_not-a-consumer"}) {
            long started = System.nanoTime();
            HttpResponse<String> answer = send(authorization, "GET", "/api/v1/credentials", null);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            BODIES.add(answer.body());
            assertEquals(401, answer.statusCode(), authorization);
            assertEquals("Bearer", answer.headers().firstValue("WWW-Authenticate").orElse(""), authorization);
            assertEquals("unauthorized", json(answer).path("error").asText(json(answer).path("code").asText()), answer.body());
            assertTrue(tookMillis >= 150, "a refusal waits its failure delay: " + tookMillis + " ms");
            refused.add(authorization);
        }
        assertFalse(BODIES.stream().anyMatch(body -> body.contains(DAEMON.adminToken())), "no answer echoes a token");
        assertEquals(before + refused.size(), metric("tokenkeeper_auth_failures_total"));
        assertEquals(200, send("bearer " + DAEMON.adminToken(), "GET", "/api/v1/credentials", null).statusCode(),
                "the scheme is case-insensitive");
        assertEquals(200, send(null, "GET", "/healthz", null).statusCode(), "health needs no token");
        assertEquals(401, send(null, "GET", "/metrics", null).statusCode(), "metrics are private by default");
    }

    @Test
    void aConsumerTokenReadsOnlyItsOwnCredentialsTokenAndMayReportItRejected() throws Exception {
        importChain("alpha");
        importChain("beta");
        HttpResponse<String> created = DAEMON.call("POST", "/api/v1/consumers",
                "{\"name\": \"reader\", \"credentials\": [\"gazelle:alpha\"]}");
        assertEquals(201, created.statusCode(), created.body());
        String token = json(created).path("token").asText();
        assertTrue(token.startsWith("tkc_"), "a consumer token carries its prefix");
        String bearer = "Bearer " + token;

        HttpResponse<String> read = send(bearer, "GET", "/api/v1/credentials/gazelle:alpha/token", null);
        assertEquals(200, read.statusCode(), read.body());
        assertTrue(GAZELLE.isAccessTokenValid(json(read).path("token").asText()), read.body());

        for (String[] call : new String[][] {{"GET", "/api/v1/credentials/gazelle:beta/token"},
                {"GET", "/api/v1/credentials"}, {"GET", "/api/v1/credentials/gazelle:alpha"},
                {"DELETE", "/api/v1/credentials/gazelle:alpha"}, {"POST", "/api/v1/credentials/gazelle:alpha/refresh"},
                {"GET", "/api/v1/consumers"}, {"POST", "/api/v1/scheduler"}}) {
            HttpResponse<String> refused = send(bearer, call[0], call[1], call[0].equals("POST") ? "{}" : null);
            BODIES.add(refused.body());
            assertEquals(403, refused.statusCode(), call[0] + " " + call[1] + ": " + refused.body());
            assertTrue(refused.body().contains("consumer reader may only GET /api/v1/credentials/{id}/token"), refused.body());
        }
        assertEquals(1, metric("tokenkeeper_token_reads_total{consumer=\"reader\"}"), "one token handed to reader");

        String used = json(read).path("token").asText();
        CLOCK.advance(Duration.ofMinutes(10));
        HttpResponse<String> rejected = send(bearer, "POST", "/api/v1/credentials/gazelle:alpha/rejected",
                JSON.createObjectNode().put("token", used).toString());
        assertEquals(200, rejected.statusCode(), rejected.body());
        String replaced = json(rejected).path("token").asText();
        assertFalse(replaced.equals(used), "a reported token is replaced");
        assertTrue(GAZELLE.isAccessTokenValid(replaced));

        JsonNode listed = json(admin("GET", "/api/v1/consumers", null));
        assertEquals("reader", listed.get(0).path("name").asText(), listed.toString());
        assertEquals("gazelle:alpha", listed.get(0).path("credentials").get(0).asText());
        assertEquals(204, admin("DELETE", "/api/v1/consumers/reader", null).statusCode());
        assertEquals(401, send(bearer, "GET", "/api/v1/credentials/gazelle:alpha/token", null).statusCode(),
                "a revoked token opens nothing");
        assertEquals(404, admin("DELETE", "/api/v1/consumers/reader", null).statusCode());
    }

    @Test
    void consumersAreCreatedOnlyFromAWholeBodyAndOnlyOncePerName() {
        assertEquals(400, admin("POST", "/api/v1/consumers", "{\"credentials\": [\"gazelle:x\"]}").statusCode());
        assertEquals(400, admin("POST", "/api/v1/consumers", "{\"name\": \"n\", \"credentials\": []}").statusCode());
        assertEquals(400, admin("POST", "/api/v1/consumers", "{\"name\": \"n\", \"credentials\": [\"no-colon\"]}").statusCode());
        HttpResponse<String> first = DAEMON.call("POST", "/api/v1/consumers", "{\"name\": \"twice\", \"credentials\": [\"gazelle:x\"]}");
        assertEquals(201, first.statusCode(), first.body());
        HttpResponse<String> again = admin("POST", "/api/v1/consumers", "{\"name\": \"twice\", \"credentials\": [\"gazelle:x\"]}");
        assertEquals(409, again.statusCode(), again.body());
        assertEquals(204, admin("DELETE", "/api/v1/consumers/twice", null).statusCode());
    }

    @Test
    void aRequestNamingAForeignHostIsRefusedEvenWithTheAdminToken() throws IOException {
        String answer = raw("GET /api/v1/credentials HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer "
                + DAEMON.adminToken() + "\r\nConnection: close\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 421"), answer);
        assertTrue(answer.contains("TOKENKEEPER_ALLOWED_HOSTS"), answer);
        assertFalse(answer.contains(DAEMON.adminToken()));
        assertTrue(raw("GET /healthz HTTP/1.1\r\nHost: localhost:" + DAEMON.port() + "\r\nConnection: close\r\n\r\n")
                .startsWith("HTTP/1.1 200"));
    }

    private static String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", DAEMON.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theCredentialRoutesImportListShowRefreshTellHistoryAndDelete() {
        importChain("gamma");
        JsonNode listed = json(admin("GET", "/api/v1/credentials", null));
        assertTrue(listed.toString().contains("gazelle:gamma"), listed.toString());
        JsonNode one = json(admin("GET", "/api/v1/credentials/gazelle:gamma", null));
        assertEquals("gazelle:gamma", one.path("id").asText(), one.toString());
        assertEquals("active", one.path("status").asText().toLowerCase(java.util.Locale.ROOT), one.toString());

        CLOCK.advance(Duration.ofMinutes(5));
        HttpResponse<String> refreshed = admin("POST", "/api/v1/credentials/gazelle:gamma/refresh?force=true", null);
        assertEquals(200, refreshed.statusCode(), refreshed.body());
        JsonNode history = json(admin("GET", "/api/v1/credentials/gazelle:gamma/history", null));
        assertTrue(history.toString().toLowerCase(java.util.Locale.ROOT).contains("refreshed"), history.toString());

        HttpResponse<String> token = DAEMON.call("GET", "/api/v1/credentials/gazelle:gamma/token", null);
        assertEquals(200, token.statusCode(), token.body());
        assertTrue(GAZELLE.isAccessTokenValid(json(token).path("token").asText()));

        assertEquals(204, admin("DELETE", "/api/v1/credentials/gazelle:gamma", null).statusCode());
        HttpResponse<String> gone = admin("GET", "/api/v1/credentials/gazelle:gamma", null);
        assertEquals(404, gone.statusCode());
        assertEquals(404, admin("GET", "/api/v1/credentials/gazelle:gamma/token", null).statusCode());
        assertEquals(400, admin("GET", "/api/v1/credentials/no-colon", null).statusCode(), "a malformed id is bad input");
        assertEquals(400, admin("PUT", "/api/v1/credentials/gazelle:delta", "{\"tokenJson\": \"not json\"}").statusCode());
        assertEquals(404, admin("GET", "/api/v1/credentials/nosuch:x", null).statusCode());
    }

    @Test
    void theOtherGroupsAnswerAndSayWhatIsWrongWithBadInput() {
        JsonNode providers = json(admin("GET", "/api/v1/providers", null));
        assertTrue(providers.toString().contains("gazelle"), providers.toString());
        assertEquals(200, admin("GET", "/api/v1/scheduler", null).statusCode());
        HttpResponse<String> unknown = admin("POST", "/api/v1/scheduler", "{\"action\": \"dance\"}");
        assertEquals(400, unknown.statusCode());
        assertTrue(unknown.body().contains("unknown action 'dance': use start, stop or restart"), unknown.body());
        HttpResponse<String> interval = admin("POST", "/api/v1/scheduler", "{\"action\": \"restart\", \"intervalMinutes\": 0}");
        assertEquals(400, interval.statusCode());
        assertTrue(interval.body().contains("intervalMinutes must be a number from 0.05 to 10080"), interval.body());
        assertEquals(400, admin("POST", "/api/v1/scheduler", "{}").statusCode());
        assertEquals(200, admin("GET", "/api/v1/report", null).statusCode());
        assertEquals(200, admin("GET", "/api/v1/notify/channels", null).statusCode());
        HttpResponse<String> nowhere = admin("GET", "/api/v1/nowhere", null);
        assertEquals(404, nowhere.statusCode());
        // The router's own not-found, in the API's error shape and words.
        assertEquals("not_found", json(nowhere).path("error").asText(), nowhere.body());
        assertTrue(nowhere.body().contains("no such route: GET /api/v1/nowhere"), nowhere.body());
        HttpResponse<String> tooLarge = admin("PUT", "/api/v1/credentials/gazelle:big",
                "{\"tokenJson\": \"" + "x".repeat(300_000) + "\"}");
        assertEquals(413, tooLarge.statusCode(), tooLarge.body());
    }
}
