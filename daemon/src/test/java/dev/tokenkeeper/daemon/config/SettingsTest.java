package dev.tokenkeeper.daemon.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {

    @Test
    void vintedAliasesWorkAndPrimaryNamesWin() {
        DaemonConfig config = DaemonConfig.from(Settings.of(Map.of("VINTED_AUTO_REFRESH_ENABLED", "false",
                "VINTED_TOKEN_REFRESH_INTERVAL_MINUTES", "15", "TOKENKEEPER_STATE_DIR", "/tmp/x"), Map.of()));
        assertFalse(config.autoRefreshEnabled());
        assertEquals(Duration.ofMinutes(15), config.checkInterval());
        DaemonConfig primary = DaemonConfig.from(Settings.of(Map.of("VINTED_AUTO_REFRESH_ENABLED", "false",
                "TOKENKEEPER_AUTO_REFRESH_ENABLED", "true", "TOKENKEEPER_STATE_DIR", "/tmp/x"), Map.of()));
        assertTrue(primary.autoRefreshEnabled());
    }

    @Test
    void defaultsAndStateFolderOrder() {
        DaemonConfig config = DaemonConfig.from(Settings.of(Map.of("XDG_STATE_HOME", "/var/xdg"), Map.of()));
        assertEquals(Path.of("/var/xdg/tokenkeeper"), config.stateDirectory());
        assertEquals(ListenAddress.DEFAULT, config.listen());
        assertEquals(Duration.ofMinutes(30), config.checkInterval());
        assertEquals("sqlite", config.storeId());
        assertEquals(Path.of("/srv/state"), StateDirectory.resolve(Settings.of(Map.of("STATE_DIRECTORY", "/srv/state:/other",
                "XDG_STATE_HOME", "/var/xdg"), Map.of())));
        assertEquals(Path.of("/flag"), StateDirectory.resolve(Settings.of(Map.of("TOKENKEEPER_STATE_DIR", "/env"),
                Map.of("TOKENKEEPER_STATE_DIR", "/flag"))));
    }

    @Test
    void badValuesNameTheSetting() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> DaemonConfig.from(
                Settings.of(Map.of("TOKENKEEPER_CHECK_INTERVAL_MINUTES", "soon"), Map.of())));
        assertTrue(e.getMessage().contains("TOKENKEEPER_CHECK_INTERVAL_MINUTES"), e.getMessage());
        assertThrows(ConfigurationException.class, () -> ListenAddress.parse("localhost"));
        assertFalse(ListenAddress.parse("0.0.0.0:8787").isLoopback());
        assertTrue(ListenAddress.parse("127.0.0.1:0").isLoopback());
    }

    @Test
    void unixListenAddressNamesASocketAndAcceptsLocalhost() {
        ListenAddress unix = ListenAddress.parse("unix:/run/tokenkeeper/tokenkeeper.sock");
        assertEquals(java.nio.file.Path.of("/run/tokenkeeper/tokenkeeper.sock"), unix.unixSocket().orElseThrow());
        assertEquals("unix:/run/tokenkeeper/tokenkeeper.sock", unix.display());
        assertTrue(unix.isLoopback());
        assertTrue(dev.tokenkeeper.daemon.http.AccessPolicy.of(unix, java.util.Set.of(), false).refuseHost("localhost").isEmpty());
        assertTrue(ListenAddress.parse("127.0.0.1:8787").unixSocket().isEmpty());
        ConfigurationException relative = assertThrows(ConfigurationException.class, () -> ListenAddress.parse("unix:tk.sock"));
        assertTrue(relative.getMessage().contains("absolute socket path"), relative.getMessage());
    }

    @Test
    void everySecretWithFileFormsIsReadFromItsFileWhenUnset(@TempDir Path dir) throws IOException {
        for (String name : SecretSettings.NAMES) {
            if (name.equals("TOKENKEEPER_MASTER_KEY")) {
                continue;
            }
            Path file = secretFile(dir.resolve(name), "value-of-" + name + "\n", "rw-------");
            Settings settings = Settings.of(Map.of(name + "_FILE", file.toString()), Map.of());
            assertEquals(Optional.of("value-of-" + name), settings.get(name), name);
            // Providers and stores see it through their context, as the daemon hands it to them.
            assertEquals(Optional.of("value-of-" + name),
                    new DaemonPluginContext(settings, dir, Clock.systemUTC()).setting(name), name);
        }
    }

    @Test
    void aSecretAndItsFileTogetherAreAnErrorNamingBoth(@TempDir Path dir) throws IOException {
        Path file = secretFile(dir.resolve("secret"), "from-the-file", "rw-------");
        Settings settings = Settings.of(Map.of("GAZELLE_CLIENT_SECRET", "from-the-environment",
                "GAZELLE_CLIENT_SECRET_FILE", file.toString()), Map.of());
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> settings.get("GAZELLE_CLIENT_SECRET"));
        assertTrue(e.getMessage().contains("GAZELLE_CLIENT_SECRET and GAZELLE_CLIENT_SECRET_FILE are both set"), e.getMessage());
        assertFalse(e.getMessage().contains("from-the"), e.getMessage());
    }

    @Test
    void aSecretFileOpenToGroupOrOthersIsRefusedWithoutShowingIt(@TempDir Path dir) throws IOException {
        for (String mode : new String[] {"rw-r-----", "rw----r--", "rw-rw-rw-"}) {
            Path file = secretFile(dir.resolve("secret-" + mode), "hunter2-secret", mode);
            Settings settings = Settings.of(Map.of("SUPABASE_SERVICE_ROLE_KEY_FILE", file.toString()), Map.of());
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> settings.get("SUPABASE_SERVICE_ROLE_KEY"));
            assertTrue(e.getMessage().contains("SUPABASE_SERVICE_ROLE_KEY_FILE=" + file) && e.getMessage().contains("chmod 600 " + file),
                    e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }
    }

    @Test
    void aMissingOrEmptySecretFileIsAClearError(@TempDir Path dir) throws IOException {
        ConfigurationException missing = assertThrows(ConfigurationException.class, () -> Settings.of(Map.of(
                "VINTED_CREDENTIALS_SECRET_FILE", dir.resolve("absent").toString()), Map.of()).get("VINTED_CREDENTIALS_SECRET"));
        assertTrue(missing.getMessage().contains("VINTED_CREDENTIALS_SECRET_FILE=" + dir.resolve("absent") + ": no such file"),
                missing.getMessage());
        Path empty = secretFile(dir.resolve("empty"), "\n", "rw-------");
        ConfigurationException blank = assertThrows(ConfigurationException.class, () -> Settings.of(Map.of(
                "VINTED_CREDENTIALS_SECRET_FILE", empty.toString()), Map.of()).get("VINTED_CREDENTIALS_SECRET"));
        assertTrue(blank.getMessage().contains("is empty"), blank.getMessage());
    }

    @Test
    void theSystemdCredentialIsTheDefaultAndTheSettingOrItsFileWin(@TempDir Path dir) throws IOException {
        Path credentials = Files.createDirectories(dir.resolve("credentials"));
        // systemd makes credentials 0400 or 0440 for the unit's group, inside a folder only the unit enters.
        secretFile(credentials.resolve("secret_gazelle_client_secret"), "from-the-credential\n", "r--r-----");
        Settings fromCredential = Settings.of(Map.of("CREDENTIALS_DIRECTORY", credentials.toString()), Map.of());
        assertEquals(Optional.of("from-the-credential"), fromCredential.get("GAZELLE_CLIENT_SECRET"));
        assertEquals(Optional.empty(), fromCredential.get("SUPABASE_SERVICE_ROLE_KEY"), "no credential, no value");
        assertEquals(Optional.of("set"), Settings.of(Map.of("CREDENTIALS_DIRECTORY", credentials.toString(),
                "GAZELLE_CLIENT_SECRET", "set"), Map.of()).get("GAZELLE_CLIENT_SECRET"));
        Path file = secretFile(dir.resolve("file"), "from-the-file", "r--------");
        assertEquals(Optional.of("from-the-file"), Settings.of(Map.of("CREDENTIALS_DIRECTORY", credentials.toString(),
                "GAZELLE_CLIENT_SECRET_FILE", file.toString()), Map.of()).get("GAZELLE_CLIENT_SECRET"));

        Files.setPosixFilePermissions(credentials.resolve("secret_gazelle_client_secret"), PosixFilePermissions.fromString("r--r--r--"));
        ConfigurationException open = assertThrows(ConfigurationException.class, () -> Settings.of(Map.of(
                "CREDENTIALS_DIRECTORY", credentials.toString()), Map.of()).get("GAZELLE_CLIENT_SECRET"));
        assertTrue(open.getMessage().contains("systemd credential " + credentials.resolve("secret_gazelle_client_secret")
                + " (GAZELLE_CLIENT_SECRET) is open to others"), open.getMessage());
    }

    @Test
    void onlySecretsHaveFileFormsAndTheMasterKeyKeepsItsOwn(@TempDir Path dir) throws IOException {
        Path file = secretFile(dir.resolve("value"), "not-a-secret", "rw-------");
        Settings settings = Settings.of(Map.of("GAZELLE_CLIENT_ID_FILE", file.toString(),
                "TOKENKEEPER_MASTER_KEY_FILE", file.toString()), Map.of());
        assertEquals(Optional.empty(), settings.get("GAZELLE_CLIENT_ID"));
        // TOKENKEEPER_MASTER_KEY_FILE may hold 32 raw bytes: the key loader reads it, not this rule.
        assertEquals(Optional.empty(), settings.get("TOKENKEEPER_MASTER_KEY"));
        assertTrue(SecretSettings.isSecret("TOKENKEEPER_MASTER_KEY"));
        assertEquals("secret_gazelle_client_secret", SecretSettings.credentialName("GAZELLE_CLIENT_SECRET"));
        assertEquals("gazelle_client_secret", SecretSettings.fileName("GAZELLE_CLIENT_SECRET"));
    }

    @Test
    void aSecretsValueNeverReachesAMessage() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Settings.of(Map.of(
                "TOKENKEEPER_NOTIFY_URL", "https://hooks.example/T0/B0/xoxo-secret"), Map.of())
                .bool("TOKENKEEPER_NOTIFY_URL", null, false));
        assertNotNull(e.getMessage());
        assertFalse(e.getMessage().contains("xoxo"), e.getMessage());
    }

    private static Path secretFile(Path file, String content, String mode) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }
}
