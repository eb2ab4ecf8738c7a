package dev.tokenkeeper.store.sqlite;

import static dev.tokenkeeper.api.contract.Credentials.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.contract.Credentials;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.jdbi.v3.core.ConnectionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

class SqliteErrorsTest {

    @TempDir
    Path state;

    private final Path file = Path.of("/var/lib/tokenkeeper/tokenkeeper.db");
    private final SqliteErrors errors = new SqliteErrors(file, Duration.ofSeconds(10));

    @Test
    @Timeout(30)
    void aLockHeldPastTheBusyTimeoutMeansUnavailable() throws Exception {
        SqliteTokenStore store = new SqliteTokenStore(Duration.ofMillis(300));
        store.open(TestContext.of(state, new MutableClock(T0)));
        StoredCredential credential = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(credential);
        try (store; Connection other = SchemaTest.connect(state.resolve("tokenkeeper.db"));
             Statement statement = other.createStatement()) {
            statement.execute("BEGIN IMMEDIATE"); // another daemon in the middle of a write

            StoreUnavailableException busy = assertThrows(StoreUnavailableException.class,
                    () -> store.tryLease(credential.id(), "daemon-a", T0.plusSeconds(60)));
            assertEquals("sqlite: cannot lease credential gazelle:default: " + state.resolve("tokenkeeper.db")
                    + " stayed locked by another connection for more than 300 ms: retry later, and look for a"
                    + " stuck process if it persists", busy.getMessage());
            assertEquals(1, store.list().size(), "WAL readers are not blocked by a writer");

            statement.execute("ROLLBACK");
            assertTrue(store.tryLease(credential.id(), "daemon-a", T0.plusSeconds(60)), "works again once free");
        }
    }

    @Test
    void aFolderThatCannotBeCreatedIsNamed() throws Exception {
        Path blocker = state.resolve("not-a-folder");
        Files.writeString(blocker, "x");
        SqliteTokenStore store = new SqliteTokenStore();

        StoreException refused = assertThrows(StoreException.class, () -> store.open(new TestContext(
                Map.of(SqliteSettings.PATH, blocker.resolve("tokenkeeper.db").toString()), state, new MutableClock(T0))));

        assertTrue(refused.getMessage().startsWith("sqlite: cannot create the folder " + blocker), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("point TOKENKEEPER_SQLITE_PATH elsewhere"), refused.getMessage());
        assertFalse(refused.getMessage().contains("\n"));
    }

    @Test
    void readOnlyCorruptFullAndUnknownErrorsSayWhatToDo() {
        assertEquals("sqlite: cannot update credential gazelle:default: " + file + " is read-only ("
                        + "[SQLITE_READONLY] Attempt to write a readonly database (attempt to write a readonly database)"
                        + "): make the file, its -wal and -shm files and its folder writable by this user, or point"
                        + " TOKENKEEPER_SQLITE_PATH elsewhere",
                translate(SQLiteErrorCode.SQLITE_READONLY, "attempt to write a readonly database").getMessage());
        assertTrue(translate(SQLiteErrorCode.SQLITE_CORRUPT, "database disk image is malformed").getMessage()
                .startsWith("sqlite: " + file + " is corrupt ("));
        assertEquals("sqlite: cannot update credential gazelle:default: the disk holding " + file
                + " is full: free some space", translate(SQLiteErrorCode.SQLITE_FULL, "disk full").getMessage());
        assertTrue(translate(SQLiteErrorCode.SQLITE_CANTOPEN, "unable to open").getMessage()
                .startsWith("sqlite: cannot open " + file));
        assertTrue(translate(SQLiteErrorCode.SQLITE_IOERR_FSYNC, "disk I/O error").getMessage()
                .contains("I/O error on " + file), "extended codes map by their primary code");
        assertInstanceOf(StoreUnavailableException.class, translate(SQLiteErrorCode.SQLITE_BUSY_SNAPSHOT, "busy"));
        String other = translate(SQLiteErrorCode.SQLITE_ERROR, "no such table: credentials\nsecond line").getMessage();
        assertTrue(other.startsWith("sqlite: cannot update credential gazelle:default in " + file), other);
        assertFalse(other.contains("\n"), "one line");
    }

    @Test
    void keepsTheDriverErrorNotJdbisAsTheCause() {
        SQLiteException driver = new SQLiteException("[SQLITE_FULL] disk full", SQLiteErrorCode.SQLITE_FULL);
        StoreException translated = errors.translate("update credential gazelle:default",
                new ConnectionException(driver));
        assertSame(driver, translated.getCause());
    }

    private StoreException translate(SQLiteErrorCode code, String text) {
        SQLiteException driver = new SQLiteException("[" + code.name() + "] " + code.message + " (" + text + ")", code);
        return errors.translate("update credential " + CredentialId.parse("gazelle:default"),
                new ConnectionException(driver));
    }
}
