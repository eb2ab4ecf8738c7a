package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.store.AccountSecrets;
import dev.tokenkeeper.daemon.crypto.AccountSecretSeal;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After a rekey ({@code POST /api/v1/rekey}, what {@code tokenkeeper rekey} calls) no file in the
 * state folder holds a secret the old key opens: not the SQLite database, not its {@code -wal}
 * (which held them after every refresh), not the spool, not anything else. The old key is taken as
 * an attacker would have it (a copy from before the rekey); every sealed header of it is found by
 * the bytes of the sealed format and opened with it. A purge that cannot be confirmed keeps the old
 * key; a configured key is not rotated. What the CLI prints and its exit codes are
 * {@code CliEndToEndTest}'s.
 */
class RekeyPurgeInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REFRESHES = 4;

    private final FakeGazelle gazelle = FakeGazelle.start();

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider())
            .settings(gazelle.settings())
            .setting("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false")
            .setting("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");

    private Path state;

    @BeforeEach
    void stateFolder() {
        state = daemon.stateDirectory();
    }

    @AfterEach
    void closeImitation() {
        String log = daemon.log();
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(log.contains(secret), "the daemon's log holds a token");
        }
        gazelle.close();
    }

    @Test
    void rekeyLeavesNothingTheOldKeyOpens() throws Exception {
        List<CredentialId> ids = importAndRefresh();
        byte[] oldKey = Files.readAllBytes(state.resolve("master.key"));
        plantSpoolLeftover(oldKey, ids.get(0));
        AccountSecrets secrets = daemon.assembly().store().capability(AccountSecrets.class).orElseThrow();
        AccountSecretSeal seal = new AccountSecretSeal(daemon.assembly().sealer());
        assertTrue(secrets.putAccountSecret(seal.seal(ids.get(2), "cookiecloud", "c".repeat(64),
                new SecretMaterial(Map.of("password", "SECRET-LINK-PASSWORD")), daemon.clock().instant())));
        Map<String, Integer> before = openableWith(oldKey, ids);
        System.out.println("secrets the old key opens before the rekey, by file: " + before);
        assertTrue(before.getOrDefault("tokenkeeper.db-wal", 0) > 0, "the write-ahead log holds old-key secrets: " + before);
        assertTrue(before.keySet().stream().anyMatch(f -> f.startsWith("spool/")), "so does the spool: " + before);

        JsonNode rekey = rekey("");

        assertFalse(Files.exists(state.resolve("keys/retired-" + keyId(oldKey) + ".key")), "the old key is destroyed");
        assertEquals(Map.of(), openableWith(oldKey, ids), "no file under the state folder holds a secret the old key"
                + " opens");
        assertEquals(Map.of(), headersOf(keyId(oldKey)), "nor a sealed header of the old key");
        JsonNode purge = rekey.path("purge");
        assertTrue(purge.path("oldKeysDestroyed").asBoolean(), rekey.toString());
        assertFalse("out-of-reach".equals(purge.path("result").asText()), rekey.toString());
        assertTrue(purge.path("summary").asText().startsWith("sqlite"), "purged: sqlite ... " + rekey);
        assertAllServeValidTokens(ids);
        AccountSecret resealed = secrets.accountSecret(ids.get(2), "cookiecloud").orElseThrow();
        assertTrue(seal.current(resealed), "the account secret is sealed and tagged with the new key");
        assertEquals("SECRET-LINK-PASSWORD", seal.open(resealed).require("password"));
        assertFalse(daemon.log().contains("SECRET-LINK-PASSWORD"));
    }

    @Test
    void rekeyKeepOldThenFinishLeavesNothingTheOldKeyOpens() throws Exception {
        List<CredentialId> ids = importAndRefresh();
        byte[] oldKey = Files.readAllBytes(state.resolve("master.key"));
        plantSpoolLeftover(oldKey, ids.get(0));
        Map<String, Integer> before = openableWith(oldKey, ids);
        assertTrue(before.getOrDefault("tokenkeeper.db-wal", 0) > 0, "the write-ahead log holds old-key secrets: " + before);

        rekey("?keepOld=true");
        assertTrue(Files.exists(state.resolve("keys/retired-" + keyId(oldKey) + ".key")), "--keep-old keeps it");
        // Refreshes between the two steps are sealed with the new key.
        HttpResponse<String> refreshed = daemon.call("POST", "/api/v1/credentials/" + ids.get(1) + "/refresh?force=true", "{}");
        assertEquals(200, refreshed.statusCode(), refreshed.body());

        JsonNode finish = rekey("?finish=true");

        assertTrue(finish.path("purge").path("oldKeysDestroyed").asBoolean(), finish.toString());
        assertFalse(Files.exists(state.resolve("keys/retired-" + keyId(oldKey) + ".key")), "--finish destroys it");
        assertEquals(Map.of(), openableWith(oldKey, ids), "no file under the state folder holds a secret the old key"
                + " opens");
        assertEquals(Map.of(), headersOf(keyId(oldKey)));
        assertAllServeValidTokens(ids);
    }

    @Test
    void aPurgeThatCannotBeConfirmedKeepsTheOldKeyAndSaysWhatToRun() throws Exception {
        List<CredentialId> ids = importAndRefresh();
        byte[] oldKey = Files.readAllBytes(state.resolve("master.key"));
        String oldId = keyId(oldKey);

        JsonNode refused;
        // Another connection reads the database meanwhile: its snapshot keeps the write-ahead log from being truncated.
        try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + state.resolve("tokenkeeper.db"));
             Statement query = reader.createStatement()) {
            reader.setAutoCommit(false);
            try (ResultSet rows = query.executeQuery("SELECT count(*) FROM credentials")) {
                assertTrue(rows.next());
            }
            refused = rekey("");
            reader.rollback();
        }

        JsonNode purge = refused.path("purge");
        assertFalse(purge.path("oldKeysDestroyed").asBoolean(), refused.toString());
        assertTrue(purge.path("summary").asText().contains("write-ahead log")
                && purge.path("summary").asText().contains("rekey --finish"), refused.toString());
        assertTrue(Files.exists(state.resolve("keys/retired-" + oldId + ".key")), "the old key is kept");
        assertAllServeValidTokens(ids);

        JsonNode finish = rekey("?finish=true");
        assertTrue(finish.path("purge").path("oldKeysDestroyed").asBoolean(), finish.toString());
        assertFalse(Files.exists(state.resolve("keys/retired-" + oldId + ".key")));
        assertEquals(Map.of(), openableWith(oldKey, ids));
    }

    @Test
    void aConfiguredKeyIsRefusedWithInstructions() throws Exception {
        String key = "7".repeat(64);
        TokenkeeperExtension configured = TokenkeeperExtension.withProvider(new GazelleProvider())
                .settings(gazelle.settings()).setting("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false")
                .setting("TOKENKEEPER_MASTER_KEY", key);
        configured.start();
        try {
            HttpResponse<String> imported = configured.call("PUT", "/api/v1/credentials/gazelle:acct0",
                    JSON.createObjectNode().put("tokenJson", gazelle.seedChain("acct0")).toString());
            assertEquals(201, imported.statusCode(), imported.body());
            HttpResponse<String> refused = configured.call("POST", "/api/v1/rekey", "{}");
            assertTrue(refused.statusCode() >= 400 && refused.statusCode() < 500, refused.statusCode() + " " + refused.body());
            assertTrue(refused.body().contains("TOKENKEEPER_MASTER_KEY") && refused.body().contains("--reseal-only"),
                    refused.body());
            assertFalse(refused.body().contains(key), "the key is never printed");
            assertFalse(configured.log().contains(key), "the key is never logged");
        } finally {
            configured.stop();
        }
    }

    /** @return the rekey's outcome, which must be 200 */
    private JsonNode rekey(String query) throws Exception {
        HttpResponse<String> answer = daemon.call("POST", "/api/v1/rekey" + query, "{}");
        assertEquals(200, answer.statusCode(), answer.body());
        return JSON.readTree(answer.body());
    }

    /** Three credentials, each refreshed a few times: every refresh leaves the replaced secret in the files. */
    private List<CredentialId> importAndRefresh() {
        List<CredentialId> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String account = "acct" + i;
            String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
            HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
            assertEquals(201, imported.statusCode(), imported.body());
            ids.add(CredentialId.parse("gazelle:" + account));
        }
        for (int round = 0; round < REFRESHES; round++) {
            for (CredentialId id : ids) {
                HttpResponse<String> refreshed = daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true",
                        "{}");
                assertEquals(200, refreshed.statusCode(), refreshed.body());
            }
        }
        return ids;
    }

    /**
     * What a crash between writing a spool entry and renaming it leaves: a temporary spool file with
     * an old-key secret of the credential (taken from the database, as the spool would have it).
     */
    private void plantSpoolLeftover(byte[] oldKey, CredentialId id) throws Exception {
        byte[] sealed;
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + state.resolve("tokenkeeper.db"));
             Statement query = db.createStatement();
             ResultSet rows = query.executeQuery("SELECT sealed_secret FROM credentials WHERE id = '" + id + "'")) {
            assertTrue(rows.next());
            sealed = rows.getBytes(1);
        }
        assertEquals(keyId(oldKey), SecretSealer.keyIdOf(SealedSecret.of(sealed)));
        Path spool = Files.createDirectories(state.resolve("spool"));
        String json = JSON.createObjectNode().put("id", id.toString()).put("status", "active")
                .put("secret", SealedSecret.of(sealed).toBase64()).put("version", 99).toString();
        Files.writeString(spool.resolve(id.toString().replace(':', '~') + ".json.tmp"), json);
    }

    /** @return for each file under the state folder (relative name), how many secrets the key opens in it */
    private Map<String, Integer> openableWith(byte[] key, List<CredentialId> ids) throws Exception {
        SecretSealer sealer = new SecretSealer(Keyring.of(MasterKey.of(key)));
        byte[] rawHeader = header(keyId(key));
        byte[] base64Header = Base64.getEncoder().encode(rawHeader);
        Map<String, Integer> opened = new TreeMap<>();
        for (Path file : files()) {
            byte[] bytes = Files.readAllBytes(file);
            int count = 0;
            for (int at = indexOf(bytes, rawHeader, 0); at >= 0; at = indexOf(bytes, rawHeader, at + 1)) {
                count += opens(sealer, key, bytes, at, ids) ? 1 : 0;
            }
            for (int at = indexOf(bytes, base64Header, 0); at >= 0; at = indexOf(bytes, base64Header, at + 1)) {
                int end = at;
                while (end < bytes.length && isBase64(bytes[end])) {
                    end++;
                }
                try {
                    byte[] blob = Base64.getDecoder().decode(Arrays.copyOfRange(bytes, at, end));
                    count += opens(sealer, key, blob, 0, ids) ? 1 : 0;
                } catch (IllegalArgumentException notBase64) {
                    // Bytes that only look like the header's text.
                }
            }
            if (count > 0) {
                opened.put(state.relativize(file).toString(), count);
            }
        }
        return opened;
    }

    /** @return for each file under the state folder, how many sealed headers of the key it holds, raw or Base64 */
    private Map<String, Integer> headersOf(String keyId) throws Exception {
        byte[] rawHeader = header(keyId);
        byte[] base64Header = Base64.getEncoder().encode(rawHeader);
        Map<String, Integer> found = new TreeMap<>();
        for (Path file : files()) {
            byte[] bytes = Files.readAllBytes(file);
            int count = 0;
            for (byte[] pattern : List.of(rawHeader, base64Header)) {
                for (int at = indexOf(bytes, pattern, 0); at >= 0; at = indexOf(bytes, pattern, at + 1)) {
                    count++;
                }
            }
            if (count > 0) {
                found.put(state.relativize(file).toString(), count);
            }
        }
        return found;
    }

    private List<Path> files() throws Exception {
        try (Stream<Path> walk = Files.walk(state)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    /**
     * Whether the sealed secret whose header starts at {@code at} opens with the key. Its length is not
     * stored next to it, so the start of the ciphertext is decrypted as GCM's counter mode does (the
     * first data block uses counter 2), the length read from the plaintext's field lengths, and the
     * whole secret then opened, tag checked, by the daemon's own sealer.
     */
    private static boolean opens(SecretSealer sealer, byte[] key, byte[] bytes, int at, List<CredentialId> ids)
            throws Exception {
        int body = at + 24;
        if (bytes.length < body + 16) {
            return false;
        }
        byte[] counter = ByteBuffer.allocate(16).put(bytes, at + 12, 12).putInt(2).array();
        Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
        ctr.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(counter));
        byte[] plain = ctr.doFinal(bytes, body, Math.min(bytes.length - body, 8192));
        int length = encodedLength(plain);
        if (length < 0 || body + length + 16 > bytes.length) {
            return false;
        }
        SealedSecret candidate = SealedSecret.of(Arrays.copyOfRange(bytes, at, body + length + 16));
        for (CredentialId id : ids) {
            try {
                SecretMaterial material = sealer.open(id, candidate);
                return !material.fields().isEmpty();
            } catch (UnsealException wrongCredentialOrDamaged) {
                // Try the next credential id (it is bound to the secret).
            }
        }
        return false;
    }

    /** @return the length of the field-count-and-fields encoding at the start, or -1 when it is not one */
    private static int encodedLength(byte[] plain) {
        ByteBuffer in = ByteBuffer.wrap(plain);
        if (in.remaining() < 4) {
            return -1;
        }
        int fields = in.getInt();
        if (fields <= 0 || fields > 64) {
            return -1;
        }
        for (int i = 0; i < 2 * fields; i++) {
            if (in.remaining() < 4) {
                return -1;
            }
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                return -1;
            }
            in.position(in.position() + length);
        }
        return in.position();
    }

    private static byte[] header(String keyId) {
        byte[] header = new byte[12];
        header[0] = 'T';
        header[1] = 'K';
        header[2] = 1;
        header[3] = 8;
        System.arraycopy(keyId.getBytes(StandardCharsets.US_ASCII), 0, header, 4, 8);
        return header;
    }

    private static boolean isBase64(byte b) {
        return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=';
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String keyId(byte[] key) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 4);
    }

    private void assertAllServeValidTokens(List<CredentialId> ids) throws Exception {
        for (CredentialId id : ids) {
            HttpResponse<String> token = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null);
            assertEquals(200, token.statusCode(), id + ": " + token.body());
            assertTrue(gazelle.isAccessTokenValid(JSON.readTree(token.body()).get("token").asText()),
                    id + " opens to its real token");
        }
    }
}
