package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A secret setting given as a file reaches the real daemon process (issue 22, finding 6): through
 * {@code GAZELLE_CLIENT_SECRET_FILE}, and through {@code $CREDENTIALS_DIRECTORY} as systemd passes
 * it. The Gazelle imitation refuses a refresh without the right client secret, so a successful
 * refresh shows the daemon read it; a file others may read stops the daemon at start.
 */
class SecretFilesEndToEndTest {

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private final List<DaemonProcess> daemons = new ArrayList<>();

    @BeforeEach
    void startUpstream() {
        gazelle = FakeGazelle.start();
        gazelle.accessLifetime(Duration.ofSeconds(3));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            for (DaemonProcess daemon : daemons) {
                daemon.stop();
                assertFalse(daemon.output().contains(gazelle.clientSecret()), "the daemon's output holds the client secret");
            }
        } finally {
            gazelle.close();
        }
    }

    @Test
    void theClientSecretFromItsFileOrASystemdCredentialReachesTheDaemon() throws Exception {
        Path file = secret(temp.resolve("gazelle-client-secret"), "rw-------");
        refreshes(daemon("from-file", Map.of("GAZELLE_CLIENT_SECRET_FILE", file.toString())), "file");

        Path credentials = Files.createDirectories(temp.resolve("credentials"));
        secret(credentials.resolve("secret_gazelle_client_secret"), "r--------");
        refreshes(daemon("from-credential", Map.of("CREDENTIALS_DIRECTORY", credentials.toString())), "credential");
    }

    @Test
    void aSecretFileOthersMayReadStopsTheDaemonAndSaysWhy() throws Exception {
        Path file = secret(temp.resolve("gazelle-client-secret"), "rw-r--r--");
        DaemonProcess daemon = new DaemonProcess(temp.resolve("open"), settings(Map.of("GAZELLE_CLIENT_SECRET_FILE", file.toString())));
        daemons.add(daemon);
        IllegalStateException refused = assertThrows(IllegalStateException.class, daemon::start);
        assertTrue(refused.getMessage().contains("exited with 2"), refused.getMessage());
        assertTrue(refused.getMessage().contains("GAZELLE_CLIENT_SECRET_FILE=" + file + " is open to others"), refused.getMessage());
        assertTrue(refused.getMessage().contains("chmod 600 " + file), refused.getMessage());
        assertFalse(refused.getMessage().contains(gazelle.clientSecret()), "the refusal shows the secret");
    }

    private DaemonProcess daemon(String name, Map<String, String> source) throws Exception {
        DaemonProcess daemon = new DaemonProcess(temp.resolve(name), settings(source));
        daemons.add(daemon);
        return daemon.start();
    }

    /** The imitation's settings with the client secret taken out of the environment and given by {@code source}. */
    private Map<String, String> settings(Map<String, String> source) {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        assertTrue(env.remove("GAZELLE_CLIENT_SECRET") != null);
        env.putAll(source);
        return env;
    }

    private void refreshes(DaemonProcess daemon, String account) throws Exception {
        Path token = temp.resolve(account + ".json");
        Files.writeString(token, gazelle.seedChain(account));
        DaemonProcess.Response imported = daemon.cli("import", "gazelle", "--account", account, "--token-json", token.toString());
        assertEquals(0, imported.status(), imported.body());
        await("a refresh with the client secret from the " + account).atMost(Duration.ofSeconds(30))
                .until(() -> gazelle.refreshesPerChain().getOrDefault(account, 0) >= 1);
        daemon.stop();
    }

    private Path secret(Path file, String mode) throws Exception {
        Files.writeString(file, gazelle.clientSecret() + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }
}
