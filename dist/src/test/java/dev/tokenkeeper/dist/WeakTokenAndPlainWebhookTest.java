package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two settings the second review got past the checks, through the real daemon and CLI: admin tokens
 * that look long but are patterns (finding 9), and webhooks in clear text to another machine
 * (finding 10).
 */
class WeakTokenAndPlainWebhookTest {

    @TempDir
    Path temp;

    private FakeGazelle gazelle;

    @BeforeEach
    void start() {
        gazelle = FakeGazelle.start();
    }

    @AfterEach
    void stop() {
        gazelle.close();
    }

    private Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(gazelle.settings());
        env.put("TOKENKEEPER_STATE_DIR", temp.resolve("state").toString());
        env.put("TOKENKEEPER_LISTEN", "127.0.0.1:0");
        env.put("JAVA_OPTS", "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto");
        env.putAll(extra);
        return env;
    }

    @Test
    void adminTokensThatArePatternsAreRefusedByTheDaemonTheCliAndDoctor() throws Exception {
        Path tokenFile = temp.resolve("admin.token");
        for (String weak : List.of("ab".repeat(33), "changemechangemechangemechangemech", "qwertyuiopasdfghjklzxcvbnm1234567890",
                "Tokenkeeper2024!".repeat(3))) {
            Files.writeString(tokenFile, weak + "\n");
            Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
            Map<String, String> env = env(Map.of("TOKENKEEPER_ADMIN_TOKEN_FILE", tokenFile.toString()));
            DaemonProcess.Response run = CliProcess.run(env, "run");
            assertNotEquals(0, run.status(), "the daemon started with " + weak + ":\n" + run.body());
            assertWeakTokenExplained(run.body(), weak, tokenFile);
            assertFalse(run.body().contains("listening on"), run.body());
            DaemonProcess.Response status = CliProcess.run(env, "status");
            assertNotEquals(0, status.status(), status.body());
            assertWeakTokenExplained(status.body(), weak, tokenFile);
            DaemonProcess.Response doctor = CliProcess.run(env, "doctor");
            assertNotEquals(0, doctor.status(), doctor.body());
            assertWeakTokenExplained(doctor.body(), weak, tokenFile);
        }
    }

    private static void assertWeakTokenExplained(String output, String weak, Path tokenFile) {
        assertTrue(output.contains("admin token file " + tokenFile + " holds a weak token")
                && output.contains("openssl rand -base64 32"), output);
        assertFalse(output.contains(weak), "the token is quoted:\n" + output);
    }

    @Test
    void aPlainHttpWebhookToAnotherMachineStopsTheStartAndFailsDoctor() throws Exception {
        String remote = "http://:tk_SECRETACCESS@ntfy.example.com/alerts";
        Map<String, String> env = env(Map.of("TOKENKEEPER_NOTIFY_URL", remote));
        DaemonProcess.Response run = CliProcess.run(env, "run");
        assertNotEquals(0, run.status(), "the daemon started:\n" + run.body());
        assertTrue(run.body().contains("TOKENKEEPER_NOTIFY_URL entry webhook-1 (http://ntfy.example.com/***) uses http://")
                && run.body().contains("use https://"), run.body());
        assertFalse(run.body().contains("listening on"), run.body());
        DaemonProcess.Response doctor = CliProcess.run(env, "doctor");
        assertNotEquals(0, doctor.status(), doctor.body());
        assertTrue(doctor.body().lines().anyMatch(line -> line.startsWith("FAIL notifications:")
                && line.contains("uses http://")), doctor.body());
        for (String output : List.of(run.body(), doctor.body())) {
            assertFalse(output.contains("SECRETACCESS") || output.contains("/alerts"), output);
        }

        // To this machine in clear text, and to another over TLS: accepted.
        for (String allowed : List.of("http://127.0.0.1:9/hook/SECRETPATH", "https://ntfy.example.com/alerts")) {
            Map<String, String> fine = env(Map.of("TOKENKEEPER_NOTIFY_URL", allowed));
            DaemonProcess.Response checked = CliProcess.run(fine, "doctor");
            assertTrue(checked.body().lines().anyMatch(line -> line.matches("ok +notifications: .*")), checked.body());
            assertFalse(checked.body().contains("SECRETPATH"), checked.body());
            DaemonProcess daemon = new DaemonProcess(temp.resolve("state-" + allowed.length()), fine).start();
            try {
                assertEquals(200, daemon.call("GET", "/api/v1/credentials", null).status());
            } finally {
                daemon.stop();
            }
            assertFalse(daemon.output().contains("SECRETPATH"), daemon.output());
        }
    }
}
