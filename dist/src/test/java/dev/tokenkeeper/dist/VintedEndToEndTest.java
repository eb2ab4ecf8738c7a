package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.vinted.FakeEndpoint;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real daemon process against a local imitation of Vinted: JWT cookies with short lifetimes,
 * rotation on every refresh, CSRF required, 401 code 100 on expiry, a DataDome-style 403 wall.
 */
class VintedEndToEndTest {

    @TempDir
    Path temp;

    private FakeVinted vinted;
    private final List<DaemonProcess> daemons = new ArrayList<>();

    @AfterEach
    void stopAndCheckOutputForSecrets() throws Exception {
        for (DaemonProcess daemon : daemons) {
            daemon.stop();
        }
        try {
            for (DaemonProcess daemon : daemons) {
                String output = daemon.output();
                for (String secret : vinted.allIssuedSecrets()) {
                    assertFalse(output.contains(secret), "daemon output contains a Vinted cookie value");
                }
            }
        } finally {
            vinted.close();
        }
    }

    private DaemonProcess daemon(Map<String, String> extra) throws Exception {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.put("VINTED_BASE_URL", vinted.baseUrl());
        env.put("VINTED_MAX_REQUESTS_PER_5_MIN", "1000");
        env.putAll(extra);
        DaemonProcess daemon = new DaemonProcess(temp.resolve("state" + daemons.size()), env);
        daemons.add(daemon);
        return daemon.start();
    }

    private JsonNode credential(DaemonProcess daemon, String id) throws Exception {
        DaemonProcess.Response response = daemon.call("GET", "/api/v1/credentials/" + id, null);
        assertEquals(200, response.status(), response.body());
        return response.json();
    }

    @Test
    void sessionNeverLapsesOverFiveRotatingRefreshesWithCsrf() throws Exception {
        vinted = FakeVinted.builder().accessTokenLifetime(Duration.ofSeconds(4)).refreshTokenLifetime(Duration.ofSeconds(40))
                .csrfRequired(true).burstLimit(10_000, Duration.ofMinutes(5)).start();
        DaemonProcess daemon = daemon(Map.of());
        DaemonProcess.Response imported = daemon.cli("import", "vinted", "--account", "admin", "--cookie", vinted.newSession());
        assertEquals(0, imported.status(), imported.body());

        int lapses = 0;
        Instant deadline = Instant.now().plusSeconds(60);
        while (vinted.refreshCount() < 6 && Instant.now().isBefore(deadline)) {
            JsonNode token = daemon.call("GET", "/api/v1/credentials/vinted:admin/token?minValidity=0", null).json();
            String access = token.get("token").asText();
            assertTrue(token.get("headers").get("Cookie").asText().contains("refresh_token_web="), "consumers get the whole Cookie header");
            if (!vinted.isAccessTokenValid(access) && !refreshedRecently()) {
                lapses++;
            }
            Thread.sleep(250);
        }
        assertTrue(vinted.refreshCount() >= 6, "only " + vinted.refreshCount() + " refreshes in 60 s");
        assertEquals(0, lapses, "the daemon served an access token Vinted no longer accepted");
        assertEquals(0, vinted.reuseCount(), "a refresh token was used twice");
        assertEquals("active", credential(daemon, "vinted:admin").get("status").asText());
    }

    @Test
    void aCookieReadFromStdinNeverAppearsOnTheCommandLine() throws Exception {
        vinted = FakeVinted.builder().start();
        DaemonProcess daemon = daemon(Map.of());
        String session = vinted.newSession();
        DaemonProcess.Response imported = daemon.cliWithInput(session + "\n", "import", "vinted", "--account", "piped",
                "--cookie", "-");
        assertEquals(0, imported.status(), imported.body());
        assertTrue(imported.body().contains("imported vinted:piped"), imported.body());
        assertEquals("active", credential(daemon, "vinted:piped").get("status").asText());
        assertTrue(daemon.cli("help", "import").body().replaceAll("\\s+", " ").contains("- to read it from stdin"), "the help shows the stdin form");
    }

    private boolean refreshedRecently() {
        List<Instant> times = vinted.requestTimes();
        return !times.isEmpty() && times.get(times.size() - 1).isAfter(Instant.now().minusSeconds(1));
    }

