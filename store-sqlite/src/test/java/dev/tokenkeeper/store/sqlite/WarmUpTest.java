package dev.tokenkeeper.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SqliteTokenStore#warmUp()}: with the library folder the launcher names, it loads the library
 * and runs a statement on a database in memory, touching no file of the state folder; without it, it
 * leaves the library to {@code open}, which first points sqlite-jdbc's unpacking at the state folder.
 * The case without it goes first: once a JVM has loaded the library, no later call unpacks it again
 * (when other classes of the module ran before in the same JVM, it shows nothing; alone it does).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WarmUpTest {

    private static final String LIBRARY_PATH = "org.sqlite.lib.path";
    private static final String LIBRARY = "org/sqlite/native/Linux/x86_64/libsqlitejdbc.so";

    @Test
    @Order(2)
    void withTheLaunchersLibraryFolderItRunsAStatementInMemory(@TempDir Path folder) throws Exception {
        Optional<InputStream> shipped = Optional.ofNullable(getClass().getClassLoader().getResourceAsStream(LIBRARY));
        assumeTrue(shipped.isPresent() && System.getProperty("os.arch").equals("amd64"), "x86_64 Linux only");
        try (InputStream in = shipped.get()) {
            Files.copy(in, folder.resolve("libsqlitejdbc.so"));
        }
        String before = System.getProperty(LIBRARY_PATH);
        System.setProperty(LIBRARY_PATH, folder.toString());
        try {
            SqliteTokenStore store = new SqliteTokenStore();
            assertDoesNotThrow(store::warmUp);
            // Twice, as two daemons' warm-ups in one JVM would: the set-ups are once per JVM, not per call.
            assertDoesNotThrow(store::warmUp);
        } finally {
            if (before == null) {
                System.clearProperty(LIBRARY_PATH);
            } else {
                System.setProperty(LIBRARY_PATH, before);
            }
        }
        try (var files = Files.list(folder)) {
            assertEquals(List.of("libsqlitejdbc.so"), files.map(path -> path.getFileName().toString()).toList(),
                    "no database file, journal or unpacked library beside it");
        }
    }

    @Test
    @Order(1)
    void withoutItNothingIsUnpackedAnywhere(@TempDir Path tmp) throws Exception {
        assumeTrue(System.getProperty(LIBRARY_PATH) == null);
        String before = System.getProperty("org.sqlite.tmpdir");
        System.setProperty("org.sqlite.tmpdir", tmp.toString());
        try {
            new SqliteTokenStore().warmUp();
        } finally {
            if (before == null) {
                System.clearProperty("org.sqlite.tmpdir");
            } else {
                System.setProperty("org.sqlite.tmpdir", before);
            }
        }
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(), files.toList(), "warmUp unpacked the library where open would not have");
        }
    }
}
