package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tampering, in the daemon the harness builds on the SQLite store: sealed secrets changed or moved
 * in the SQLite file behind the daemon's back (which then starts again on the same state folder and
 * key, so nothing it held in memory hides the change), and API calls without the right bearer. The refusals to start are in
 * {@link StartRefusalsInProcessTest}.
 */
class TamperingInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** What {@code lastError} must say about a sealed secret that fails authentication. */
    private static final Pattern TAMPER_REASON =
            Pattern.compile("(?i).*(tamper|were changed|belong to another credential|wrong key).*");
    /** The sealed layout of {@link SecretSealer}: header (magic, version, key id length, key id) and nonce. */
    private static final int HEADER_AND_NONCE = 2 + 1 + 1 + 8 + 12;
    private static final int TAG_LENGTH = 16;
    /** Past the least time between two refreshes of one credential (an import counts as one). */
    private static final Duration PAST_THE_LEAST_INTERVAL = Duration.ofMinutes(1);

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    // The delay of a 401 (200 ms by default, wall time) is not the subject of the 190 refused calls here.
    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings()).setting("TOKENKEEPER_AUTH_FAILURE_DELAY_MILLIS", "1");

    @AfterEach
    void checkLogForSecrets() {
        try {
            assertNoSecretIn(daemon.log(), "the daemon's log");
            assertFalse(daemon.log().contains(daemon.adminToken()), "the daemon logged the admin token");
        } finally {
            gazelle.close();
        }
    }

    // ---- 1. one flipped bit ----------------------------------------------------------------

    @Test
    void aSealedSecretWithOneFlippedBitIsDetectedOnATokenRequestAndNeverServed() throws Exception {
        String a = importChain("a");
        String b = importChain("b");
        assertEquals(200, token(a).statusCode());

        byte[] original = sealed(a);
        byte[] flipped = flipOneCiphertextBit(original);
        assertEquals(SecretSealer.keyIdOf(SealedSecret.of(original)), SecretSealer.keyIdOf(SealedSecret.of(flipped)),
                "only the ciphertext changed, the header is intact");
        writeSealed(a, flipped);
        daemon.restart();
        // The time a restart takes: the token request's report of the damage is a refresh, which
        // keeps the least interval after the import.
        daemon.advance(PAST_THE_LEAST_INTERVAL);

        int upstreamCalls = gazelle.tokenRequests().size();
        assertErrorAnswer(token(a));
        assertDetected(a);
        assertHealthy();

        // Never decrypted, so never sent upstream: a forced refresh reports it and calls nobody.
        daemon.advance(PAST_THE_LEAST_INTERVAL);
        HttpResponse<String> forced = daemon.call("POST", "/api/v1/credentials/" + a + "/refresh?force=true", null);
        assertEquals(200, forced.statusCode(), forced.body());
        assertEquals("requires_configuration", json(forced).get("outcome").asText(), forced.body());
        assertEquals(upstreamCalls, gazelle.tokenRequests().size(), "the tampered secret reached the upstream");
        assertErrorAnswer(token(a));
        assertDetected(a);

        assertStillWorks(b);
        assertArrayEquals(flipped, sealed(a), "detection must not rewrite the sealed bytes");

        // The fix the message names works: a re-import replaces the damaged secret.
        importChain("a");
        assertEquals("active", credential(a).get("status").asText());
        assertStillWorks(a);
    }

    @Test
    void aSealedSecretWithOneFlippedBitIsFoundByTheValidationSweepWithoutAnyRequest() {
        String a = importChain("a");
        String b = importChain("b");
        writeSealed(a, flipOneCiphertextBit(sealed(a)));
        daemon.restart();

        // The sweep at its default interval (30 min), on the clock; no request touches a meanwhile.
        daemon.advance(Duration.ofMinutes(31));
        assertDetected(a);
        assertTrue(daemon.log().lines().anyMatch(line -> line.contains("ERROR") && line.contains(a)
                && line.contains("cannot be decrypted")), "the log names the damaged credential");
        assertHealthy();
        assertErrorAnswer(token(a));
        assertStillWorks(b);
    }

    // ---- 2. a sealed secret moved to another row ------------------------------------------

    @Test
    void aSealedSecretCopiedIntoAnotherCredentialsRowIsDetectedOnAForcedRefresh() {
        String a = importChain("a");
        String b = importChain("b");
        String tokenOfA = json(token(a)).get("token").asText();
        writeSealed(b, sealed(a));
        daemon.restart();

        int upstreamCalls = gazelle.tokenRequests().size();
        daemon.advance(PAST_THE_LEAST_INTERVAL);
        HttpResponse<String> forced = daemon.call("POST", "/api/v1/credentials/" + b + "/refresh?force=true", null);
        // What `tokenkeeper refresh --force` reports as a failure: neither refreshed nor skipped.
        String outcome = json(forced).path("outcome").asText();
        assertFalse(outcome.equals("refreshed") || outcome.equals("skipped"),
                "a refresh of an unreadable credential must not report success: " + forced.body());
        assertFalse(forced.body().contains("\tat "), forced.body());
        assertEquals(upstreamCalls, gazelle.tokenRequests().size(), "a's refresh token was spent on behalf of b");
        assertDetected(b);
        assertHealthy();

        HttpResponse<String> answer = token(b);
        assertErrorAnswer(answer);
        assertFalse(answer.body().contains(tokenOfA), "b handed out a's token");

        assertEquals("active", credential(a).get("status").asText());
        assertStillWorks(a);
    }

    // ---- 3. the bearer on every /api/ route -----------------------------------------------

    @Test
    void everyApiRouteAnswers401WithoutTheRightBearerAndChangesNothing() throws Exception {
        String id = importChain("a");
        String good = daemon.adminToken();
        String tokenBefore = json(token(id)).get("token").asText();
        String listBefore = daemon.call("GET", "/api/v1/credentials", null).body();
        String schedulerBefore = daemon.call("GET", "/api/v1/scheduler", null).body();
        int upstreamBefore = gazelle.tokenRequests().size();

        String importBody = "{\"tokenJson\":" + JSON.writeValueAsString(gazelle.seedChain("x")) + "}";
        List<String[]> routes = List.of(
                new String[] {"GET", "/api/v1/scheduler", null},
                new String[] {"POST", "/api/v1/scheduler", "{\"action\":\"stop\"}"},
                new String[] {"GET", "/api/v1/providers", null},
                new String[] {"GET", "/api/v1/credentials", null},
                new String[] {"GET", "/api/v1/credentials/" + id, null},
                new String[] {"PUT", "/api/v1/credentials/gazelle:x", importBody},
                new String[] {"DELETE", "/api/v1/credentials/" + id, null},
                new String[] {"POST", "/api/v1/credentials/" + id + "/refresh?force=true", null},
                new String[] {"GET", "/api/v1/credentials/" + id + "/token", null},
                new String[] {"POST", "/api/v1/credentials/" + id + "/rejected", "{\"token\":\"" + tokenBefore + "\"}"},
                new String[] {"GET", "/api/v1/credentials/" + id + "/history", null},
                new String[] {"GET", "/api/v1/report", null},
                new String[] {"POST", "/api/v1/rekey", "{}"},
                new String[] {"GET", "/api/v1/providers/gazelle/authorize-url?state=s&redirectUri=http://127.0.0.1:1/cb", null},
                new String[] {"GET", "/api/v1/vinted/scheduler", null},
                new String[] {"POST", "/api/v1/vinted/scheduler", "{\"action\":\"stop\"}"},
                new String[] {"POST", "/api/v1/vinted/auth", "{\"cookie\":\"access_token_web=x\"}"},
                new String[] {"GET", "/api/v1/market-analysis/token", null},
                new String[] {"GET", "/api/v1/no-such-route", null});
        List<String> wrong = new ArrayList<>();
        wrong.add(null);
        wrong.add("");
        wrong.add("Bearer");
        wrong.add("Bearer ");
        wrong.add("Bearer wrong");
        wrong.add("Bearer " + good.substring(0, good.length() - 1));
        wrong.add("Bearer " + good + "x");
        wrong.add("Basic " + good);
        wrong.add(good);
        // Not a mere change of letter case: see the test below.
        wrong.add("Bearer " + (good.charAt(0) == '0' ? '1' : '0') + good.substring(1));
        int checked = 0;
        for (String[] route : routes) {
            for (String header : wrong) {
                HttpRequest.Builder request = HttpRequest.newBuilder(daemon.baseUri().resolve(route[1]))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .method(route[0], route[2] == null ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(route[2]));
                if (header != null) {
                    request.header("Authorization", header);
                }
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                String what = route[0] + " " + route[1] + " with " + (header == null ? "no Authorization"
                        : "wrong Authorization #" + wrong.indexOf(header));
                assertEquals(401, response.statusCode(), what + ": " + response.body());
                JsonNode body = json(response);
                assertEquals("unauthorized", body.path("error").asText(), what + ": " + response.body());
                assertFalse(body.has("token"), what);
                assertNoSecretIn(response.body(), what);
                assertFalse(response.body().contains(good), what + " echoes the admin token");
                checked++;
            }
        }
        assertEquals(routes.size() * wrong.size(), checked);

        assertEquals(listBefore, daemon.call("GET", "/api/v1/credentials", null).body(), "a refused call changed a credential");
        assertEquals(schedulerBefore, daemon.call("GET", "/api/v1/scheduler", null).body(), "a refused call changed the scheduler");
        assertEquals(upstreamBefore, gazelle.tokenRequests().size(), "a refused call reached the upstream");
        assertEquals(tokenBefore, json(token(id)).get("token").asText());
        assertEquals(404, daemon.call("GET", "/api/v1/credentials/gazelle:x", null).statusCode(), "a refused import was written");
        assertHealthy();
    }

    @Test
    // Jetty's per-connection header cache used to hand the API the cached letter case of a header;
    // ControlApi now makes that cache case-sensitive.
    void aBearerDifferingOnlyInLetterCaseIsRefusedOnAKeptAliveConnection() throws Exception {
        String good = daemon.adminToken();
        String upper = good.toUpperCase(Locale.ROOT);
        assertNotEquals(good, upper);
        HttpClient oneConnection = HttpClient.newHttpClient();
        for (String header : List.of("Bearer " + good.substring(0, good.length() - 1), "Bearer " + upper)) {
            HttpResponse<String> response = oneConnection.send(HttpRequest.newBuilder(
                    daemon.baseUri().resolve("/api/v1/scheduler")).header("Authorization", header).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, response.statusCode(), "a wrong bearer was let in: " + response.body());
        }
    }

    // ---- helpers --------------------------------------------------------------------------

    private String importChain(String account) {
        String id = "gazelle:" + account;
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + id,
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString());
        assertTrue(imported.statusCode() == 200 || imported.statusCode() == 201, imported.body());
        return id;
    }

    private JsonNode credential(String id) {
        HttpResponse<String> response = daemon.call("GET", "/api/v1/credentials/" + id, null);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private HttpResponse<String> token(String id) {
        return daemon.call("GET", "/api/v1/credentials/" + id + "/token?minValidity=0", null);
    }

    /** A refusal a client can read: 4xx/5xx JSON, no token, no stack trace, no 500. */
    private void assertErrorAnswer(HttpResponse<String> answer) {
        assertTrue(answer.statusCode() >= 400 && answer.statusCode() < 600,
                "not an error: " + answer.statusCode() + " " + answer.body());
        assertNotEquals(500, answer.statusCode(), answer.body());
        JsonNode body = json(answer);
        assertTrue(body.hasNonNull("error") && body.hasNonNull("message"), answer.body());
        assertFalse(body.has("token"), "an error answer carries a token: " + answer.body());
        assertFalse(answer.body().contains("Exception") || answer.body().contains("\tat "), answer.body());
        assertFalse(answer.body().lines().count() > 1, "one line: " + answer.body());
        assertNoSecretIn(answer.body(), "the error answer");
    }

    private void assertDetected(String id) {
        JsonNode credential = credential(id);
        assertEquals("error", credential.get("status").asText(), credential.toString());
        String reason = credential.path("lastError").asText();
        assertTrue(TAMPER_REASON.matcher(reason).matches(), "lastError does not name tampering: " + reason);
        assertFalse(reason.contains("\n"), reason);
        assertNoSecretIn(credential.toString(), "the credential view");
    }

    private void assertStillWorks(String id) {
        HttpResponse<String> before = token(id);
        assertEquals(200, before.statusCode(), before.body());
        String served = json(before).get("token").asText();
        assertTrue(gazelle.isAccessTokenValid(served), id + " serves a valid token");
        daemon.advance(PAST_THE_LEAST_INTERVAL);
        HttpResponse<String> forced = daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        assertEquals(200, forced.statusCode(), forced.body());
        assertEquals("refreshed", json(forced).get("outcome").asText(), forced.body());
        String after = json(token(id)).get("token").asText();
        assertNotEquals(served, after);
        assertTrue(gazelle.isAccessTokenValid(after), id + " serves the refreshed token");
        assertEquals("active", credential(id).get("status").asText());
        assertEquals(0, gazelle.reuseCount());
    }

    private void assertHealthy() {
        HttpResponse<String> health = daemon.call("GET", "/healthz", null);
        assertEquals(200, health.statusCode(), health.body());
        assertEquals("ok", json(health).path("status").asText());
    }

    private void assertNoSecretIn(String text, String where) {
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(text.contains(secret), where + " contains an issued token or code");
        }
        assertFalse(text.contains(gazelle.clientSecret()), where + " contains the client secret");
    }

    private byte[] sealed(String id) {
        try (Connection db = sqliteFile();
             PreparedStatement query = db.prepareStatement("SELECT sealed_secret FROM credentials WHERE id = ?")) {
            query.setString(1, id);
            try (ResultSet row = query.executeQuery()) {
                assertTrue(row.next(), "no row for " + id);
                return row.getBytes(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Rewrites one row's sealed secret behind the daemon's back (the WAL is SQLite's business). */
    private void writeSealed(String id, byte[] bytes) {
        try (Connection db = sqliteFile();
             PreparedStatement update = db.prepareStatement("UPDATE credentials SET sealed_secret = ? WHERE id = ?")) {
            update.setBytes(1, bytes);
            update.setString(2, id);
            assertEquals(1, update.executeUpdate());
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private Connection sqliteFile() throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + daemon.stateDirectory().resolve("tokenkeeper.db"));
    }

    /** One bit in the middle of the ciphertext, away from header, nonce and tag. */
    private static byte[] flipOneCiphertextBit(byte[] sealed) {
        int ciphertext = sealed.length - HEADER_AND_NONCE - TAG_LENGTH;
        assertTrue(ciphertext > 0, "no ciphertext in " + sealed.length + " bytes");
        byte[] out = sealed.clone();
        out[HEADER_AND_NONCE + ciphertext / 2] ^= 0x04;
        return out;
    }

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response.body(), e);
        }
    }
}
