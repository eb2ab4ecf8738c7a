package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon on the Supabase store (through a PostgREST imitation): outages spooled and drained,
 * the legacy {@code system_settings} row kept fresh, and clear start-up errors.
 */
class SupabaseEndToEndTest {

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private FakePostgrest supabase;
    private DaemonProcess daemon;

    @BeforeEach
    void start() {
        gazelle = FakeGazelle.start();
        supabase = FakePostgrest.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.stop();
            for (String secret : gazelle.allIssuedSecrets()) {
                assertFalse(daemon.output().contains(secret), "daemon output contains a token");
            }
            assertFalse(daemon.output().contains(supabase.serviceKey()), "daemon output contains the service key");
        }
        supabase.close();
        gazelle.close();
    }

    private Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.putAll(supabase.settings());
        env.put("TOKENKEEPER_STORE", "supabase");
        env.put("TOKENKEEPER_SPOOL_RETRY_SECONDS", "1");
        env.putAll(extra);
        return env;
    }

    private void importChain(String account) throws Exception {
        String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
        assertEquals(201, imported.status(), imported.body());
    }

    private long spooled() throws Exception {
        Path spool = daemon.stateDir().resolve("spool");
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(spool)) {
            return files.filter(p -> p.toString().endsWith(".json")).count();
        }
    }

    @Test
    void anOutageIsSpooledAndDrainedWithoutLosingARefreshToken() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(4));
        daemon = new DaemonProcess(temp.resolve("state"), env(Map.of()));
        daemon.start();
        for (String account : List.of("a", "b", "c")) {
            importChain(account);
        }
        int before = gazelle.refreshRequestCount();
        supabase.down(true);
        // Three refresh cycles without the store: tokens keep flowing and land in the spool.
        long until = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < until) {
            for (String account : List.of("a", "b", "c")) {
                java.time.Instant asked = java.time.Instant.now();
                String token = daemon.call("GET", "/api/v1/credentials/gazelle:" + account + "/token?minValidity=0", null)
                        .json().get("token").asText();
                assertTrue(gazelle.isAccessTokenValid(token) || refreshedSince(asked), "served a dead token while the store was down");
            }
            Thread.sleep(300);
        }
        assertTrue(gazelle.refreshRequestCount() >= before + 6, "kept refreshing while the store was down");
        assertTrue(spooled() > 0, "new tokens went to the spool");

        supabase.down(false);
        await().atMost(Duration.ofSeconds(30)).until(() -> spooled() == 0);
        assertEquals(0, gazelle.reuseCount(), "no refresh token lost or spent twice");
        // Store and upstream agree: the store's rows decrypt to the tokens the upstream considers current.
        for (String account : List.of("a", "b", "c")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                JsonNode view = daemon.call("GET", "/api/v1/credentials/gazelle:" + account, null).json();
                long inStore = supabase.rows(FakePostgrest.CREDENTIALS).stream()
                        .filter(row -> row.get("id").asText().equals("gazelle:" + account))
                        .mapToLong(row -> row.get("version").asLong()).findFirst().orElse(-1);
                return view.get("version").asLong() == inStore;
            });
        }
        daemon.stop();
        DaemonProcess fresh = new DaemonProcess(temp.resolve("other-state"), env(Map.of(
                "TOKENKEEPER_MASTER_KEY_FILE", daemon.stateDir().resolve("master.key").toString())));
        fresh.start();
        try {
            for (String account : List.of("a", "b", "c")) {
                java.time.Instant asked = java.time.Instant.now();
                DaemonProcess.Response answer = fresh.call("GET", "/api/v1/credentials/gazelle:" + account
                        + "/token?minValidity=0", null);
                assertEquals(200, answer.status(), account + ": " + answer.body() + "\n" + fresh.output());
                String token = answer.json().get("token").asText();
                assertTrue(gazelle.isAccessTokenValid(token) || refreshedSince(asked),
                        "a second daemon reading only the store gets the upstream's current token for " + account);
            }
        } finally {
            fresh.stop();
        }
    }

    /**
     * @param asked when the token was asked for
     * @return whether a refresh reached the upstream after a second before {@code asked} (so the token
     *         served may have been replaced since); anchored at the request, not at the check, which a
     *         loaded machine may make much later
     */
    private boolean refreshedSince(java.time.Instant asked) {
        List<java.time.Instant> times = gazelle.refreshRequestTimes();
        return !times.isEmpty() && times.get(times.size() - 1).isAfter(asked.minusSeconds(1));
    }

    @Test
    void theLegacySystemSettingsRowFollowsEveryRefresh() throws Exception {
        daemon = new DaemonProcess(temp.resolve("state"), env(Map.of("TOKENKEEPER_SUPABASE_LEGACY_GAZELLE", "true",
                "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false", "TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0")));
        daemon.start();
        importChain("default");
        for (int i = 0; i < 3; i++) {
            assertEquals("refreshed", daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null)
                    .json().get("outcome").asText());
            String access = gazelle.currentAccessToken("default");
            await().atMost(Duration.ofSeconds(10)).until(() -> legacyValue()
                    .map(value -> value.path("access_token").asText().equals(access)).orElse(false));
            JsonNode value = legacyValue().orElseThrow();
            Set<String> fields = new java.util.TreeSet<>();
            value.fieldNames().forEachRemaining(fields::add);
            assertEquals(Set.of("access_token", "created_at", "expires_in", "refresh_token"), fields, value.toString());
            assertEquals(gazelle.currentRefreshToken("default"), value.get("refresh_token").asText());
            assertTrue(value.get("expires_in").isIntegralNumber() && value.get("expires_in").asLong() > 0);
            assertTrue(value.get("created_at").isIntegralNumber()
                    && Math.abs(value.get("created_at").asLong() - java.time.Instant.now().getEpochSecond()) < 60,
                    "created_at in epoch seconds: " + value);
        }
    }

    private java.util.Optional<JsonNode> legacyValue() {
        return supabase.rows(FakePostgrest.SYSTEM_SETTINGS).stream()
                .filter(row -> row.path("key").asText().equals("gazelle_oauth_token"))
                .map(row -> row.get("value"))
                .map(value -> value.isTextual() ? parse(value.asText()) : value)
                .findFirst();
    }

    private static JsonNode parse(String text) {
        try {
            return DaemonProcess.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void importFromTheLegacyRow() throws Exception {
        Map<String, Object> row = new HashMap<>();
        row.put("key", "gazelle_oauth_token");
        row.put("value", DaemonProcess.JSON.readTree(gazelle.seedChain("legacy")));
        supabase.insertRow(FakePostgrest.SYSTEM_SETTINGS, row);
        daemon = new DaemonProcess(temp.resolve("state"), env(Map.of("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false")));
        daemon.start();
        DaemonProcess.Response imported = daemon.cli("import", "gazelle", "--from-supabase-settings");
        assertEquals(0, imported.status(), imported.body());
        String token = daemon.call("GET", "/api/v1/credentials/gazelle:default/token", null).json().get("token").asText();
        assertEquals(gazelle.currentAccessToken("legacy"), token);
    }

    @Test
    void wrongKeyWrongUrlAndMissingTableEachGiveOneClearLineAtStartUp() throws Exception {
        Map<String, String> wrongKey = env(Map.of("SUPABASE_SERVICE_ROLE_KEY", supabase.anonKey()));
        Map<String, String> wrongUrl = env(Map.of("SUPABASE_URL", "http://127.0.0.1:9"));
        Map<String, String> missingTable = env(Map.of());
        Map<String, String[]> cases = Map.of(
                "key", new String[] {"SUPABASE_SERVICE_ROLE_KEY"},
                "url", new String[] {"SUPABASE_URL"},
                "table", new String[] {"doctor --print-sql supabase"});
        Map<String, Map<String, String>> scenarios = new java.util.LinkedHashMap<>();
        scenarios.put("key", wrongKey);
        scenarios.put("url", wrongUrl);
        scenarios.put("table", missingTable);
        for (Map.Entry<String, Map<String, String>> scenario : scenarios.entrySet()) {
            if (scenario.getKey().equals("table")) {
                supabase.dropTable(FakePostgrest.CREDENTIALS);
            }
            DaemonProcess attempt = new DaemonProcess(temp.resolve("state-" + scenario.getKey()), scenario.getValue());
            DaemonProcess.Response run = attempt.cli("run");
            assertTrue(run.status() != 0, scenario.getKey() + ": the daemon must not start");
            List<String> lines = run.body().lines().filter(line -> !line.isBlank()).toList();
            assertEquals(1, lines.size(), scenario.getKey() + ": one line, not a stack trace: " + run.body());
            for (String expected : cases.get(scenario.getKey())) {
                assertTrue(lines.get(0).contains(expected), scenario.getKey() + ": " + lines.get(0));
            }
            assertFalse(run.body().contains(supabase.serviceKey()) || run.body().contains(supabase.anonKey()));

            DaemonProcess.Response doctor = attempt.cli("doctor");
            assertTrue(doctor.status() != 0, scenario.getKey() + ": doctor reports the problem: " + doctor.body());
            List<String> failed = doctor.body().lines().filter(line -> line.contains("FAIL")).toList();
            assertEquals(1, failed.size(), scenario.getKey() + ": one FAIL line: " + doctor.body());
            for (String expected : cases.get(scenario.getKey())) {
                assertTrue(failed.get(0).contains(expected), scenario.getKey() + ": " + failed.get(0));
            }
            assertFalse(doctor.body().contains("Exception") || doctor.body().contains(supabase.serviceKey()));
        }
    }
}
