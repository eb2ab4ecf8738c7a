package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The in-flight notes in a real folder: what a restart finds, and what it drops. */
class RefreshIntentsTest {

    private static final CredentialId SHOP = CredentialId.parse("acme:shop");
    private static final CredentialId OTHER = CredentialId.parse("acme:other");

    @TempDir
    Path state;

    @Test
    void aNoteNamesTheOwnerAndTheCredentialOnlyAndIsGoneOnceTheOutcomeIsHandled() throws Exception {
        Path folder = state.resolve("a").resolve("inflight");
        RefreshIntents intents = RefreshIntents.in(folder);
        assertTrue(Files.isDirectory(folder), "created with its parents");
        assertEquals(List.of(), intents.pending());

        intents.begin(SHOP, "daemon-1");
        intents.begin(SHOP, "daemon-2"); // a second refresh of it rewrites the note
        intents.begin(OTHER, "daemon-2");

        List<Path> notes = notes(folder);
        assertEquals(2, notes.size(), "one note per credential");
        assertTrue(notes.stream().map(Path::getFileName).map(Path::toString).allMatch(name -> name.endsWith(".inflight")));
        List<String> texts = notes.stream().map(RefreshIntentsTest::read).sorted().toList();
        assertEquals(List.of("daemon-2\nacme:other\n", "daemon-2\nacme:shop\n"), texts, "the owner and the id, no secret");
        assertEquals(List.of(new RefreshIntents.Intent(OTHER, "daemon-2"), new RefreshIntents.Intent(SHOP, "daemon-2")),
                intents.pending().stream().sorted((a, b) -> a.id().toString().compareTo(b.id().toString())).toList());
        assertEquals(2, RefreshIntents.in(folder).pending().size(), "a restart finds them");

        intents.end(SHOP);
        intents.end(SHOP); // ending twice is harmless
        assertEquals(List.of(new RefreshIntents.Intent(OTHER, "daemon-2")), intents.pending());
        assertEquals(1, notes(folder).size());
    }

    @Test
    void aNoteTornByACrashIsDroppedAndDeleted() throws Exception {
        Path folder = state.resolve("inflight");
        RefreshIntents intents = RefreshIntents.in(folder);
        intents.begin(SHOP, "me");
        Files.writeString(folder.resolve("torn.inflight"), "me\n");
        Files.writeString(folder.resolve("garbled.inflight"), "me\nnot an id\n");

        assertEquals(List.of(new RefreshIntents.Intent(SHOP, "me")), intents.pending());
        assertFalse(Files.exists(folder.resolve("torn.inflight")), "a torn note means the call was not sent yet");
        assertFalse(Files.exists(folder.resolve("garbled.inflight")));
        assertEquals(1, notes(folder).size());
    }

    @Test
    void intentsThatAreNotRecordedWriteNothingAndFindNothing() throws Exception {
        RefreshIntents none = RefreshIntents.none();
        none.begin(SHOP, "me");
        none.end(SHOP);
        assertEquals(List.of(), none.pending());
        try (var files = Files.list(state)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void aFolderThatCannotBeCreatedSaysWhatToCheck() throws Exception {
        Path file = Files.writeString(state.resolve("inflight"), "x");
        UncheckedIOException failed = assertThrows(UncheckedIOException.class, () -> RefreshIntents.in(file));
        assertTrue(failed.getMessage().startsWith("cannot create " + file + " for in-flight refresh notes: "), failed.getMessage());
        assertTrue(failed.getMessage().endsWith("; check the state folder's permissions"), failed.getMessage());
    }

    private static List<Path> notes(Path folder) throws Exception {
        try (var files = Files.list(folder)) {
            return files.toList();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
