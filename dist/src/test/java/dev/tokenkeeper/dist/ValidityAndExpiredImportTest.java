package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Against the real daemon and FakeGazelle: a consumer asking for more validity than the upstream's
 * tokens have is told so (JSON field, CLI warning) after at most one refresh; an import whose
 * access token has already expired is refreshed at once and the answer says so; the start-up line
 * counts what the scheduler planned.
 */
class ValidityAndExpiredImportTest {

    @TempDir
    Path temp;

    private final FakeGazelle gazelle = FakeGazelle.start();
    private final List<DaemonProcess> daemons = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        try {
            for (DaemonProcess daemon : daemons) {
                daemon.stop();
                String output = daemon.output();
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(output.contains(secret), "the daemon output holds an issued token");
                }
            }
        } finally {
            gazelle.close();
        }
    }

    private DaemonProcess daemon(String name) throws Exception {
        Map<String, String> env = new HashMap<>(gazelle.settings());
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        env.put("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");
        DaemonProcess daemon = new DaemonProcess(temp.resolve(name), env);
        daemons.add(daemon);
        return daemon.start();
    }

    private Path tokenFile(String json) throws Exception {
        Path file = Files.createTempFile(temp, "token", ".json");
        Files.writeString(file, json);
        return file;
    }

    @Test
    void askingForMoreValidityThanTheUpstreamGrantsIsToldAfterAtMostOneRefresh() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(20));
        DaemonProcess daemon = daemon("short");
        DaemonProcess.Response imported = daemon.cli("import", "gazelle", "--token-json",
                tokenFile(gazelle.seedChain("default")).toString());
        assertEquals(0, imported.status(), imported.body());
        int refreshesBefore = gazelle.refreshRequestCount();

        DaemonProcess.Response api = daemon.call("GET", "/api/v1/credentials/gazelle:default/token?minValidity=300", null);
        assertEquals(200, api.status(), api.body());
        JsonNode answer = api.json();
        long validFor = answer.path("validForSeconds").asLong(-1);
        long shortBy = answer.path("validityShortBySeconds").asLong(-1);
        assertTrue(validFor >= 0 && validFor <= 20, "valid for at most the 20 s the upstream grants: " + validFor);
        assertEquals(300, validFor + shortBy, "short by what is missing of the 300 s asked");
        assertTrue(answer.path("warning").asText().contains("less than the 300 s asked"), answer.toString());
        assertTrue(gazelle.refreshRequestCount() - refreshesBefore <= 1, "at most one refresh");

        DaemonProcess.Response cli = daemon.cli("token", "gazelle:default", "--min-validity", "300");
        assertEquals(0, cli.status(), cli.body());
        assertTrue(cli.body().lines().anyMatch(l -> l.startsWith("warning: ") && l.contains("less than the 300 s asked")),
                "the CLI warns:\n" + cli.body().replaceAll("[A-Za-z0-9_-]{20,}", "<token>"));
        assertTrue(gazelle.refreshRequestCount() - refreshesBefore <= 2, "one more read, at most one more refresh");

        DaemonProcess.Response enough = daemon.call("GET", "/api/v1/credentials/gazelle:default/token?minValidity=5", null);
        assertTrue(enough.json().path("validityShortBySeconds").isNull()
                || enough.json().path("validityShortBySeconds").isMissingNode(), enough.json().toString()
                .replace(enough.json().path("token").asText(), "<token>"));
    }

    @Test
    void anExpiredImportIsRefreshedAtOnceAndTheAnswerSaysSo() throws Exception {
        DaemonProcess daemon = daemon("expired");
        ObjectNode token = (ObjectNode) DaemonProcess.JSON.readTree(gazelle.seedChain("default"));
        token.put("created_at", Instant.now().minus(Duration.ofHours(2)).getEpochSecond());
        token.put("expires_in", 3600);
        int refreshesBefore = gazelle.refreshRequestCount();

        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:default",
                "{\"tokenJson\": " + token + "}");
        assertEquals(201, imported.status(), imported.body());
        JsonNode answer = imported.json();
        assertEquals(1, gazelle.refreshRequestCount() - refreshesBefore, "refreshed at once: " + answer);
        assertTrue(answer.path("warnings").toString().contains("had expired"), answer.toString());
        assertTrue(answer.path("warnings").toString().contains("refreshed at once"), answer.toString());
        Instant expiresAt = Instant.parse(answer.path("credential").path("accessExpiresAt").asText());
        assertTrue(expiresAt.isAfter(Instant.now()), "the answer shows the new token's expiry: " + answer);
        assertEquals("active", answer.path("credential").path("status").asText(), answer.toString());

        // The CLI form: the warning reaches stderr.
        ObjectNode second = (ObjectNode) DaemonProcess.JSON.readTree(gazelle.seedChain("second"));
        second.put("created_at", Instant.now().minus(Duration.ofHours(2)).getEpochSecond());
        second.put("expires_in", 3600);
        DaemonProcess.Response cli = daemon.cli("import", "gazelle", "--account", "second", "--token-json",
                tokenFile(second.toString()).toString());
        assertEquals(0, cli.status(), cli.body());
        assertTrue(cli.body().contains("warning: the imported access token had expired"), cli.body());

        // A third whose refresh at once fails: the answer says so, and it stays due.
        ObjectNode third = (ObjectNode) DaemonProcess.JSON.readTree(gazelle.seedChain("third"));
        third.put("created_at", Instant.now().minus(Duration.ofHours(2)).getEpochSecond());
        third.put("expires_in", 3600);
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.serviceUnavailable());
        DaemonProcess.Response failed = daemon.call("PUT", "/api/v1/credentials/gazelle:third",
                "{\"tokenJson\": " + third + "}");
        assertEquals(201, failed.status(), failed.body());
        assertTrue(failed.json().path("warnings").toString().contains("the refresh at once failed"), failed.body());
        daemon.stop();

        // Restarted with the scheduler active and one credential due at once: the start-up line counts
        // all three as planned, though the due one leaves the queue as soon as it is dispatched.
        Map<String, String> env = new HashMap<>(gazelle.settings());
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "true");
        env.put("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");
        env.put("TOKENKEEPER_RETRY_BASE_SECONDS", "0.1");
        DaemonProcess restarted = new DaemonProcess(temp.resolve("expired"), env);
        daemons.add(restarted);
        restarted.start();
        String startLine = restarted.output().lines().filter(l -> l.contains("credentials planned"))
                .reduce((a, b) -> b).orElseThrow();
        assertTrue(startLine.contains("; 3 credentials planned;"), startLine);
    }
}
