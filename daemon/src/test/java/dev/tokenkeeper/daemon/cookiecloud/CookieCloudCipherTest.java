package dev.tokenkeeper.daemon.cookiecloud;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CookieCloudCipher} against uploads encrypted by the real {@code crypto-js} npm package (what
 * the extension bundles), run with Node: {@code crypto-js} 4.2.0 comes from the npm registry (pinned, integrity-checked) into
 * {@code target/cookiecloud-js} once per build (not vendored: the registry's package is the thing
 * under comparison, and target/ keeps it out of the repository).
 */
class CookieCloudCipherTest {

    private static final Path JS = Path.of("target", "cookiecloud-js").toAbsolutePath();
    private static final String CRYPTO_JS = "https://registry.npmjs.org/crypto-js/-/crypto-js-4.2.0.tgz";
    private static final String CRYPTO_JS_INTEGRITY =
            "sha512-KALDyEYgpY+Rlob/iriUtjV6d5Eq+Y191A5g4UqLAi8CyGP9N1+FdVbkc1SxKc2r4YAYqG8JzO2KGL+AizD70Q==";
    private static final String UUID = "8Bq3xkN2rYwG4vTt";
    private static final String PASSWORD = "SECRET-PASSWORD-4c1e";
    private static final String DATA = "{\"cookie_data\":{\"vinted\":[{\"name\":\"access_token_web\",\"value\":\"SECRET-A\","
            + "\"domain\":\".vinted.fr\"}]},\"local_storage_data\":{},\"update_time\":\"2026-12-05T23:00:00.000Z\"}";

    @BeforeAll
    static void installCryptoJs() throws Exception {
        if (Files.isDirectory(JS.resolve("node_modules/crypto-js"))) {
            return;
        }
        // The package as the npm registry publishes it, pinned and checked against the registry's own
        // integrity value; fetched without npm (Debian's nodejs has none, and npm's ~400 packages are not needed).
        Path module = Files.createDirectories(JS.resolve("node_modules/crypto-js.download"));
        HttpResponse<byte[]> tarball = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NORMAL).build()
                .send(HttpRequest.newBuilder(URI.create(CRYPTO_JS)).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, tarball.statusCode(), CRYPTO_JS);
        String integrity = "sha512-" + Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-512").digest(tarball.body()));
        assertEquals(CRYPTO_JS_INTEGRITY, integrity, "the registry's crypto-js tarball is not the one pinned");
        Path file = JS.resolve("crypto-js.tgz");
        Files.write(file, tarball.body());
        run(List.of("tar", "-xzf", file.toString(), "--strip-components=1", "-C", module.toString()), 60);
        Files.move(module, JS.resolve("node_modules/crypto-js"));
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
