package dev.tokenkeeper.daemon.cookiecloud;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CookieCloudCipher} against uploads encrypted by the real {@code crypto-js} npm package (what
 * the extension bundles), run with Node: npm installs {@code crypto-js@4} from the registry into
 * {@code target/cookiecloud-js} once per build (not vendored: the registry's package is the thing
 * under comparison, and target/ keeps it out of the repository).
 */
class CookieCloudCipherTest {

    private static final Path JS = Path.of("target", "cookiecloud-js").toAbsolutePath();
    private static final String UUID = "8Bq3xkN2rYwG4vTt";
    private static final String PASSWORD = "SECRET-PASSWORD-4c1e";
    private static final String DATA = "{\"cookie_data\":{\"vinted\":[{\"name\":\"access_token_web\",\"value\":\"SECRET-A\","
            + "\"domain\":\".vinted.fr\"}]},\"local_storage_data\":{},\"update_time\":\"2026-12-05T23:00:00.000Z\"}";

    @BeforeAll
    static void installCryptoJs() throws Exception {
        if (Files.isDirectory(JS.resolve("node_modules/crypto-js"))) {
            return;
        }
        Files.createDirectories(JS);
        run(List.of("npm", "install", "--no-audit", "--no-fund", "--prefix", JS.toString(), "crypto-js@4"), 180);
    }

    @Test
    void legacyUploadsOfCryptoJsOpen() throws Exception {
        String encrypted = node("console.log(C.AES.encrypt(data, key).toString())");
        assertEquals(DATA, CookieCloudCipher.decrypt("legacy", encrypted, UUID, PASSWORD));
        assertEquals(DATA, CookieCloudCipher.decrypt(null, encrypted, UUID, PASSWORD), "legacy is the default");
    }

    @Test
    void fixedIvUploadsOfCryptoJsOpen() throws Exception {
        String encrypted = node("console.log(C.AES.encrypt(data, C.enc.Utf8.parse(key), {iv: C.enc.Hex.parse("
                + "'00000000000000000000000000000000'), mode: C.mode.CBC, padding: C.pad.Pkcs7}).toString())");
        assertEquals(DATA, CookieCloudCipher.decrypt("aes-128-cbc-fixed", encrypted, UUID, PASSWORD));
    }

    @Test
    void theKeyIsTheExtensionsPassphrase() throws Exception {
        assertEquals(node("console.log(key)"), CookieCloudCipher.passphrase(UUID, PASSWORD));
    }

    @Test
    void aWrongPasswordATypeOrGarbageIsRefusedQuotingNothing() throws Exception {
        String legacy = node("console.log(C.AES.encrypt(data, key).toString())");
        for (String[] wrong : new String[][] {{"legacy", legacy, "SECRET-WRONG"}, {"aes-128-cbc-fixed", legacy, PASSWORD},
                {"rot13", legacy, PASSWORD}, {"legacy", "%%%SECRET%%%", PASSWORD}, {"legacy", "U0VDUkVU", PASSWORD}}) {
            UndecryptableUploadException e = assertThrows(UndecryptableUploadException.class,
                    () -> CookieCloudCipher.decrypt(wrong[0], wrong[1], UUID, wrong[2]));
            assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
            assertFalse(e.getMessage().contains(legacy.substring(0, 12)), e.getMessage());
            assertTrue(e.getMessage().length() < 120, e.getMessage());
        }
    }

    private static String node(String script) throws Exception {
        Path file = JS.resolve("encrypt.js");
        Files.writeString(file, "const C = require('crypto-js');\nconst data = process.env.DATA;\n"
                + "const key = C.MD5(process.env.UUID + '-' + process.env.PASSWORD).toString().substring(0, 16);\n"
                + script + ";\n");
        return run(List.of("node", file.toString()), 30).strip();
    }

    private static String run(List<String> command, int seconds) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(JS.toFile()).redirectErrorStream(true);
        builder.environment().putAll(Map.of("DATA", DATA, "UUID", UUID, "PASSWORD", PASSWORD,
                "NODE_PATH", JS.resolve("node_modules").toString()));
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command.get(0) + " did not finish within " + seconds + " s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), command.get(0) + " failed: " + text);
        return text;
    }
}
