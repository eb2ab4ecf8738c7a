package dev.tokenkeeper.dist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control API over HTTPS with certificates made by {@code openssl} here: {@code curl --cacert}
 * works, plain HTTP gets no answer, the CLI works with {@code TOKENKEEPER_TLS_CA_FILE}, and
 * replacing the certificate files switches the served certificate without a restart. A key file its
 * group or others may read, or another user owns, stops the start; a renewal whose key is not the
 * certificate's (or is readable by others) is not taken: the previous pair stays in service, and the
 * log says so.
 */
class TlsEndToEndTest {

    @RegisterExtension
    final Fleet fleet = new Fleet();

    private DaemonProcess daemon;

    private String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(fleet.temp().toFile()).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "finished: " + List.of(command));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), List.of(command) + ":\n" + text);
        return text;
    }

    /** A leaf for 127.0.0.1 signed by the test CA; {@code ec} picks a SEC1 EC key instead of a PKCS#8 RSA one. */
    private void leaf(String name, boolean ec) throws Exception {
        if (ec) {
            run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + ".key");
        } else {
            run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name + ".key");
        }
        run("openssl", "req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out", name + ".csr");
        Files.writeString(fleet.temp().resolve(name + ".ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem");
        Files.writeString(fleet.temp().resolve(name + "-chain.pem"), Files.readString(fleet.temp().resolve(name + ".pem"))
                + Files.readString(fleet.temp().resolve("ca.pem")));
        // The key's first line of base64 stands for the key: no output may show it.
        fleet.secret(Files.readAllLines(fleet.temp().resolve(name + ".key")).get(1));
    }

    private void install(String name, Path cert, Path key) throws IOException {
        install(name, name, "rw-------", cert, key);
    }

    /** Puts {@code certName}'s chain and {@code keyName}'s key (with that mode) in place, as a renewal would. */
    private void install(String certName, String keyName, String keyMode, Path cert, Path key) throws IOException {
        Path tmpCert = cert.resolveSibling("cert.tmp");
        Path tmpKey = key.resolveSibling("key.tmp");
        Files.copy(fleet.temp().resolve(certName + "-chain.pem"), tmpCert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(fleet.temp().resolve(keyName + ".key"), tmpKey, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(tmpKey, PosixFilePermissions.fromString(keyMode));
        Files.move(tmpKey, key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmpCert, cert, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private String servedSubject(Path ca) throws Exception {
        var factory = (javax.net.ssl.SSLSocketFactory) sslContext(ca).getSocketFactory();
        try (var socket = (javax.net.ssl.SSLSocket) factory.createSocket("127.0.0.1", daemon.port())) {
            socket.setSoTimeout(5_000);
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    private static javax.net.ssl.SSLContext sslContext(Path ca) throws Exception {
        var trusted = java.security.KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        try (var in = Files.newInputStream(ca)) {
            trusted.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        var trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        var context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    @Test
    void httpsOnlyWithPemFilesCurlAndTheCliTrustItAndARenewedCertificateIsServedWithoutRestart() throws Exception {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                "-days", "2", "-subj", "/CN=tokenkeeper test CA");
        leaf("first", false);
        leaf("second", true);
        Path cert = Files.createDirectories(fleet.temp().resolve("live")).resolve("fullchain.pem");
        Path key = fleet.temp().resolve("live").resolve("privkey.pem");
        install("first", cert, key);
        Path ca = fleet.temp().resolve("ca.pem");

        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER_TLS_CERT_FILE", cert.toString());
        env.put("TOKENKEEPER_TLS_KEY_FILE", key.toString());
        daemon = fleet.start(fleet.temp().resolve("state"), env);
        assertTrue(daemon.baseUrl().startsWith("https://"));

        String base = "https://127.0.0.1:" + daemon.port();
        assertEquals("200", run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca.toString(),
                base + "/healthz"));
        assertEquals("200", run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca.toString(),
                "-H", "Authorization: Bearer " + daemon.adminToken(), base + "/api/v1/credentials"));

        // Plain HTTP to the same port gets no HTTP answer at all.
        HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        boolean answered;
        try {
            HttpResponse<String> response = plain.send(DaemonProcess.freshConnection(
                    URI.create("http://127.0.0.1:" + daemon.port() + "/healthz")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            answered = response.statusCode() == 200;
        } catch (IOException refused) {
            answered = false;
        }
        assertFalse(answered, "plain HTTP must not be served");

        Map<String, String> cliEnv = new HashMap<>(daemon.cliEnvironment());
        cliEnv.put("TOKENKEEPER_TLS_CA_FILE", ca.toString());
        DaemonProcess.Response status = fleet.cli(cliEnv, "status");
        assertEquals(0, status.status(), status.body());
        DaemonProcess.Response consumer = fleet.cli(cliEnv, "consumer", "list");
        assertEquals(0, consumer.status(), consumer.body());

        assertEquals("CN=first", servedSubject(ca));
        long replaced = System.nanoTime();
        install("second", cert, key);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> servedSubject(ca).equals("CN=second"));
        System.out.printf("TLS: renewed certificate served %d ms after the files were replaced%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - replaced));
        assertEquals("200", run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca.toString(),
                base + "/healthz"));
        assertEquals(0, fleet.cli(cliEnv, "status").status());
        assertTrue(daemon.process().isAlive(), "no restart");
    }

    private Map<String, String> tlsEnvironment(Path cert, Path key) {
        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER_TLS_CERT_FILE", cert.toString());
        env.put("TOKENKEEPER_TLS_KEY_FILE", key.toString());
        return env;
    }

    private String refusedStart(Path cert, Path key) throws InterruptedException {
        DaemonProcess refused = fleet.daemon(fleet.temp().resolve("refused"), tlsEnvironment(cert, key));
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, refused::start);
            assertFalse(refused.process().isAlive());
            return e.getMessage();
        } finally {
            refused.stop(); // one that started after all must not outlive the test
        }
    }

    @Test
    void aKeyFileItsGroupOrOthersMayReadStopsTheStart() throws Exception {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                "-days", "2", "-subj", "/CN=tokenkeeper test CA");
        leaf("first", false);
        Path cert = Files.createDirectories(fleet.temp().resolve("live")).resolve("fullchain.pem");
        Path key = fleet.temp().resolve("live").resolve("privkey.pem");
        for (String mode : List.of("rw-r--r--", "rw-r-----", "rw----r--")) {
            install("first", "first", mode, cert, key);
            String output = refusedStart(cert, key);
            String octal = mode.equals("rw-r--r--") ? "0644" : mode.equals("rw-r-----") ? "0640" : "0604";
            assertTrue(output.contains("the key file " + key + " has mode " + octal), output);
            assertTrue(output.contains("`chmod 600 " + key + "`"), output);
            output.lines().filter(line -> line.contains("chmod 600")).forEach(System.out::println);
        }
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        daemon = fleet.start(fleet.temp().resolve("state"), tlsEnvironment(cert, key));
        assertEquals("CN=first", servedSubject(fleet.temp().resolve("ca.pem")));
    }

    @Test
    void aKeyFileAnotherUserOwnsStopsTheStart() throws Exception {
        LocalUser owner = LocalUser.require("tk-tls-keyowner");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                "-days", "2", "-subj", "/CN=tokenkeeper test CA");
        leaf("first", false);
        Path cert = Files.createDirectories(fleet.temp().resolve("live")).resolve("fullchain.pem");
        Path key = fleet.temp().resolve("live").resolve("privkey.pem");
        install("first", cert, key);
        owner.chown(key);
        String output = refusedStart(cert, key);
        assertTrue(output.contains("the key file " + key + " is owned by uid " + owner.uid()), output);
        assertTrue(output.contains("chown"), output);
    }

    @Test
    void aRenewalWhoseKeyIsNotTheCertificatesIsNotTakenThePreviousPairStaysInServiceAndTheLogSaysSo() throws Exception {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                "-days", "2", "-subj", "/CN=tokenkeeper test CA");
        leaf("first", false);
        leaf("second", true);
        Path cert = Files.createDirectories(fleet.temp().resolve("live")).resolve("fullchain.pem");
        Path key = fleet.temp().resolve("live").resolve("privkey.pem");
        Path ca = fleet.temp().resolve("ca.pem");
        install("first", cert, key);
        // A mismatched pair at the start is refused as well.
        install("second", "first", "rw-------", cert, key);
        assertTrue(refusedStart(cert, key).contains("does not belong to the certificate"));
        install("first", cert, key);
        daemon = fleet.start(fleet.temp().resolve("state"), tlsEnvironment(cert, key));
        assertEquals("CN=first", servedSubject(ca));

        // The second certificate with the first's key: every handshake would fail with it.
        install("second", "first", "rw-------", cert, key);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> daemon.output().contains("were NOT taken"));
        String log = daemon.output();
        log.lines().filter(line -> line.contains("were NOT taken")).forEach(System.out::println);
        assertTrue(log.contains("the private key in " + key + " does not belong to the certificate in " + cert), log);
        assertTrue(log.contains("connections still get the previous certificate"), log);
        assertFalse(log.contains("new connections get the new certificate"), log);
        assertEquals("CN=first", servedSubject(ca), "a real handshake after the refused reload gets the old certificate");
        assertEquals("200", run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca.toString(),
                "https://127.0.0.1:" + daemon.port() + "/healthz"));

        // The right pair, but a key others may read: not taken either, until `chmod 600`.
        install("second", "second", "rw-r--r--", cert, key);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> daemon.output().contains("chmod 600 " + key));
        assertEquals("CN=first", servedSubject(ca));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> servedSubject(ca).equals("CN=second"));
        assertTrue(daemon.output().contains("new connections get the new certificate"));
        assertTrue(daemon.process().isAlive(), "no restart");
    }
}
