package dev.tokenkeeper.inprocess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code crypto-js} npm package (what the CookieCloud extension bundles), run with Node, to
 * encrypt uploads as the extension does: version 4.2.0 as the npm registry publishes it, fetched
 * once per build into {@code target/cookiecloud-js} without npm (Debian's nodejs has none), pinned
 * and checked against the registry's own sha512 integrity value. Not vendored: the registry's
 * package is the thing under comparison, and target/ keeps it out of the repository.
 */
public final class CryptoJs {

    private static final String TARBALL = "https://registry.npmjs.org/crypto-js/-/crypto-js-4.2.0.tgz";
    private static final String INTEGRITY =
            "sha512-KALDyEYgpY+Rlob/iriUtjV6d5Eq+Y191A5g4UqLAi8CyGP9N1+FdVbkc1SxKc2r4YAYqG8JzO2KGL+AizD70Q==";
    /** What the extension's key is: MD5(uuid-password) in hex, its first 16 characters. */
    private static final String KEY = "const key = C.MD5(process.env.UUID + '-' + process.env.PASSWORD).toString()"
            + ".substring(0, 16);\n";

    private final Path folder;

    private CryptoJs(Path folder) {
        this.folder = folder;
    }

    /**
     * @return crypto-js under {@code target/cookiecloud-js}, downloaded and checked the first time
     * @throws IOException          when the download or the unpacking fails
     * @throws InterruptedException when interrupted
     */
    public static synchronized CryptoJs installed() throws IOException, InterruptedException {
        CryptoJs js = new CryptoJs(Path.of("target", "cookiecloud-js").toAbsolutePath());
        if (Files.isDirectory(js.folder.resolve("node_modules/crypto-js"))) {
            return js;
        }
        // Test JVMs run side by side (forkCount 2): each unpacks into a folder of its own, the first move wins.
        Path module = Files.createDirectories(js.folder.resolve("node_modules")
                .resolve("crypto-js.download-" + ProcessHandle.current().pid()));
        HttpResponse<byte[]> tarball = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NORMAL).build()
                .send(HttpRequest.newBuilder(URI.create(TARBALL)).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        if (tarball.statusCode() != 200) {
            throw new IOException(TARBALL + " answered " + tarball.statusCode());
        }
        String integrity;
        try {
            integrity = "sha512-" + Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-512").digest(tarball.body()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!INTEGRITY.equals(integrity)) {
            throw new IOException("the registry's crypto-js tarball is not the one pinned (" + integrity + ")");
        }
        Path file = js.folder.resolve("crypto-js-" + ProcessHandle.current().pid() + ".tgz");
        Files.write(file, tarball.body());
        js.run(List.of("tar", "-xzf", file.toString(), "--strip-components=1", "-C", module.toString()), Map.of(), 60);
        Files.delete(file);
        try {
            Files.move(module, js.folder.resolve("node_modules/crypto-js"), StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException anotherJvmWasFirst) {
            js.run(List.of("rm", "-rf", module.toString()), Map.of(), 30);
        }
        return js;
    }

    /**
     * @param data     the plaintext
     * @param uuid     the extension's uuid
     * @param password its password
     * @return {@code encrypted} as the extension sends it with {@code crypto_type} {@code legacy}
     * @throws IOException          when Node fails
     * @throws InterruptedException when interrupted
     */
    public String legacy(String data, String uuid, String password) throws IOException, InterruptedException {
        return node("console.log(C.AES.encrypt(data, key).toString())", data, uuid, password);
    }

    /**
     * @param data     the plaintext
     * @param uuid     the extension's uuid
     * @param password its password
     * @return {@code encrypted} as the extension sends it with {@code crypto_type} {@code aes-128-cbc-fixed}
     * @throws IOException          when Node fails
     * @throws InterruptedException when interrupted
     */
    public String fixed(String data, String uuid, String password) throws IOException, InterruptedException {
        return node("console.log(C.AES.encrypt(data, C.enc.Utf8.parse(key), {iv: C.enc.Hex.parse("
                + "'00000000000000000000000000000000'), mode: C.mode.CBC, padding: C.pad.Pkcs7}).toString())",
                data, uuid, password);
    }

    /**
     * @param script   JavaScript with {@code C} (crypto-js), {@code data} and {@code key} (the extension's) defined
     * @param data     the plaintext
     * @param uuid     the extension's uuid
     * @param password its password
     * @return what the script printed, stripped
     * @throws IOException          when Node fails
     * @throws InterruptedException when interrupted
     */
    public String node(String script, String data, String uuid, String password) throws IOException, InterruptedException {
        Path file = Files.createTempFile(folder, "encrypt", ".js");
        try {
            Files.writeString(file, "const C = require('crypto-js');\nconst data = process.env.DATA;\n" + KEY + script + ";\n");
            return run(List.of("node", file.toString()), Map.of("DATA", data, "UUID", uuid, "PASSWORD", password), 30)
                    .strip();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private String run(List<String> command, Map<String, String> environment, int seconds)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        builder.environment().put("NODE_PATH", folder.resolve("node_modules").toString());
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(command.get(0) + " did not finish within " + seconds + " s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(command.get(0) + " failed (exit " + process.exitValue() + "): " + text);
        }
        return text;
    }
}
