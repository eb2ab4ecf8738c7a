package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tokenkeeper rekey} through the real daemon: every credential re-sealed with a new key,
 * readable after a restart; and a daemon killed halfway through a rekey loses nothing.
 */
class RekeyEndToEndTest {

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private final List<DaemonProcess> daemons = new ArrayList<>();
    private Path state;

    @BeforeEach
    void start() {
        gazelle = FakeGazelle.start();
        state = temp.resolve("state");
    }

    @AfterEach
    void stop() throws Exception {
        try {
            for (DaemonProcess daemon : daemons) {
                daemon.stop();
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(daemon.output().contains(secret), "the daemon log holds a token");
                }
            }
        } finally {
            gazelle.close();
        }
    }

    private DaemonProcess daemon(Map<String, String> extra) throws Exception {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        env.putAll(extra);
        DaemonProcess daemon = new DaemonProcess(state, env);
        daemons.add(daemon);
        return daemon.start();
    }

    private List<String> importChains(DaemonProcess daemon, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String account = "acct" + i;
            String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
            DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
            assertEquals(201, imported.status(), imported.body());
            ids.add("gazelle:" + account);
        }
        return ids;
    }

    /** @return credential id to the key id in its sealed bytes, read straight from the SQLite file */
    private Map<String, String> keyIdsOnDisk() throws Exception {
        Map<String, String> keyIds = new TreeMap<>();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + state.resolve("tokenkeeper.db"));
             Statement query = db.createStatement();
             ResultSet rows = query.executeQuery("SELECT id, sealed_secret FROM credentials")) {
            while (rows.next()) {
                keyIds.put(rows.getString(1), SecretSealer.keyIdOf(SealedSecret.of(rows.getBytes(2))));
            }
        }
        return keyIds;
    }

    /** The key id of the generated key file, computed as the daemon does (SHA-256, first 4 bytes). */
    private String generatedKeyId() throws Exception {
        byte[] key = Files.readAllBytes(state.resolve("master.key"));
        assertEquals(32, key.length);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 4);
    }

    private void assertAllServeValidTokens(DaemonProcess daemon, List<String> ids) throws Exception {
        for (String id : ids) {
            DaemonProcess.Response token = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null);
            assertEquals(200, token.status(), id + ": " + token.body());
            assertTrue(gazelle.isAccessTokenValid(token.json().get("token").asText()), id + " opens to its real token");
        }
    }

    @Test
    void rekeyDestroysTheRetiredKeyAndARowSealedWithItIsRefusedFromThenOn() throws Exception {
        DaemonProcess daemon = daemon(Map.of());
        List<String> ids = importChains(daemon, 2);
        String oldKey = generatedKeyId();
        byte[] oldKeyBytes = Files.readAllBytes(state.resolve("master.key"));
        daemon.stop();
        // A backup of the store taken before the rekey: its rows are sealed with the old key.
        Path backup = temp.resolve("backup.db");
        Files.copy(state.resolve("tokenkeeper.db"), backup);
        daemon = daemon(Map.of());

        DaemonProcess.Response rekey = daemon.cli("rekey");
        assertEquals(0, rekey.status(), rekey.body());
        try (var files = Files.list(state.resolve("keys"))) {
            List<String> left = files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("retired-")).toList();
            assertEquals(List.of(), left, "no retired key remains");
        }
        assertTrue(Files.readString(state.resolve("keys/destroyed-key-ids")).contains(oldKey));
        assertAllServeValidTokens(daemon, ids);
        DaemonProcess.Response doctor = daemon.cli("doctor");
        assertFalse(doctor.body().contains("retired key(s) still readable"), doctor.body());
        daemon.stop();

        // The old rows come back from the backup: the old key id no longer opens them.
        Files.copy(backup, state.resolve("tokenkeeper.db"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(state.resolve("tokenkeeper.db-wal"));
        Files.deleteIfExists(state.resolve("tokenkeeper.db-shm"));
        DaemonProcess restored = daemon(Map.of());
        for (String id : ids) {
            DaemonProcess.Response token = restored.call("GET", "/api/v1/credentials/" + id + "/token", null);
            assertNotEquals(200, token.status(), id + " sealed with the destroyed key must not open: " + token.body());
        }
        restored.stop();
        // And a copy of the destroyed key put back is refused.
        Files.write(state.resolve("keys/retired-" + oldKey + ".key"), oldKeyBytes);
        Files.setPosixFilePermissions(state.resolve("keys/retired-" + oldKey + ".key"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        DaemonProcess.Response refused = restored.cli("doctor");
        assertTrue(refused.body().contains("which a rekey destroyed"), refused.body());
    }

    @Test
    void rekeyKeepOldKeepsTheRetiredKeyUntilFinish() throws Exception {
        DaemonProcess daemon = daemon(Map.of());
        List<String> ids = importChains(daemon, 2);
        String oldKey = generatedKeyId();
        DaemonProcess.Response rekey = daemon.cli("rekey", "--keep-old");
        assertEquals(0, rekey.status(), rekey.body());
        assertTrue(Files.exists(state.resolve("keys/retired-" + oldKey + ".key")), "--keep-old keeps it");
        DaemonProcess.Response doctor = daemon.cli("doctor");
        assertTrue(doctor.body().contains("rekey --finish"), "doctor warns while a retired key exists: " + doctor.body());

        DaemonProcess.Response finish = daemon.cli("rekey", "--finish");
        assertEquals(0, finish.status(), finish.body());
        assertFalse(Files.exists(state.resolve("keys/retired-" + oldKey + ".key")), "--finish destroys it");
        assertAllServeValidTokens(daemon, ids);
        assertFalse(daemon.cli("doctor").body().contains("rekey --finish"));
    }

    @Test
    void rekeyResealsEveryCredentialWithTheNewKeyAndARestartReadsThem() throws Exception {
        DaemonProcess daemon = daemon(Map.of());
        List<String> ids = importChains(daemon, 3);
        String oldKey = generatedKeyId();

        DaemonProcess.Response rekey = daemon.cli("rekey", "--json");
        assertEquals(0, rekey.status(), rekey.body());
        JsonNode outcome = rekey.json();
        String newKey = outcome.get("currentKeyId").asText();
        assertNotEquals(oldKey, newKey);
        assertEquals(newKey, generatedKeyId(), "master.key now holds the new key");
        assertEquals(3, outcome.get("resealed").size());
        assertFalse(Files.exists(state.resolve("keys/retired-" + oldKey + ".key")), "the old key is destroyed");
        assertAllServeValidTokens(daemon, ids);
        // The live daemon seals new refreshes with the new key too.
        assertEquals(0, daemon.cli("refresh", ids.get(0), "--force").status());

        daemon.stop();
        for (Map.Entry<String, String> row : keyIdsOnDisk().entrySet()) {
            assertEquals(newKey, row.getValue(), row.getKey() + " is sealed with the new key on disk");
        }
        assertAllServeValidTokens(daemon(Map.of()), ids);
        assertEquals(0, gazelle.reuseCount());
    }

    @Test
    void rekeyKilledHalfwayThenRunAgainLeavesEveryCredentialReadable() throws Exception {
        DaemonProcess first = daemon(Map.of("TOKENKEEPER_TEST_REKEY_HALT_AFTER", "4"));
        List<String> ids = importChains(first, 8);
        String oldKey = generatedKeyId();

        DaemonProcess.Response interrupted = first.cli("rekey");
        assertNotEquals(0, interrupted.status(), "the daemon died under the CLI: " + interrupted.body());
        first.process().waitFor();
        assertEquals(137, first.process().exitValue(), "halted as kill -9 would");
        String newKey = generatedKeyId();
        assertNotEquals(oldKey, newKey);
        Map<String, String> halfway = keyIdsOnDisk();
        assertEquals(4, halfway.values().stream().filter(newKey::equals).count(), "half re-sealed: " + halfway);
        assertEquals(4, halfway.values().stream().filter(oldKey::equals).count(), "half still on the old key: " + halfway);

        DaemonProcess second = daemon(new HashMap<>());
        assertAllServeValidTokens(second, ids);
        DaemonProcess.Response again = second.cli("rekey", "--json");
        assertEquals(0, again.status(), again.body());
        JsonNode outcome = again.json();
        assertTrue(outcome.get("resumed").asBoolean(), "the re-run finishes the interrupted rekey: " + outcome);
        assertEquals(newKey, outcome.get("currentKeyId").asText(), "no third key");
        assertEquals(4, outcome.get("resealed").size());
        assertEquals(4, outcome.get("alreadyCurrent").size());
        assertFalse(Files.exists(state.resolve("keys/rekey-pending")));

        DaemonProcess.Response idempotent = second.cli("rekey", "--reseal-only", "--json");
        assertEquals(0, idempotent.json().get("resealed").size(), idempotent.body());
        second.stop();
        assertTrue(keyIdsOnDisk().values().stream().allMatch(newKey::equals), keyIdsOnDisk().toString());
        assertAllServeValidTokens(daemon(Map.of()), ids);
    }

    @Test
    void aConfiguredKeyIsRefusedWithInstructions() throws Exception {
        DaemonProcess daemon = daemon(Map.of("TOKENKEEPER_MASTER_KEY", "7".repeat(64)));
        importChains(daemon, 1);
        DaemonProcess.Response refused = daemon.cli("rekey");
        assertEquals(1, refused.status(), refused.body());
        assertTrue(refused.body().contains("TOKENKEEPER_MASTER_KEY") && refused.body().contains("--reseal-only"),
                refused.body());
        assertFalse(refused.body().contains("7".repeat(64)), "the key is never printed");
    }
}
