package dev.tokenkeeper.store.sqlite;

import static dev.tokenkeeper.api.contract.Credentials.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.contract.Credentials;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only the SQLite store does; the shared contract is in {@link SqliteStoreContractTest}. */
class SqliteTokenStoreTest {

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(T0);
    private SqliteTokenStore store;

    @BeforeEach
    void open() {
        store = new SqliteTokenStore();
        store.open(TestContext.of(state, clock));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void idIsSqlite() {
        assertEquals("sqlite", store.id());
    }

    @Test
    void databaseFileAndItsWalAreReadableByTheOwnerOnly() throws Exception {
        store.insert(Credentials.minimal("gazelle:default", (byte) 1));
        Path file = state.resolve("tokenkeeper.db");

        assertTrue(Files.isRegularFile(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        for (String suffix : List.of("-wal", "-shm")) {
            Path companion = state.resolve("tokenkeeper.db" + suffix);
            assertTrue(Files.exists(companion), companion + " exists while the store is open");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(companion)),
                    companion.toString());
        }
    }
}
