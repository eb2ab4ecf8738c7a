package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two daemon processes sharing one store, with 50 credentials that expire within the same
 * minute: each credential is refreshed once per cycle, never twice, counted at the upstream.
 */
class TwoDaemonsTest {

    static final int CREDENTIALS = 50;
    static final Duration LIFETIME = Duration.ofSeconds(8);

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private final List<DaemonProcess> daemons = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (DaemonProcess daemon : daemons) {
            daemon.stop();
        }
        if (gazelle != null) {
            gazelle.close();
        }
    }

    static Path sharedKey(Path folder) throws Exception {
        Path key = folder.resolve("master-key");
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        Files.write(key, bytes);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return key;
    }

    @Test
    void twoDaemonsOnOneSqliteFileRefreshEachCredentialOncePerCycle() throws Exception {
        Path shared = Files.createDirectories(temp.resolve("shared"));
        Map<String, String> store = Map.of(
                "TOKENKEEPER_SQLITE_PATH", shared.resolve("tokens.db").toString(),
                "TOKENKEEPER_MASTER_KEY_FILE", sharedKey(shared).toString());
        runCycles(store);
    }

    @Test
    void twoDaemonsOnOneSupabaseStoreRefreshEachCredentialOncePerCycle() throws Exception {
        Path shared = Files.createDirectories(temp.resolve("shared"));
        try (dev.tokenkeeper.store.supabase.FakePostgrest supabase = dev.tokenkeeper.store.supabase.FakePostgrest.start()) {
            Map<String, String> store = new java.util.HashMap<>(supabase.settings());
            store.put("TOKENKEEPER_STORE", "supabase");
            store.put("TOKENKEEPER_MASTER_KEY_FILE", sharedKey(shared).toString());
            runCycles(store);
        }
    }

    /** Imports the credentials through the first daemon, starts the second, and counts refreshes for three cycles. */
    void runCycles(Map<String, String> store) throws Exception {
        gazelle = FakeGazelle.start().accessLifetime(LIFETIME);
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.putAll(store);
        env.put("TOKENKEEPER_REFRESH_THREADS", "8");
        DaemonProcess first = new DaemonProcess(temp.resolve("a"), env);
        daemons.add(first);
        first.start();
        for (int i = 0; i < CREDENTIALS; i++) {
            String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("c" + i)).toString();
            DaemonProcess.Response imported = first.call("PUT", "/api/v1/credentials/gazelle:c" + i, body);
            assertEquals(201, imported.status(), imported.body());
        }
        Instant imported = Instant.now();
        DaemonProcess second = new DaemonProcess(temp.resolve("b"), env);
        daemons.add(second);
        second.start();

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() ->
                gazelle.refreshesPerChain().size() == CREDENTIALS
                        && gazelle.refreshesPerChain().values().stream().allMatch(count -> count >= 3));
        long elapsed = Duration.between(imported, Instant.now()).toMillis();
        // A cycle is at least lifetime minus margin and jitter (~6.6 s); a double refresh would double the count.
        long cycles = elapsed / 6_000 + 1;
        for (Map.Entry<String, Integer> chain : gazelle.refreshesPerChain().entrySet()) {
            assertTrue(chain.getValue() <= cycles, chain.getKey() + " refreshed " + chain.getValue() + " times in "
                    + elapsed + " ms (at most " + cycles + " cycles)");
        }
        assertEquals(0, gazelle.reuseCount(), "a refresh token was spent twice");

        for (String id : List.of("gazelle:c0", "gazelle:c17", "gazelle:c49")) {
            JsonNode history = first.call("GET", "/api/v1/credentials/" + id + "/history", null).json();
            long previous = -1;
            for (JsonNode event : history) {
                long version = event.get("version").asLong();
                if (event.get("outcome").asText().equals("refreshed")) {
                    assertEquals(previous + 1, version, "each refresh moves the version by exactly one: " + history);
                }
                previous = version;
            }
        }
    }
}