    @Test
    void antiBotWallIsBackedOffAndTheSameChainResumes() throws Exception {
        vinted = FakeVinted.builder().accessTokenLifetime(Duration.ofSeconds(120)).refreshTokenLifetime(Duration.ofMinutes(30))
                .burstLimit(10_000, Duration.ofMinutes(5)).start();
        DaemonProcess daemon = daemon(Map.of("VINTED_BLOCKED_BACKOFF_SECONDS", "1", "TOKENKEEPER_RETRY_MAX_SECONDS", "16"));
        String session = vinted.newSession();
        assertEquals(0, daemon.cli("import", "vinted", "--cookie", session).status());
        String token = daemon.call("GET", "/api/v1/credentials/vinted:default/token", null).json().get("token").asText();

        vinted.blockAll(true);
        int before = vinted.requestCount();
        daemon.call("POST", "/api/v1/credentials/vinted:default/refresh?force=true", null);
        Thread.sleep(15_000);
        List<Instant> during = vinted.requestTimes().subList(before, vinted.requestCount());
        assertTrue(during.size() >= 3 && during.size() <= 16, "bounded attempts while blocked: " + during.size());
        assertEquals("active", credential(daemon, "vinted:default").get("status").asText(), "a 403 is not expiry");
        assertEquals(token, daemon.call("GET", "/api/v1/credentials/vinted:default/token", null).json().get("token").asText(),
                "the old token is served while the wall is up");
        long firstGap = Duration.between(during.get(0), during.get(1)).toMillis();
        long lastGap = Duration.between(during.get(during.size() - 2), during.get(during.size() - 1)).toMillis();
        assertTrue(lastGap > firstGap, "gaps grow: first " + firstGap + " ms, last " + lastGap + " ms");

        int refreshesBefore = vinted.refreshCount();
        vinted.blockAll(false);
        await().atMost(Duration.ofSeconds(30)).until(() -> vinted.refreshCount() > refreshesBefore);
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            String now = daemon.call("GET", "/api/v1/credentials/vinted:default/token", null).json().get("token").asText();
            return !now.equals(token) && vinted.isAccessTokenValid(now);
        });
        assertEquals(0, vinted.reuseCount(), "the refresh-token chain survived the wall");
    }

    @Test
    void aliasRoutesAnswerWithTheShapesExistingCallersExpect() throws Exception {
        vinted = FakeVinted.builder().burstLimit(10_000, Duration.ofMinutes(5)).start();
        DaemonProcess daemon = daemon(Map.of("VINTED_TOKEN_REFRESH_INTERVAL_MINUTES", "15", "VINTED_AUTO_REFRESH_ENABLED", "true"));

        JsonNode scheduler = daemon.call("GET", "/api/v1/vinted/scheduler", null).json();
        assertEquals(Map.of("isActive", true, "autoRefreshEnabled", true, "intervalMinutes", 15.0),
                DaemonProcess.JSON.convertValue(scheduler, Map.class));
        JsonNode stopped = daemon.call("POST", "/api/v1/vinted/scheduler", "{\"action\":\"stop\"}").json();
        assertFalse(stopped.get("isActive").asBoolean());
        JsonNode restarted = daemon.call("POST", "/api/v1/vinted/scheduler", "{\"action\":\"restart\",\"intervalMinutes\":20}").json();
        assertTrue(restarted.get("isActive").asBoolean());
        assertEquals(20.0, restarted.get("intervalMinutes").asDouble());
        assertEquals(restarted, daemon.call("GET", "/api/v1/scheduler", null).json(), "alias and general route agree");

        String body = DaemonProcess.JSON.createObjectNode().put("cookie", vinted.newSession()).toString();
        DaemonProcess.Response auth = daemon.call("POST", "/api/v1/vinted/auth", body);
        assertEquals(201, auth.status(), auth.body());
        assertEquals("vinted:default", auth.json().get("credential").get("id").asText());

        JsonNode token = daemon.call("GET", "/api/v1/market-analysis/token", null).json();
        assertTrue(vinted.isAccessTokenValid(token.get("token").asText()));
        assertTrue(token.get("cookie").asText().contains("access_token_web="));

        HttpClient anonymous = HttpClient.newHttpClient();
        for (String path : List.of("/api/v1/vinted/scheduler", "/api/v1/market-analysis/token")) {
            HttpResponse<String> response = anonymous.send(HttpRequest.newBuilder(URI.create(daemon.baseUrl() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, response.statusCode(), path + " needs the bearer token");
        }
    }

    @Test
    void theLegacyAliasRoutesKeepTheConsumerRules() throws Exception {
        vinted = FakeVinted.builder().burstLimit(10_000, Duration.ofMinutes(5)).start();
        DaemonProcess daemon = daemon(Map.of("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"));
        for (String account : List.of("default", "shop")) {
            String body = DaemonProcess.JSON.createObjectNode().put("cookie", vinted.newSession()).put("account", account).toString();
            DaemonProcess.Response auth = daemon.call("POST", "/api/v1/vinted/auth", body);
            assertEquals(201, auth.status(), auth.body());
        }
        String reader = consumer(daemon, "market-app", "vinted:default");
        String other = consumer(daemon, "shop-app", "vinted:shop");

        DaemonProcess.Response own = daemon.callAs(reader, "GET", "/api/v1/market-analysis/token", null);
        assertEquals(200, own.status(), own.body());
        assertTrue(vinted.isAccessTokenValid(own.json().get("token").asText()));
        assertTrue(own.json().get("cookie").asText().contains("access_token_web="));
        DaemonProcess.Response shop = daemon.callAs(other, "GET", "/api/v1/market-analysis/token?account=shop", null);
        assertEquals(200, shop.status(), shop.body());

        DaemonProcess.Response notItsOwn = daemon.callAs(other, "GET", "/api/v1/market-analysis/token", null);
        assertEquals(403, notItsOwn.status(), notItsOwn.body());
        assertTrue(notItsOwn.json().path("message").asText().contains("not for vinted:default"), notItsOwn.body());
        String[][] adminOnly = {
                {"GET", "/api/v1/vinted/scheduler", null},
                {"POST", "/api/v1/vinted/scheduler", "{\"action\":\"stop\"}"},
                {"POST", "/api/v1/vinted/auth", DaemonProcess.JSON.createObjectNode().put("cookie", vinted.newSession()).toString()}};
        for (String[] call : adminOnly) {
            DaemonProcess.Response refused = daemon.callAs(reader, call[0], call[1], call[2]);
            assertEquals(403, refused.status(), call[0] + " " + call[1] + ": " + refused.body());
            assertTrue(refused.json().path("message").asText().contains("/api/v1/market-analysis/token"),
                    "the 403 names the legacy token route a consumer may read: " + refused.body());
        }
        assertTrue(daemon.call("GET", "/api/v1/scheduler", null).json().get("autoRefreshEnabled").isBoolean());
        assertEquals(2, daemon.call("GET", "/api/v1/credentials", null).json().size(), "nothing was imported by a consumer");
    }

    private static String consumer(DaemonProcess daemon, String name, String credential) throws Exception {
        DaemonProcess.Response added = daemon.cli("consumer", "add", name, "--credential", credential, "--json");
        assertEquals(0, added.status(), added.body());
        return DaemonProcess.JSON.readTree(added.body().lines().filter(l -> l.startsWith("{")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON in: " + added.body()))).path("token").asText();
    }

    @Test
    void malformedImportsGetOneLineErrorsAndLeaveTheStoreUnchanged() throws Exception {
        vinted = FakeVinted.builder().burstLimit(10_000, Duration.ofMinutes(5)).start();
        DaemonProcess daemon = daemon(Map.of("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"));
        String session = vinted.newSession();
        assertEquals(0, daemon.cli("import", "vinted", "--cookie", session).status());
        JsonNode before = credential(daemon, "vinted:default");

        String noRefresh = session.replaceAll("refresh_token_web=[^;]*;?\\s*", "");
        Path empty = Files.writeString(temp.resolve("empty.json"), "");
        Path wrongShape = Files.writeString(temp.resolve("shape.json"), "{\"cookies\": 3}");
        List<String[]> bad = List.of(
                new String[] {"--cookie", noRefresh},
                new String[] {"--cookie", "access_token_web=garbage; refresh_token_web=also.garbage"},
                new String[] {"--cookie-file", empty.toString()},
                new String[] {"--cookie-file", wrongShape.toString()});
        for (String[] input : bad) {
            DaemonProcess.Response response = daemon.cli("import", "vinted", input[0], input[1]);
            assertEquals(1, response.status(), response.body());
            String message = response.body().trim();
            assertFalse(message.contains("\n"), "one line: " + message);
            assertTrue(message.startsWith("tokenkeeper: import failed: "), message);
            for (String secret : vinted.allIssuedSecrets()) {
                assertFalse(message.contains(secret), "the error echoes a cookie value");
            }
        }
        assertEquals(before, credential(daemon, "vinted:default"), "rejected imports changed nothing");
    }

    @Test
    void vintedSessionFromTheEnvironmentIsImportedAtStart() throws Exception {
        vinted = FakeVinted.builder().burstLimit(10_000, Duration.ofMinutes(5)).start();
        DaemonProcess daemon = daemon(Map.of("VINTED_SESSION", vinted.newSession(), "VINTED_CREDENTIALS_SECRET",
                "a long enough passphrase for tests"));
        assertEquals("active", credential(daemon, "vinted:default").get("status").asText());
        assertTrue(daemon.output().contains("passphrase"), "the key came from the passphrase");
        assertFalse(Files.exists(daemon.stateDir().resolve("master.key")), "no generated key when a passphrase is set");
        assertTrue(vinted.requestCount(FakeEndpoint.ANY) >= 0);
    }
}
