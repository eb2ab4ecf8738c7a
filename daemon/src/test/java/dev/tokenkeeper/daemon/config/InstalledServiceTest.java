package dev.tokenkeeper.daemon.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InstalledServiceTest {

    @TempDir
    Path temp;

    private InstalledService service() throws Exception {
        Path etc = Files.createDirectories(temp.resolve("etc"));
        Files.writeString(etc.resolve("tokenkeeper.env"), """
                # comment
                ; also a comment
                TOKENKEEPER_LISTEN=127.0.0.1:9999
                GAZELLE_API_URL="http://127.0.0.1:1/graphql"
                VINTED_USER_AGENT='Mozilla/5.0 (X11)'
                not a setting
                """);
        Files.writeString(etc.resolve("admin-token"), "token\n");
        Files.writeString(etc.resolve("master-key"), "k".repeat(32));
        return new InstalledService(etc.resolve("tokenkeeper.env"), etc.resolve("admin-token"),
                Files.createDirectories(temp.resolve("var/lib/tokenkeeper")));
    }

    @Test
    void readsTheEnvironmentFileLikeSystemd() throws Exception {
        Map<String, String> values = InstalledService.readEnvironmentFile(service().environmentFile());
        assertEquals(Map.of("TOKENKEEPER_LISTEN", "127.0.0.1:9999", "GAZELLE_API_URL", "http://127.0.0.1:1/graphql",
                "VINTED_USER_AGENT", "Mozilla/5.0 (X11)"), values);
        assertTrue(InstalledService.readEnvironmentFile(temp.resolve("absent")).isEmpty());
    }

    @Test
    void aUserWithoutStateUsesTheServicesSettingsStateTokenAndKey() throws Exception {
        InstalledService service = service();
        Settings settings = service.clientSettings(Map.of("XDG_STATE_HOME", temp.resolve("nobody").toString()), Map.of());
        assertEquals("127.0.0.1:9999", settings.get("TOKENKEEPER_LISTEN").orElseThrow());
        assertEquals(service.stateDirectory().toString(), settings.get("TOKENKEEPER_STATE_DIR").orElseThrow());
        assertEquals(service.adminToken().toString(), settings.get("TOKENKEEPER_ADMIN_TOKEN_FILE").orElseThrow());
        assertEquals(temp.resolve("etc/master-key").toString(), settings.get("TOKENKEEPER_MASTER_KEY_FILE").orElseThrow());
        assertEquals(9999, DaemonConfig.from(settings).listen().port());
    }

    @Test
    void theEnvironmentAndFlagsWinAndOwnStateIsKept() throws Exception {
        InstalledService service = service();
        Path own = Files.createDirectories(temp.resolve("home/state/tokenkeeper"));
        Files.writeString(own.resolve("admin-token"), "mine\n");
        Settings settings = service.clientSettings(Map.of("XDG_STATE_HOME", temp.resolve("home/state").toString(),
                "TOKENKEEPER_LISTEN", "127.0.0.1:7000"), Map.of("TOKENKEEPER_PLUGIN_DIR", "/p"));
        assertEquals("127.0.0.1:7000", settings.get("TOKENKEEPER_LISTEN").orElseThrow());
        assertEquals("/p", settings.get("TOKENKEEPER_PLUGIN_DIR").orElseThrow());
        assertTrue(settings.get("TOKENKEEPER_STATE_DIR").isEmpty());
        assertTrue(settings.get("TOKENKEEPER_ADMIN_TOKEN_FILE").isEmpty());
        assertEquals(own.resolve("admin-token"), DaemonConfig.from(settings).adminTokenFile());
    }

    @Test
    void theDaemonUsesTheAdminTokenCredentialSystemdPassed() throws Exception {
        Path credentials = Files.createDirectories(temp.resolve("credentials"));
        Files.writeString(credentials.resolve("admin-token"), "t\n");
        DaemonConfig config = DaemonConfig.from(Settings.of(Map.of("CREDENTIALS_DIRECTORY", credentials.toString(),
                "TOKENKEEPER_STATE_DIR", temp.resolve("s").toString()), Map.of()));
        assertEquals(credentials.resolve("admin-token"), config.adminTokenFile());
    }

    @Test
    void rootsClientReadsTheSecretsTheUnitLoadsFromTheCredentialsFolder() throws Exception {
        InstalledService service = service();
        Path folder = Files.createDirectories(temp.resolve("etc/credentials"));
        Path secret = folder.resolve("gazelle_client_secret");
        Files.writeString(secret, "from-the-folder\n");
        Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Map<String, String> noState = Map.of("XDG_STATE_HOME", temp.resolve("nobody").toString());
        Settings settings = service.clientSettings(noState, Map.of());
        assertEquals(secret.toString(), settings.get("GAZELLE_CLIENT_SECRET_FILE").orElseThrow());
        assertEquals("from-the-folder", settings.get("GAZELLE_CLIENT_SECRET").orElseThrow());
        assertTrue(settings.get("SUPABASE_SERVICE_ROLE_KEY").isEmpty());
        // A value the user gives wins, and is not made a conflict with the folder's file.
        Map<String, String> given = new java.util.HashMap<>(noState);
        given.put("GAZELLE_CLIENT_SECRET", "given");
        assertEquals("given", service.clientSettings(given, Map.of()).get("GAZELLE_CLIENT_SECRET").orElseThrow());
    }
}
