package dev.tokenkeeper.inprocess;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exposure refused at the start, in the daemon the harness builds: a key or admin token file others
 * can read, a listen address other machines can reach without saying so. Each refusal is one
 * {@link ConfigurationException} whose one-line message names the fix (what {@code tokenkeeper run}
 * prints as its one {@code cannot start:} line, exit 2), nothing listens, and once fixed the daemon starts.
 */
class StartRefusalsInProcessTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path temp;

    private final FakeGazelle gazelle = FakeGazelle.start();
    private final List<TokenkeeperExtension> daemons = new ArrayList<>();
    /** Key material and admin tokens the test wrote: these must not be logged either. */
    private final List<String> localSecrets = new ArrayList<>();

    @AfterEach
    void stopAndCheckLogsForSecrets() {
        try {
            for (TokenkeeperExtension daemon : daemons) {
                String log = daemon.log();
                for (String secret : localSecrets) {
                    assertFalse(log.contains(secret), "the log holds a key or admin token");
                }
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(log.contains(secret), "the log holds an issued token");
                }
            }
        } finally {
            daemons.forEach(TokenkeeperExtension::stop);
            gazelle.close();
        }
    }

    @Test
    void aMasterKeyFileReadableByOthersStopsTheStartWithTheFix() throws Exception {
        Path keyFile = temp.resolve("master-key.hex");
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        String hex = HexFormat.of().formatHex(key);
        localSecrets.add(hex);
        Files.writeString(keyFile, hex + "\n");
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));

        TokenkeeperExtension refused = daemon(Map.of("TOKENKEEPER_MASTER_KEY_FILE", keyFile.toString()));
        assertRefusedWithOneLine(refused, "chmod 600 " + keyFile);

        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        TokenkeeperExtension daemon = daemon(Map.of("TOKENKEEPER_MASTER_KEY_FILE", keyFile.toString()));
        daemon.start();
        assertTrue(daemon.log().contains("master key from file " + keyFile), daemon.log());
        assertEquals(200, daemon.call("GET", "/api/v1/credentials", null).statusCode());
    }

    @Test
    void anAdminTokenFileReadableByOthersStopsTheStartWithTheFix() throws Exception {
        Path tokenFile = temp.resolve("admin.token");
        byte[] seed = new byte[16];
        RANDOM.nextBytes(seed);
        String adminToken = "admin-" + HexFormat.of().formatHex(seed);
        localSecrets.add(adminToken);
        Files.writeString(tokenFile, adminToken + "\n");
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-r--r--"));

        TokenkeeperExtension refused = daemon(Map.of("TOKENKEEPER_ADMIN_TOKEN_FILE", tokenFile.toString()));
        assertRefusedWithOneLine(refused, "chmod 600 " + tokenFile);

        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        TokenkeeperExtension daemon = daemon(Map.of("TOKENKEEPER_ADMIN_TOKEN_FILE", tokenFile.toString()));
        daemon.start();
        assertEquals(200, daemon.callAs(adminToken, "GET", "/api/v1/credentials", null).statusCode(),
                "the configured token opens the API");
        assertEquals(401, daemon.callAs("x" + adminToken, "GET", "/api/v1/credentials", null).statusCode());
    }

    @Test
    void listeningBeyondLoopbackNeedsAnExplicitSettingAndLogsAWarning() throws Exception {
        TokenkeeperExtension refused = daemon(Map.of("TOKENKEEPER_LISTEN", "0.0.0.0:0"));
        assertRefusedWithOneLine(refused, "TOKENKEEPER_ALLOW_REMOTE");

        TokenkeeperExtension remote = daemon(Map.of("TOKENKEEPER_LISTEN", "0.0.0.0:0", "TOKENKEEPER_ALLOW_REMOTE", "true"));
        remote.start();
        // The system picks the port; the daemon names it in <state>/listening, as configured.
        String listening = Files.readString(remote.stateDirectory().resolve("listening")).trim();
        assertTrue(listening.startsWith("0.0.0.0:"), "the file names the address as configured: " + listening);
        assertEquals(remote.port(), Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1)));
        assertEquals(200, remote.call("GET", "/healthz", null).statusCode(), "reachable on 127.0.0.1 too");
        assertEquals(200, remote.call("GET", "/api/v1/credentials", null).statusCode());
        HttpResponse<String> without = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                remote.baseUri().resolve("/api/v1/credentials")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, without.statusCode(), "reachable from afar, so the bearer matters all the more");
        assertTrue(remote.log().lines().anyMatch(line -> line.contains("WARN") && line.contains("0.0.0.0")
                && line.contains("other machines")), "no warning about the remote listen address:\n" + remote.log());
    }

    private TokenkeeperExtension daemon(Map<String, String> extra) {
        TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider())
                .settings(gazelle.settings()).settings(extra);
        daemons.add(daemon);
        return daemon;
    }

    /** Refused quickly with one line that names the fix, no stack trace, nothing listening. */
    private static void assertRefusedWithOneLine(TokenkeeperExtension daemon, String fix) {
        long started = System.nanoTime();
        ConfigurationException refused = assertThrows(ConfigurationException.class, daemon::start);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        System.out.println("refused (" + fix + ") after " + took.toMillis() + " ms: " + refused.getMessage());
        assertTrue(took.compareTo(Duration.ofSeconds(20)) < 0, "refusing took " + took);
        String line = refused.getMessage();
        assertTrue(line.contains(fix), "the message names the fix `" + fix + "`: " + line);
        assertEquals(1, line.lines().count(), "one line: " + line);
        assertFalse(line.contains("\tat ") || line.contains("Exception"), line);
        assertFalse(daemon.log().contains(fix), "said once, by the message `run` prints, not logged again:\n" + daemon.log());
        assertFalse(daemon.log().contains("listening on"), "it listened anyway:\n" + daemon.log());
        assertFalse(daemon.log().contains("\tat ") || daemon.log().contains("Exception"), daemon.log());
    }
}
