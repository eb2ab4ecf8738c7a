package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon against the Vinted imitation (JWT cookies of Vinted's real lifetimes: 2-hour access,
 * 7-day refresh, rotation on every refresh, CSRF required, 401 code 100 on expiry, a DataDome-style
 * 403 wall) on the controlled clock: a session kept alive over cycles, the wall backed off with the
 * same chain resumed, the alias routes existing callers use and their consumer rules, malformed
 * imports, and a session given in the environment. Every test ends by looking for every cookie value
 * the imitation issued in the daemon's log and in the answers that were not asked for a token.
 */
class VintedInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeVinted vinted = FakeVinted.builder().clock(clock).burstLimit(10_000, Duration.ofMinutes(5)).start();
    private final List<String> texts = new ArrayList<>();

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new VintedProvider()).clock(clock)
            .settings(settings(vinted))
            .setting("TOKENKEEPER_RETRY_BASE_SECONDS", "1")
            .setting("TOKENKEEPER_RETRY_MAX_SECONDS", "16")
            .setting("VINTED_BLOCKED_BACKOFF_SECONDS", "1")
            .setting("VINTED_TOKEN_REFRESH_INTERVAL_MINUTES", "15")
            .setting("VINTED_AUTO_REFRESH_ENABLED", "true");

    private static Map<String, String> settings(FakeVinted vinted) {
        return Map.of("VINTED_BASE_URL", vinted.baseUrl(), "VINTED_MAX_REQUESTS_PER_5_MIN", "1000");
    }

    @AfterEach
    void lookForSecretsAndClose() {
        try {
            texts.add(daemon.log());
            for (String text : texts) {
                for (String secret : vinted.allIssuedSecrets()) {
                    assertFalse(text.contains(secret), "a Vinted cookie value leaked");
                }
            }
        } finally {
            vinted.close();
        }
    }

    @Test
    void sessionNeverLapsesOverFiveRotatingRefreshesWithCsrf() throws Exception {
        importSession("admin", vinted.newSession());
        List<String> lapses = new ArrayList<>();
        Instant deadline = clock.instant().plus(Duration.ofDays(1));
        while (vinted.refreshCount() < 6 && clock.instant().isBefore(deadline)) {
            daemon.advance(Duration.ofMinutes(1));
            JsonNode token = json(daemon.call("GET", "/api/v1/credentials/vinted:admin/token?minValidity=0", null));
            assertTrue(token.get("headers").get("Cookie").asText().contains("refresh_token_web="),
                    "consumers get the whole Cookie header");
            if (!vinted.isAccessTokenValid(token.get("token").asText())) {
                lapses.add(clock.instant().toString());
            }
        }
        assertTrue(vinted.refreshCount() >= 6, "only " + vinted.refreshCount() + " refreshes in a day");
        assertEquals(List.of(), lapses, "the daemon served an access token Vinted no longer accepted");
        assertEquals(0, vinted.reuseCount(), "a refresh token was used twice");
        assertEquals("active", credential("vinted:admin").get("status").asText());
    }

    @Test
    void antiBotWallIsBackedOffAndTheSameChainResumes() throws Exception {
        importSession("default", vinted.newSession());
        String token = json(daemon.call("GET", "/api/v1/credentials/vinted:default/token", null)).get("token").asText();

        vinted.blockAll(true);
        int before = vinted.requestCount();
        texts.add(daemon.call("POST", "/api/v1/credentials/vinted:default/refresh?force=true", null).body());
        daemon.advance(Duration.ofSeconds(15));
        List<Instant> during = vinted.requestTimes().subList(before, vinted.requestCount());
        assertTrue(during.size() >= 3 && during.size() <= 16, "bounded attempts while blocked: " + during);
        assertEquals("active", credential("vinted:default").get("status").asText(), "a 403 is not expiry");
        assertEquals(token, json(daemon.call("GET", "/api/v1/credentials/vinted:default/token", null)).get("token").asText(),
                "the old token is served while the wall is up");
        Duration firstGap = Duration.between(during.get(0), during.get(1));
        Duration lastGap = Duration.between(during.get(during.size() - 2), during.get(during.size() - 1));
        assertTrue(lastGap.compareTo(firstGap) > 0, "gaps grow: first " + firstGap + ", last " + lastGap);

        int refreshesBefore = vinted.refreshCount();
        vinted.blockAll(false);
        Instant deadline = clock.instant().plusSeconds(30);
        while (vinted.refreshCount() == refreshesBefore && clock.instant().isBefore(deadline)) {
            daemon.advance(Duration.ofSeconds(1));
        }
        assertTrue(vinted.refreshCount() > refreshesBefore, "refreshed within 30 s after the wall came down");
        String now = json(daemon.call("GET", "/api/v1/credentials/vinted:default/token", null)).get("token").asText();
        assertNotEquals(token, now);
        assertTrue(vinted.isAccessTokenValid(now));
        assertEquals(0, vinted.reuseCount(), "the refresh-token chain survived the wall");
    }

    @Test
    void aliasRoutesAnswerWithTheShapesExistingCallersExpect() throws Exception {
        JsonNode scheduler = json(daemon.call("GET", "/api/v1/vinted/scheduler", null));
        assertEquals(Map.of("isActive", true, "autoRefreshEnabled", true, "intervalMinutes", 15.0),
                JSON.convertValue(scheduler, Map.class));
        JsonNode stopped = json(daemon.call("POST", "/api/v1/vinted/scheduler", "{\"action\":\"stop\"}"));
        assertFalse(stopped.get("isActive").asBoolean());
        JsonNode restarted = json(daemon.call("POST", "/api/v1/vinted/scheduler", "{\"action\":\"restart\",\"intervalMinutes\":20}"));
        assertTrue(restarted.get("isActive").asBoolean());
        assertEquals(20.0, restarted.get("intervalMinutes").asDouble());
        assertEquals(restarted, json(daemon.call("GET", "/api/v1/scheduler", null)), "alias and general route agree");

        String body = JSON.createObjectNode().put("cookie", vinted.newSession()).toString();
        HttpResponse<String> auth = daemon.call("POST", "/api/v1/vinted/auth", body);
        texts.add(auth.body());
        assertEquals(201, auth.statusCode(), auth.body());
        assertEquals("vinted:default", json(auth).get("credential").get("id").asText());

        JsonNode token = json(daemon.call("GET", "/api/v1/market-analysis/token", null));
        assertTrue(vinted.isAccessTokenValid(token.get("token").asText()));
        assertTrue(token.get("cookie").asText().contains("access_token_web="));

        for (String path : List.of("/api/v1/vinted/scheduler", "/api/v1/market-analysis/token")) {
            assertEquals(401, daemon.callAs(null, "GET", path, null).statusCode(), path + " needs the bearer token");
        }
    }

    @Test
    void theLegacyAliasRoutesKeepTheConsumerRules() throws Exception {
        daemon.assembly().scheduler().pause();
        for (String account : List.of("default", "shop")) {
            String body = JSON.createObjectNode().put("cookie", vinted.newSession()).put("account", account).toString();
            HttpResponse<String> auth = daemon.call("POST", "/api/v1/vinted/auth", body);
            texts.add(auth.body());
            assertEquals(201, auth.statusCode(), auth.body());
        }
        String reader = daemon.addConsumer("market-app", "vinted:default");
        String other = daemon.addConsumer("shop-app", "vinted:shop");

        HttpResponse<String> own = daemon.callAs(reader, "GET", "/api/v1/market-analysis/token", null);
        assertEquals(200, own.statusCode(), own.body());
        assertTrue(vinted.isAccessTokenValid(json(own).get("token").asText()));
        assertTrue(json(own).get("cookie").asText().contains("access_token_web="));
        HttpResponse<String> shop = daemon.callAs(other, "GET", "/api/v1/market-analysis/token?account=shop", null);
        assertEquals(200, shop.statusCode(), shop.body());

        HttpResponse<String> notItsOwn = daemon.callAs(other, "GET", "/api/v1/market-analysis/token", null);
        texts.add(notItsOwn.body());
        assertEquals(403, notItsOwn.statusCode(), notItsOwn.body());
        assertTrue(json(notItsOwn).path("message").asText().contains("not for vinted:default"), notItsOwn.body());
        String[][] adminOnly = {
                {"GET", "/api/v1/vinted/scheduler", null},
                {"POST", "/api/v1/vinted/scheduler", "{\"action\":\"stop\"}"},
                {"POST", "/api/v1/vinted/auth", JSON.createObjectNode().put("cookie", vinted.newSession()).toString()}};
        for (String[] call : adminOnly) {
            HttpResponse<String> refused = daemon.callAs(reader, call[0], call[1], call[2]);
            texts.add(refused.body());
            assertEquals(403, refused.statusCode(), call[0] + " " + call[1] + ": " + refused.body());
            assertTrue(json(refused).path("message").asText().contains("/api/v1/market-analysis/token"),
                    "the 403 names the legacy token route a consumer may read: " + refused.body());
        }
        assertTrue(json(daemon.call("GET", "/api/v1/scheduler", null)).get("autoRefreshEnabled").isBoolean());
        assertEquals(2, json(daemon.call("GET", "/api/v1/credentials", null)).size(), "nothing was imported by a consumer");
    }

    /** The forms {@code tokenkeeper import vinted} sends ({@code --cookie}, {@code --cookie-file}'s content), each malformed. */
    @Test
    void malformedImportsGetOneLineErrorsAndLeaveTheStoreUnchanged() throws Exception {
        daemon.assembly().scheduler().pause();
        String session = vinted.newSession();
        importSession("default", session);
        JsonNode before = credential("vinted:default");

        String noRefresh = session.replaceAll("refresh_token_web=[^;]*;?\\s*", "");
        List<Map<String, String>> bad = List.of(
                Map.of("cookie", noRefresh),
                Map.of("cookie", "access_token_web=garbage; refresh_token_web=also.garbage"),
                Map.of("cookieFile", ""),
                Map.of("cookieFile", "{\"cookies\": 3}"));
        for (Map<String, String> input : bad) {
            HttpResponse<String> response = daemon.call("PUT", "/api/v1/credentials/vinted:default", JSON.writeValueAsString(input));
            texts.add(response.body());
            assertEquals(400, response.statusCode(), input.keySet() + ": " + response.body());
            String message = json(response).path("message").asText();
            assertFalse(message.isBlank(), response.body());
            assertFalse(message.contains("\n"), "one line: " + message);
        }
        assertEquals(before, credential("vinted:default"), "rejected imports changed nothing");
    }

    @Test
    void vintedSessionFromTheEnvironmentIsImportedAtStart() throws Exception {
        TokenkeeperExtension fromEnvironment = TokenkeeperExtension.withProvider(new VintedProvider()).clock(clock)
                .settings(settings(vinted)).setting("VINTED_SESSION", vinted.newSession())
                .setting("VINTED_CREDENTIALS_SECRET", "a long enough passphrase for tests");
        fromEnvironment.start();
        try {
            HttpResponse<String> credential = fromEnvironment.call("GET", "/api/v1/credentials/vinted:default", null);
            texts.add(credential.body());
            assertEquals(200, credential.statusCode(), credential.body());
            assertEquals("active", json(credential).get("status").asText());
            assertTrue(fromEnvironment.log().contains("passphrase"), "the key came from the passphrase");
            assertFalse(Files.exists(fromEnvironment.stateDirectory().resolve("master.key")),
                    "no generated key when a passphrase is set");
            texts.add(fromEnvironment.log());
        } finally {
            fromEnvironment.stop();
        }
    }

    private void importSession(String account, String cookies) {
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/vinted:" + account,
                JSON.createObjectNode().put("cookie", cookies).toString());
        texts.add(imported.body());
        assertEquals(201, imported.statusCode(), imported.body());
    }


    private JsonNode credential(String id) throws IOException {
        HttpResponse<String> answer = daemon.call("GET", "/api/v1/credentials/" + id, null);
        texts.add(answer.body());
        assertEquals(200, answer.statusCode(), answer.body());
        return json(answer);
    }

    private static JsonNode json(HttpResponse<String> answer) throws IOException {
        return JSON.readTree(answer.body());
    }
}
