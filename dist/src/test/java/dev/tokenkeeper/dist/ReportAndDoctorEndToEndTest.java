package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tokenkeeper report} and {@code tokenkeeper doctor} from the distribution, against FakeGazelle. */
class ReportAndDoctorEndToEndTest {

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private DaemonProcess daemon;
    private Map<String, String> env;

    @BeforeEach
    void start() throws Exception {
        gazelle = FakeGazelle.start();
        env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        // A transient failure's retry must not land inside the test: the counts stay exact.
        env.put("TOKENKEEPER_RETRY_BASE_SECONDS", "300");
        env.put("TOKENKEEPER_RETRY_MAX_SECONDS", "600");
        daemon = new DaemonProcess(temp.resolve("state"), env).start();
        env.put("TOKENKEEPER_STATE_DIR", daemon.stateDir().toString());
        env.put("TOKENKEEPER_LISTEN", "127.0.0.1:" + daemon.port());
        Path tokenFile = temp.resolve("token.json");
        Files.writeString(tokenFile, gazelle.seedChain("default"));
        DaemonProcess.Response imported = daemon.cli("import", "gazelle", "--token-json", tokenFile.toString());
        assertEquals(0, imported.status(), imported.body());
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (daemon != null) {
                daemon.stop();
                assertNoSecretIn(daemon.output());
            }
        } finally {
            gazelle.close();
        }
    }

    private void assertNoSecretIn(String text) {
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(text.contains(secret), "output contains an issued token or the client secret");
        }
    }

    private DaemonProcess.Response cli(Map<String, String> extra, String... args) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(extra);
        DaemonProcess.Response response = CliProcess.run(all, args);
        assertNoSecretIn(response.body());
        return response;
    }

    @Test
    void reportCountsWhatTheUpstreamSaw() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(0, daemon.cli("refresh", "gazelle:default", "--force").status());
        }
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.serviceUnavailable());
        assertEquals(1, daemon.cli("refresh", "gazelle:default", "--force").status(), "503: retry later");
        gazelle.tokenFault(FakeGazelle.Fault.invalidGrant());
        assertEquals(1, daemon.cli("refresh", "gazelle:default", "--force").status(), "invalid_grant: needs a human");
        Instant afterAll = Instant.now();

        DaemonProcess.Response json = cli(Map.of(), "report", "--json");
        assertEquals(0, json.status(), json.body());
        JsonNode line = json.json().get("credentials").get(0);
        assertEquals("gazelle:default", line.get("id").asText());
        int upstreamRequests = gazelle.refreshRequestCount();
        assertEquals(5, upstreamRequests);
        assertEquals(upstreamRequests - 2, line.get("refreshes").asInt(), "successful refreshes = grants the fake answered with tokens");
        assertEquals(1, line.get("transientFailures").asInt());
        assertEquals(1, line.get("permanentFailures").asInt());
        assertEquals(2, line.get("failures").asInt());
        assertEquals(0.6, line.get("successRate").asDouble(), 1e-9);
        assertTrue(line.get("lastError").asText().contains("invalid_grant"), line.toString());
        assertEquals("requires_configuration", line.get("status").asText());

        DaemonProcess.Response table = cli(Map.of(), "report", "--since", "1h");
        assertEquals(0, table.status(), table.body());
        String row = table.body().lines().filter(l -> l.startsWith("gazelle:default")).findFirst().orElseThrow();
        assertTrue(row.contains("60.0%") && row.contains("invalid_grant"), table.body());

        DaemonProcess.Response later = cli(Map.of(), "report", "--json", "--since", afterAll.plusSeconds(1).toString());
        assertEquals(0, later.json().get("credentials").get(0).get("refreshes").asInt(), "the window excludes older events");
        DaemonProcess.Response bad = cli(Map.of(), "report", "--since", "last week");
        assertEquals(1, bad.status());
        assertTrue(bad.body().contains("since must be"), bad.body());
    }

    @Test
    void doctorPassesOnAHealthyInstallation() throws Exception {
        DaemonProcess.Response doctor = cli(Map.of(), "doctor");
        assertEquals(0, doctor.status(), doctor.body());
        List<String> lines = doctor.body().lines().toList();
        for (String line : lines) {
            assertTrue(line.matches("(ok  |warn|FAIL) [^:]+: .+"), "one check per line: " + line);
        }
        for (String check : List.of("configuration", "state folder", "master key", "admin token", "plugins", "store",
                "credentials", "upstream gazelle", "daemon", "scheduler")) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("ok") && l.substring(5).startsWith(check + ":"))
                    || check.equals("scheduler"), check + " ok in:\n" + doctor.body());
        }
        assertTrue(doctor.body().contains("1 of 1 decrypt"), doctor.body());
        assertTrue(doctor.body().contains("warn scheduler: stopped"), "auto refresh is off here: " + doctor.body());
        assertFalse(doctor.body().contains(Files.readString(daemon.stateDir().resolve("admin-token")).trim()),
                "the admin token is not printed");
    }

    @Test
    void doctorFailsOnAnExposedKeyFileABrokenStoreSettingAndADeadUpstream() throws Exception {
        daemon.stop();
        Path key = daemon.stateDir().resolve("master.key");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        DaemonProcess.Response exposed = cli(Map.of(), "doctor");
        assertEquals(1, exposed.status(), exposed.body());
        List<String> failures = exposed.body().lines().filter(l -> l.startsWith("FAIL")).toList();
        assertEquals(1, failures.size(), exposed.body());
        assertTrue(failures.get(0).startsWith("FAIL master key: ") && failures.get(0).contains(key.toString()), exposed.body());
        assertTrue(exposed.body().contains("warn daemon: not running"), exposed.body());
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));

        DaemonProcess.Response broken = cli(Map.of("TOKENKEEPER_SQLITE_SYNCHRONOUS", "sometimes"), "doctor");
        assertEquals(1, broken.status(), broken.body());
        String storeLine = broken.body().lines().filter(l -> l.startsWith("FAIL")).findFirst().orElseThrow();
        assertTrue(storeLine.startsWith("FAIL store: sqlite cannot be opened: ") && storeLine.contains("TOKENKEEPER_SQLITE_SYNCHRONOUS"),
                broken.body());

        DaemonProcess.Response unknown = cli(Map.of("TOKENKEEPER_STORE", "nosuch"), "doctor");
        assertEquals(1, unknown.status(), unknown.body());
        assertTrue(unknown.body().contains("FAIL store: TOKENKEEPER_STORE=nosuch is not installed"), unknown.body());

        gazelle.close();
        DaemonProcess.Response down = cli(Map.of(), "doctor");
        assertEquals(1, down.status(), down.body());
        assertTrue(down.body().contains("FAIL upstream gazelle: cannot connect"), down.body());
        gazelle = FakeGazelle.start();
    }

    @Test
    void doctorPrintsTheSetupSqlOfAStore() throws Exception {
        DaemonProcess.Response supabase = cli(Map.of(), "doctor", "--print-sql", "supabase");
        assertEquals(0, supabase.status(), supabase.body());
        assertTrue(supabase.body().toLowerCase().contains("create table"), supabase.body());
        DaemonProcess.Response sqlite = cli(Map.of(), "doctor", "--print-sql", "sqlite");
        assertEquals(0, sqlite.status(), sqlite.body());
        assertTrue(sqlite.body().contains("creates and migrates its own schema"), sqlite.body());
        DaemonProcess.Response none = cli(Map.of(), "doctor", "--print-sql", "nosuch");
        assertEquals(2, none.status(), none.body());
        assertTrue(none.body().contains("no store 'nosuch' is installed"), none.body());
    }
}
