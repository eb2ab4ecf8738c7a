package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI on the Supabase store (through a PostgREST imitation): {@code import --from-supabase-settings}
 * (the CLI reads the legacy row itself), and {@code run}'s one line and {@code doctor}'s one FAIL line
 * for each wrong setting: what the process prints and exits with. What the daemon does on this store
 * is checked in-process (SupabaseInProcessTest, SupabaseTwoDaemonsInProcessTest).
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

    /** What `run` and `doctor` print and exit with; the assembly's refusal itself: SupabaseInProcessTest. */
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
