package dev.tokenkeeper.provider.gazelle.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link UpstreamClient} over TLS against the JDK's HTTPS server with a certificate made by the JDK's
 * {@code keytool} for {@code localhost} only: the certificate must be trusted and must name the host the URL names.
 */
class UpstreamTlsTest {

    private static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    static Path directory;

    private static SSLContext serverContext;
    private static SSLContext trusting;

    private final ScriptedServer server = ScriptedServer.startTls(serverContext);

    @BeforeAll
    static void makeCertificate() throws Exception {
        Path keys = directory.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-validity", "2",
                "-keystore", keys.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS), "keytool did not finish");
        assertEquals(0, keytool.exitValue(), output);

        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keys)) {
            store.load(in, PASSWORD);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, PASSWORD);
        serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keyManagers.getKeyManagers(), null, null);

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", store.getCertificate("server"));
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, trustManagers.getTrustManagers(), null);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static UpstreamClient client(SSLContext tls) {
        return new UpstreamClient(Duration.ofSeconds(5), Duration.ofSeconds(5), () -> tls);
    }

    @Test
    void aHostWhoseTrustedCertificateNamesItIsCalledAndItsConnectionKept() throws Exception {
        server.answering(exchange -> ScriptedServer.send(exchange, 200, "application/json", "{\"ok\":true}"));
        UpstreamClient client = client(trusting);
        for (int i = 0; i < 3; i++) {
            UpstreamResponse response = client.post(server.url("localhost", "/token"), "text/plain", Map.of(), "n=" + i);
            assertEquals(200, response.status());
            assertEquals("{\"ok\":true}", response.body().text());
        }
        assertEquals(List.of("n=0", "n=1", "n=2"), server.requestBodies());
    }

    @Test
    void aCertificateThatNamesAnotherHostIsRefusedBeforeAnythingIsSent() {
        // The certificate names localhost; the URL names 127.0.0.1 (same server, other name).
        UpstreamUnreachableException error = assertThrows(UpstreamUnreachableException.class,
                () -> client(trusting).post(server.url("127.0.0.1", "/token"), "text/plain", Map.of(),
                        "refresh_token=never-sent"));
        assertTrue(error.getMessage().startsWith("connection to 127.0.0.1:"), error.getMessage());
        assertTrue(error.getMessage().contains("SSLHandshakeException"), error.getMessage());
        assertFalse(error.getMessage().contains("\n"), error.getMessage());
        assertFalse(error.getMessage().contains("never-sent"), error.getMessage());
        assertEquals(List.of(), server.requestBodies());
    }

    @Test
    void aCertificateNoTrustedAuthoritySignedIsRefused() {
        // The JDK's default trust store: the self-signed certificate is in no chain it trusts.
        UpstreamUnreachableException error = assertThrows(UpstreamUnreachableException.class,
                () -> new UpstreamClient(Duration.ofSeconds(5), Duration.ofSeconds(5))
                        .post(server.url("localhost", "/token"), "text/plain", Map.of(), "refresh_token=never-sent"));
        assertTrue(error.getMessage().contains("SSLHandshakeException"), error.getMessage());
        assertEquals(List.of(), server.requestBodies());
    }
}
