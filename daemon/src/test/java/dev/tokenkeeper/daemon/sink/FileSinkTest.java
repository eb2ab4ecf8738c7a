package dev.tokenkeeper.daemon.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileSinkTest {

    @TempDir
    Path folder;

    private static StoredCredential stored(long version, CredentialStatus status, byte secret) {
        return stored(version, status, secret, Instant.parse("2026-03-01T00:00:00Z"));
    }

    private static StoredCredential stored(long version, CredentialStatus status, byte secret, Instant now) {
        return new StoredCredential(new CredentialId("gazelle", "shop"), status, SealedSecret.of(new byte[] {secret}), now,
                Optional.of(now.plusSeconds(3600)), Optional.empty(), version, Optional.of(now), Optional.empty(), now);
    }

    @Test
    void writesTokenAndJsonPrivatelyAndRemovesThemOnDelete() throws Exception {
        Path sinkDir = folder.resolve("sink");
        FileSink sink = new FileSink(sinkDir, Optional.empty(), stored -> Optional.of(new LiveCredential(stored,
                new SecretMaterial(Map.of("access_token", "tok-" + stored.version())),
                new Presentation("tok-" + stored.version(), Map.of("Authorization", "Bearer tok-" + stored.version())))),
                Clock.systemUTC());
        sink.changed(stored(1, CredentialStatus.ACTIVE, (byte) 1), Optional.empty());
        Path token = sinkDir.resolve("gazelle/shop.token");
        Path json = sinkDir.resolve("gazelle/shop.json");
        assertEquals("tok-1", Files.readString(token));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(token)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(json)));
        var body = new ObjectMapper().readTree(json.toFile());
        assertEquals("tok-1", body.path("token").asText());
        assertEquals("Bearer tok-1", body.path("headers").path("Authorization").asText());
        assertEquals("2026-03-01T01:00:00Z", body.path("accessExpiresAt").asText());

        sink.changed(stored(2, CredentialStatus.ACTIVE, (byte) 2), Optional.empty());
        assertEquals("tok-2", Files.readString(token));
        // A failed refresh that only changes the status leaves the file alone; an older version never wins.
        sink.changed(stored(3, CredentialStatus.REQUIRES_CONFIGURATION, (byte) 2), Optional.empty());
        sink.changed(stored(1, CredentialStatus.ACTIVE, (byte) 1), Optional.empty());
        assertEquals("tok-2", Files.readString(token));
        try (var files = Files.list(sinkDir.resolve("gazelle"))) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }

        sink.removed(new CredentialId("gazelle", "shop"));
        assertFalse(Files.exists(token));
        assertFalse(Files.exists(json));
        assertTrue(Files.isDirectory(sinkDir.resolve("gazelle")));
    }

    @Test
    void catchesUpWithAnotherDaemonsRefreshesAndDeletesButNeverResurrectsADeletedCredential() throws Exception {
        Path sinkDir = folder.resolve("sink");
        FileSink sink = new FileSink(sinkDir, Optional.empty(), stored -> Optional.of(new LiveCredential(stored,
                new SecretMaterial(Map.of("access_token", "tok-" + stored.version())),
                new Presentation("tok-" + stored.version(), Map.of()))), Clock.systemUTC());
        Path token = sinkDir.resolve("gazelle/shop.token");
        Instant before = Instant.now().minusSeconds(60);
        java.util.concurrent.atomic.AtomicReference<java.util.List<StoredCredential>> store =
                new java.util.concurrent.atomic.AtomicReference<>(java.util.List.of(stored(1, CredentialStatus.ACTIVE, (byte) 1, before)));
        sink.writeAll(store.get());
        assertEquals("tok-1", Files.readString(token));
        sink.syncEvery(store::get, java.time.Duration.ofMillis(100));
        // Another daemon refreshed: the sync writes it.
        store.set(java.util.List.of(stored(2, CredentialStatus.ACTIVE, (byte) 2, before)));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> Files.exists(token) && Files.readString(token).equals("tok-2"));
        // This daemon deleted it; a list read before the delete does not bring the files back.
        sink.removed(new CredentialId("gazelle", "shop"));
        assertFalse(Files.exists(token));
        sink.changed(stored(2, CredentialStatus.ACTIVE, (byte) 2, before), Optional.empty());
        assertFalse(Files.exists(token));
        // Re-imported later: written again; then deleted by another daemon: removed by the sync.
        sink.changed(stored(3, CredentialStatus.ACTIVE, (byte) 3, Instant.now().plusSeconds(1)), Optional.empty());
        assertEquals("tok-3", Files.readString(token));
        store.set(java.util.List.of());
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !Files.exists(token));
    }
}
