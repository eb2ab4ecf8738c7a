package dev.tokenkeeper.daemon.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnvironmentFileCheckTest {

    @Test
    void aSecretInAFileTheGroupMayReadIsNamedNeverShown(@TempDir Path dir) throws IOException {
        Path file = envFile(dir, "TOKENKEEPER_LISTEN=127.0.0.1:8787\nGAZELLE_CLIENT_SECRET=\"gz-secret-value\"\n"
                + "SUPABASE_SERVICE_ROLE_KEY=sb-secret-value\n", "rw-r-----");
        ServiceChecks.Result result = EnvironmentFileCheck.check(file).orElseThrow();
        assertEquals("warn", result.status(), result.detail());
        assertTrue(result.detail().contains("holds GAZELLE_CLIENT_SECRET, SUPABASE_SERVICE_ROLE_KEY and group "), result.detail());
        assertTrue(result.detail().contains(dir.resolve("credentials").resolve("gazelle_client_secret").toString()), result.detail());
        assertFalse(result.detail().contains("secret-value"), result.detail());

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw----r--"));
        assertTrue(EnvironmentFileCheck.check(file).orElseThrow().detail().contains("every user may read it"));
    }

    @Test
    void aPrivateFileOrOneWithoutSecretsPasses(@TempDir Path dir) throws IOException {
        Path file = envFile(dir, "VINTED_CREDENTIALS_SECRET=passphrase\n", "rw-------");
        assertEquals("ok", EnvironmentFileCheck.check(file).orElseThrow().status());
        // The shipped example: secrets only commented out; a _FILE line names a path, not a secret.
        Files.writeString(file, "#GAZELLE_CLIENT_SECRET=<client secret>\nGAZELLE_CLIENT_SECRET_FILE=/etc/x\nGAZELLE_CLIENT_SECRET=\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        ServiceChecks.Result result = EnvironmentFileCheck.check(file).orElseThrow();
        assertEquals("ok", result.status(), result.detail());
        assertTrue(result.detail().endsWith("holds no secret"), result.detail());
        assertTrue(EnvironmentFileCheck.check(dir.resolve("absent")).isEmpty());
    }

    private static Path envFile(Path dir, String content, String mode) throws IOException {
        Path file = dir.resolve("tokenkeeper.env");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }
}
