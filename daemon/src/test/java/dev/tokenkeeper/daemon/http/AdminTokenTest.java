package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminTokenTest {

    @Test
    void generatedOnceWithMode0600AndReused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("state/admin-token");
        AdminToken first = AdminToken.loadOrCreate(file);
        String text = AdminToken.read(file);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(first.matches(text));
        assertFalse(first.matches(text + "x"));
        assertFalse(first.matches(""));
        assertTrue(AdminToken.loadOrCreate(file).matches(text), "second start keeps the token");
        assertFalse(first.toString().contains(text));
    }

    @Test
    void refusesAFileOthersCanRead(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("admin-token");
        Files.writeString(file, "secret-token-value\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> AdminToken.loadOrCreate(file));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        assertFalse(e.getMessage().contains("secret-token-value"));
    }

    @Test
    void refusesATokenUnder128Bits(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("admin-token");
        java.security.SecureRandom random = new java.security.SecureRandom();
        for (String weak : java.util.List.of("a", "a".repeat(64), "password123",
                java.util.HexFormat.of().formatHex(random.generateSeed(8)))) {
            Files.writeString(file, weak + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> AdminToken.loadOrCreate(file),
                    "a token of " + weak.length() + " characters");
            assertTrue(e.getMessage().contains("weak token") && e.getMessage().contains("at least 128"), e.getMessage());
            assertFalse(e.getMessage().contains(weak + "\n"));
        }
        for (String strong : java.util.List.of(java.util.HexFormat.of().formatHex(random.generateSeed(16)),
                java.util.Base64.getEncoder().encodeToString(random.generateSeed(32)))) {
            Files.writeString(file, strong + "\n");
            assertTrue(AdminToken.loadOrCreate(file).matches(strong));
        }
    }
}
