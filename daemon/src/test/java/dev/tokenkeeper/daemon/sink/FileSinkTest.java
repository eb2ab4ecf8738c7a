package dev.tokenkeeper.daemon.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
        sink.syncEvery(each -> store.get().forEach(each), java.time.Duration.ofMillis(100));
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

    private FileSink sink(Path sinkDir) {
        return new FileSink(sinkDir, Optional.empty(), stored -> Optional.of(new LiveCredential(stored,
                new SecretMaterial(Map.of("access_token", "tok-" + stored.version())),
                new Presentation("tok-" + stored.version(), Map.of()))), Clock.systemUTC());
    }

    private static Optional<FileSink> fromSettings(Path sinkDir) {
        return FileSink.fromSettings(Settings.of(Map.of("TOKENKEEPER_SINK_DIR", sinkDir.toString()), Map.of()),
                stored -> Optional.empty(), Clock.systemUTC());
    }

    private static List<String> contents(Path folder) throws Exception {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.map(path -> {
                try {
                    return folder.relativize(path) + (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)
                            ? "=" + Files.readString(path) : "");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sorted().toList();
        }
    }

    @Test
    void aRootOthersCanWriteIsRefusedWithWhatToRun() throws Exception {
        for (String mode : List.of("rwxrwxrwx", "rwxrwx---", "rwx-w----")) {
            Path sinkDir = Files.createDirectory(folder.resolve("sink-" + mode.replace('-', '_')));
            Files.setPosixFilePermissions(sinkDir, PosixFilePermissions.fromString(mode));
            ConfigurationException refused = assertThrows(ConfigurationException.class, () -> fromSettings(sinkDir));
            assertTrue(refused.getMessage().contains("TOKENKEEPER_SINK_DIR=" + sinkDir)
                    && refused.getMessage().contains("writable by no one else")
                    && refused.getMessage().contains("chmod 0700 " + sinkDir), refused.getMessage());
            assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(sinkDir)), "left as it was");
        }
        // The review's 1777, sticky or not: the mode is named as chmod writes it.
        Path sticky = Files.createDirectory(folder.resolve("sticky"));
        assertEquals(0, new ProcessBuilder("chmod", "1777", sticky.toString()).start().waitFor());
        ConfigurationException refused = assertThrows(ConfigurationException.class, () -> fromSettings(sticky));
        assertTrue(refused.getMessage().contains("mode 1777"), refused.getMessage());

        // A folder above the root that others can write (without the sticky bit) could swap the root.
        Path open = Files.createDirectory(folder.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path below = open.resolve("sink");
        ConfigurationException above = assertThrows(ConfigurationException.class, () -> fromSettings(below));
        assertTrue(above.getMessage().contains("the folder " + open + " on its path"), above.getMessage());

        Path fine = folder.resolve("fine/sink");
        assertTrue(fromSettings(fine).isPresent());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fine)));
    }

    @Test
    void aRootOrProviderFolderOwnedByAnotherUserIsRefused() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to give a folder to another user");
        UserPrincipal nobody = folder.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("65534");
        Path sinkDir = Files.createDirectory(folder.resolve("sink"));
        Files.setOwner(sinkDir, nobody);
        ConfigurationException refused = assertThrows(ConfigurationException.class, () -> fromSettings(sinkDir));
        assertTrue(refused.getMessage().contains("owned by ") && refused.getMessage().contains("chown root " + sinkDir),
                refused.getMessage());

        Files.setOwner(sinkDir, folder.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root"));
        Path provider = Files.createDirectory(sinkDir.resolve("gazelle"));
        Files.setOwner(provider, nobody);
        FileSink sink = sink(sinkDir);
        sink.changed(stored(1, CredentialStatus.ACTIVE, (byte) 1), Optional.empty());
        assertEquals(List.of("", "gazelle"), contents(sinkDir), "nothing written in a folder another user owns");
    }

    @Test
    void aLinkInPlaceOfTheProviderFolderIsRefusedAndNothingItPointsToIsWrittenOrRemoved() throws Exception {
        Path elsewhere = Files.createDirectory(folder.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("shop.token"), "precious");
        Files.writeString(elsewhere.resolve("shop.json"), "{}");
        Path sinkDir = Files.createDirectory(folder.resolve("sink"));
        Files.createSymbolicLink(sinkDir.resolve("gazelle"), elsewhere);
        List<String> before = contents(elsewhere);

        FileSink sink = sink(sinkDir);
        sink.changed(stored(1, CredentialStatus.ACTIVE, (byte) 1), Optional.empty());
        assertEquals(before, contents(elsewhere), "written through the link");
        sink.removed(new CredentialId("gazelle", "shop"));
        assertEquals(before, contents(elsewhere), "removed through the link");
        assertTrue(Files.isSymbolicLink(sinkDir.resolve("gazelle")));
    }

    @Test
    void aLinkInPlaceOfATokenFileIsRefusedAndNeitherReplacedNorFollowed() throws Exception {
        Path elsewhere = Files.createDirectory(folder.resolve("elsewhere"));
        Path precious = Files.writeString(elsewhere.resolve("precious"), "precious");
        Path sinkDir = Files.createDirectory(folder.resolve("sink"));
        Path provider = Files.createDirectory(sinkDir.resolve("gazelle"));
        Files.createSymbolicLink(provider.resolve("shop.token"), precious);

        FileSink sink = sink(sinkDir);
        sink.changed(stored(1, CredentialStatus.ACTIVE, (byte) 1), Optional.empty());
        assertEquals("precious", Files.readString(precious));
        assertTrue(Files.isSymbolicLink(provider.resolve("shop.token")));
        sink.removed(new CredentialId("gazelle", "shop"));
        assertEquals("precious", Files.readString(precious));
        assertTrue(Files.isSymbolicLink(provider.resolve("shop.token")), "the link is left for a human to look at");
        try (Stream<Path> files = Files.list(provider)) {
            assertTrue(files.noneMatch(path -> path.getFileName().toString().contains(".tmp-")), "no temporary file left");
        }

        // Once the link is gone, the files are written again.
        Files.delete(provider.resolve("shop.token"));
        sink.changed(stored(2, CredentialStatus.ACTIVE, (byte) 2, Instant.now().plusSeconds(1)), Optional.empty());
        assertEquals("tok-2", Files.readString(provider.resolve("shop.token")));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(provider)));
    }

    @Test
    void aSyncWalkingTheStoreInIdOrderRemovesTheFilesOfEveryCredentialItPassesWithoutMeeting() throws Exception {
        Path sinkDir = folder.resolve("sink");
        FileSink sink = new FileSink(sinkDir, Optional.empty(), stored -> Optional.of(new LiveCredential(stored,
                new SecretMaterial(Map.of("access_token", "tok-" + stored.id().account())),
                new Presentation("tok-" + stored.id().account(), Map.of()))), Clock.systemUTC());
        Instant before = Instant.now().minusSeconds(60);
        List<String> accounts = List.of("a", "b", "c", "d", "e", "f");
        List<StoredCredential> all = accounts.stream().map(account -> account(account, before)).toList();
        sink.writeAll(all);
        for (String account : accounts) {
            assertTrue(Files.exists(sinkDir.resolve("gazelle/" + account + ".token")), account);
        }
        // Another daemon deleted the first, two in the middle and the last; the walk hands them over by id.
        List<StoredCredential> left = all.stream().filter(c -> List.of("b", "d", "e").contains(c.id().account())).toList();
        java.util.concurrent.atomic.AtomicInteger met = new java.util.concurrent.atomic.AtomicInteger();
        sink.syncOnce(each -> left.forEach(credential -> {
            met.incrementAndGet();
            each.accept(credential);
        }));
        assertEquals(3, met.get());
        for (String account : accounts) {
            assertEquals(left.stream().anyMatch(c -> c.id().account().equals(account)),
                    Files.exists(sinkDir.resolve("gazelle/" + account + ".token")), account);
        }
        sink.syncOnce(each -> { });
        try (var files = Files.list(sinkDir.resolve("gazelle"))) {
            assertEquals(0, files.count(), "an empty store leaves no file");
        }
    }

    private static StoredCredential account(String account, Instant now) {
        return new StoredCredential(new CredentialId("gazelle", account), CredentialStatus.ACTIVE,
                SealedSecret.of(new byte[] {1}), now, Optional.of(now.plusSeconds(3600)), Optional.empty(), 1,
                Optional.of(now), Optional.empty(), now);
    }
}
