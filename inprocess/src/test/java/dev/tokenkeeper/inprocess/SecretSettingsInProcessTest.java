package dev.tokenkeeper.inprocess;

import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Settings that hold or guard a secret, as the daemon takes them at its start: a client secret from
 * its file or a systemd credential reaches the provider (the Gazelle imitation refuses a refresh
 * without it); admin tokens that look long but are patterns, and webhooks in clear text to another
 * machine, stop the start with a message that names the fix and never the secret. Each test builds
 * its daemons itself (their settings differ). That the process exits and what it prints is
 * {@code CliEndToEndTest}'s.
 */
class SecretSettingsInProcessTest {

    @TempDir
    Path temp;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);

    @AfterEach
    void closeImitation() {
        gazelle.close();
    }

    private TokenkeeperExtension daemon(Map<String, String> settings) {
        return TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock).settings(settings);
    }

    /** The imitation's settings with the client secret taken out and given by {@code source}. */
    private Map<String, String> withoutClientSecret(Map<String, String> source) {
        Map<String, String> settings = new HashMap<>(gazelle.settings());
        assertTrue(settings.remove("GAZELLE_CLIENT_SECRET") != null);
        settings.putAll(source);
        return settings;
    }

    @Test
    void theClientSecretFromItsFileOrASystemdCredentialReachesTheDaemon() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(3));
        Path file = secret(temp.resolve("gazelle-client-secret"), "rw-------");
        refreshes(withoutClientSecret(Map.of("GAZELLE_CLIENT_SECRET_FILE", file.toString())), "file");

        Path credentials = Files.createDirectories(temp.resolve("credentials"));
        secret(credentials.resolve("secret_gazelle_client_secret"), "r--------");
        refreshes(withoutClientSecret(Map.of("CREDENTIALS_DIRECTORY", credentials.toString())), "credential");
    }

    private void refreshes(Map<String, String> settings, String account) {
        TokenkeeperExtension daemon = daemon(settings);
        daemon.start();
        try {
            var imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account,
                    "{\"tokenJson\": " + gazelle.seedChain(account) + "}");
            assertEquals(201, imported.statusCode(), imported.body());
            daemon.advance(Duration.ofSeconds(10));
            assertTrue(gazelle.refreshesPerChain().getOrDefault(account, 0) >= 1,
                    "a refresh with the client secret from the " + account);
            assertFalse(daemon.log().contains(gazelle.clientSecret()), "the daemon's log holds the client secret");
        } finally {
            daemon.stop();
        }
    }

    private Path secret(Path file, String mode) throws Exception {
        Files.writeString(file, gazelle.clientSecret() + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void adminTokensThatArePatternsStopTheStart() throws Exception {
        Path tokenFile = temp.resolve("admin.token");
        for (String weak : List.of("ab".repeat(33), "changemechangemechangemechangemech", "qwertyuiopasdfghjklzxcvbnm1234567890",
                "Tokenkeeper2024!".repeat(3))) {
            Files.writeString(tokenFile, weak + "\n");
            Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
            String refusal = refusedStart(Map.of("TOKENKEEPER_ADMIN_TOKEN_FILE", tokenFile.toString()), weak);
            assertTrue(refusal.contains("admin token file " + tokenFile + " holds a weak token")
                    && refusal.contains("openssl rand -base64 32"), refusal);
        }
    }

    @Test
    void aPlainHttpWebhookToAnotherMachineStopsTheStart() {
        String refusal = refusedStart(Map.of("TOKENKEEPER_NOTIFY_URL", "http://:tk_SECRETACCESS@ntfy.example.com/alerts"),
                "SECRETACCESS");
        assertTrue(refusal.contains("TOKENKEEPER_NOTIFY_URL entry webhook-1 (http://ntfy.example.com/***) uses http://")
                && refusal.contains("use https://"), refusal);
        assertFalse(refusal.contains("/alerts"), refusal);
    }

    @Test
    void aPlainHttpWebhookToThisMachineAndOneOverTlsAreAccepted() {
        for (String allowed : List.of("http://127.0.0.1:9/hook/SECRETPATH", "https://ntfy.example.com/alerts/SECRETPATH")) {
            TokenkeeperExtension daemon = daemon(Map.of("TOKENKEEPER_NOTIFY_URL", allowed));
            daemon.start();
            try {
                assertEquals(200, daemon.call("GET", "/api/v1/credentials", null).statusCode());
                assertFalse(daemon.log().contains("SECRETPATH"), daemon.log());
            } finally {
                daemon.stop();
            }
        }
    }

    /** @return the message of the start's refusal, which names neither {@code secret} nor is logged with it */
    private String refusedStart(Map<String, String> settings, String secret) {
        TokenkeeperExtension daemon = daemon(settings);
        try {
            RuntimeException refused = assertThrows(RuntimeException.class, daemon::start);
            String message = String.valueOf(refused.getMessage());
            assertFalse(message.contains(secret), "the refusal quotes the secret:\n" + message);
            assertFalse(daemon.log().contains(secret), "the log quotes the secret");
            return message;
        } finally {
            daemon.stop();
        }
    }
}
