package dev.tokenkeeper.daemon.spool;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spool's files in a real temp folder: what a restart reads back is what was written, and nothing else. */
class SpoolFilesTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00.123Z");

    @TempDir
    Path state;

    private static StoredCredential full(String id, long version) {
        return new StoredCredential(CredentialId.parse(id), CredentialStatus.REQUIRES_CONFIGURATION,
                SealedSecret.of(new byte[] {1, 2, 3}), T0, Optional.of(T0.plusSeconds(3600)),
                Optional.of(T0.plusSeconds(86_400)), version, Optional.of(T0.plusSeconds(5)), Optional.of("invalid_grant"),
                T0.plusSeconds(6));
    }

    private static StoredCredential bare(String id, long version) {
        return new StoredCredential(CredentialId.parse(id), CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {9}), T0,
                Optional.empty(), Optional.empty(), version, Optional.empty(), Optional.empty(), T0);
    }

    @Test
    void aRestartReadsBackEveryFieldOfEveryEntry() throws IOException {
        Path folder = state.resolve("spool");
        SpoolFiles files = new SpoolFiles(folder);
        files.write(new SpoolEntry(full("gazelle:default", 7), 5));
        files.write(new SpoolEntry(bare("vinted:shop", 2), 1));

        List<SpoolEntry> read = new SpoolFiles(folder).readAll().stream()
                .sorted(Comparator.comparing(entry -> entry.updated().id().toString())).toList();

        assertEquals(List.of(new SpoolEntry(full("gazelle:default", 7), 5), new SpoolEntry(bare("vinted:shop", 2), 1)), read,
                "status, sealed secret, times, version, error and the replaced version survive; absent ones stay absent");
    }

    @Test
    void aNewerEntryReplacesTheOlderOneOfTheSameCredentialInOneOwnerOnlyFile() throws IOException {
        Path folder = state.resolve("spool");
        SpoolFiles files = new SpoolFiles(folder);
        files.write(new SpoolEntry(bare("gazelle:default", 2), 1));
        files.write(new SpoolEntry(full("gazelle:default", 3), 1));

        assertEquals(List.of(new SpoolEntry(full("gazelle:default", 3), 1)), files.readAll());
        assertEquals(List.of("gazelle~default.json"), names(folder), "one file per credential, ':' made portable");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                folder.resolve("gazelle~default.json"))), "sealed secrets are the daemon user's only");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)));

        files.delete(CredentialId.parse("gazelle:default"));
        assertEquals(List.of(), files.readAll());
        assertEquals(List.of(), names(folder));
    }

    @Test
    void anUnreadableFileIsLeftInPlaceAndTheOthersAreStillRead() throws IOException {
        Path folder = state.resolve("spool");
        SpoolFiles files = new SpoolFiles(folder);
        files.write(new SpoolEntry(bare("gazelle:default", 2), 1));
        Files.writeString(folder.resolve("vinted~shop.json"), "{\"id\": \"vinted:shop\"");
        Files.writeString(folder.resolve("notes.txt"), "not an entry");

        assertEquals(List.of(new SpoolEntry(bare("gazelle:default", 2), 1)), files.readAll());
        assertTrue(Files.exists(folder.resolve("vinted~shop.json")), "kept for a human to look at");
    }

    @Test
    void aFolderThatIsNotThereHoldsNothing() throws IOException {
        SpoolFiles files = new SpoolFiles(state.resolve("never-written"));
        assertEquals(List.of(), files.readAll());
        assertEquals(0, files.removeTemporaries());
        files.delete(CredentialId.parse("gazelle:default"));
        assertFalse(Files.exists(state.resolve("never-written/gazelle~default.json")));
    }

    @Test
    void theTemporaryFilesACrashLeavesAreRemovedAndCountedAndTheEntriesKept() throws IOException {
        Path folder = state.resolve("spool");
        SpoolFiles files = new SpoolFiles(folder);
        files.write(new SpoolEntry(bare("gazelle:default", 2), 1));
        assertEquals(0, files.removeTemporaries(), "a completed write leaves no temporary file");
        // A crash between writing and renaming leaves an older entry in a temporary file.
        byte[] older = Files.readAllBytes(folder.resolve("gazelle~default.json"));
        files.write(new SpoolEntry(bare("gazelle:default", 3), 1));
        Files.write(folder.resolve("gazelle~default.json.tmp"), older);
        Files.writeString(folder.resolve("vinted~shop.json.tmp"), "half of one");
        assertEquals(List.of(new SpoolEntry(bare("gazelle:default", 3), 1)), files.readAll(), "temporary files are never read");

        assertEquals(2, files.removeTemporaries());

        assertEquals(List.of("gazelle~default.json"), names(folder));
        assertEquals(List.of(new SpoolEntry(bare("gazelle:default", 3), 1)), files.readAll());
    }

    @Test
    void aTemporaryFileACrashLeftDoesNotStopTheNextWriteOfItsCredential() throws IOException {
        Path folder = state.resolve("spool");
        SpoolFiles files = new SpoolFiles(folder);
        files.write(new SpoolEntry(bare("gazelle:default", 2), 1));
        Files.writeString(folder.resolve("gazelle~default.json.tmp"), "half of one");

        files.write(new SpoolEntry(bare("gazelle:default", 3), 2));

        assertEquals(List.of(new SpoolEntry(bare("gazelle:default", 3), 2)), files.readAll());
        assertEquals(List.of("gazelle~default.json"), names(folder));
    }

    @Test
    void aTimeWrittenAsNullIsAbsent() throws IOException {
        Path folder = state.resolve("spool");
        SpoolFiles files = new SpoolFiles(folder);
        files.write(new SpoolEntry(bare("gazelle:default", 2), 1));
        Path file = folder.resolve("gazelle~default.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode entry = (ObjectNode) json.readTree(file.toFile());
        entry.putNull("accessExpiresAt").putNull("refreshExpiresAt").putNull("lastRefreshAt");
        json.writeValue(file.toFile(), entry);

        assertEquals(List.of(new SpoolEntry(bare("gazelle:default", 2), 1)), files.readAll());
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> list = Files.list(folder)) {
            return list.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }
}
