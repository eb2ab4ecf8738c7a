package dev.tokenkeeper.store.sqlite;

import static dev.tokenkeeper.api.contract.Credentials.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.contract.Credentials;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

class SchemaTest {

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(T0);

    private SqliteTokenStore openStore() {
        SqliteTokenStore store = new SqliteTokenStore();
        store.open(TestContext.of(state, clock));
        return store;
    }

    private Path databaseFile() {
        return state.resolve("tokenkeeper.db");
    }

    @Test
    void reopeningKeepsEverything() {
        StoredCredential credential = Credentials.minimal("vinted:default", (byte) 4, (byte) 2);
        RefreshEvent event = new RefreshEvent(credential.id(), T0, RefreshOutcome.IMPORTED, "imported",
                Duration.ofMillis(12), 1);
        try (SqliteTokenStore store = openStore()) {
            store.insert(credential);
            store.appendHistory(event);
            assertTrue(store.tryLease(credential.id(), "daemon-a", T0.plusSeconds(60)));
        }
        try (SqliteTokenStore store = openStore()) {
            assertEquals(List.of(credential), store.list());
            assertEquals(List.of(event), store.history(credential.id(), T0, 10));
            assertFalse(store.tryLease(credential.id(), "daemon-b", T0.plusSeconds(60)), "the lease is kept too");
        }
        assertEquals(Schema.CURRENT_VERSION, userVersion(databaseFile()));
    }

    @Test
    void createsTheCurrentSchemaInWalMode() throws SQLException {
        openStore().close();

        assertEquals(Schema.CURRENT_VERSION, userVersion(databaseFile()));
        try (Connection connection = connect(databaseFile()); Statement statement = connection.createStatement()) {
            assertEquals("wal", single(statement, "PRAGMA journal_mode"));
            assertEquals("refresh_history_by_credential", single(statement,
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'refresh_history'"));
            assertEquals(List.of("id", "provider", "account", "status", "sealed_secret", "issued_at",
                    "access_expires_at", "refresh_expires_at", "version", "last_refresh_at", "last_error",
                    "updated_at", "lease_owner", "lease_until"), columns(statement, "credentials"));
            assertEquals(List.of("seq", "credential_id", "at", "outcome", "detail", "duration_ms", "version"),
                    columns(statement, "refresh_history"));
        }
    }

    @Test
    void storesInstantsAsEpochMillisAndEmptyOptionalsAsNull() throws SQLException {
        try (SqliteTokenStore store = openStore()) {
            store.insert(Credentials.minimal("gazelle:default", (byte) 1));
        }
        try (Connection connection = connect(databaseFile()); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT issued_at, access_expires_at, last_error, status"
                     + " FROM credentials")) {
            assertTrue(row.next());
            assertEquals(T0.toEpochMilli(), row.getLong("issued_at"));
            assertEquals(null, row.getObject("access_expires_at"));
            assertEquals(null, row.getObject("last_error"));
            assertEquals("active", row.getString("status"));
        }
    }

    @Test
    void refusesADatabaseFromANewerTokenkeeper() throws SQLException {
        try (SqliteTokenStore store = openStore()) {
            store.insert(Credentials.minimal("gazelle:default", (byte) 1));
        }
        int newer = Schema.CURRENT_VERSION + 6;
        try (Connection connection = connect(databaseFile()); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA user_version = " + newer);
        }

        SqliteTokenStore store = new SqliteTokenStore();
        StoreException refused = assertThrows(StoreException.class, () -> store.open(TestContext.of(state, clock)));

        assertTrue(refused.getMessage().contains("database schema version " + newer
                + " is newer than this tokenkeeper (" + Schema.CURRENT_VERSION + "): upgrade tokenkeeper"),
                refused.getMessage());
        assertTrue(refused.getMessage().contains(databaseFile().toString()), refused.getMessage());
        assertEquals(newer, userVersion(databaseFile()), "nothing was changed");
    }

    @Test
    void refusesAFileThatIsNotADatabase() throws Exception {
        Files.writeString(databaseFile(), "token=this is a text file, not a database\n".repeat(200),
                StandardCharsets.UTF_8);

        SqliteTokenStore store = new SqliteTokenStore();
        StoreException refused = assertThrows(StoreException.class, () -> store.open(TestContext.of(state, clock)));

        assertEquals("sqlite: " + databaseFile() + " is not a SQLite database: move it away or point"
                + " TOKENKEEPER_SQLITE_PATH elsewhere", refused.getMessage());
        assertFalse(refused.getMessage().contains("token="), "no file content in the message");
        assertTrue(Files.readString(databaseFile()).startsWith("token=this is a text file"), "the file is untouched");
    }

    @Test
    void migrationsAreNumberedFromOneWithoutGaps() {
        for (int i = 0; i < Schema.MIGRATIONS.size(); i++) {
            assertEquals(i + 1, Schema.MIGRATIONS.get(i).version());
        }
    }

    @Test
    void pathSettingCreatesMissingFolders() throws SQLException {
        Path file = state.resolve("deep/er/custom.sqlite");
        SqliteTokenStore store = new SqliteTokenStore();
        store.open(new TestContext(Map.of(SqliteSettings.PATH, file.toString()), state, clock));
        try (store) {
            store.insert(Credentials.minimal("gazelle:default", (byte) 1));
            assertEquals(1, store.list().size());
        }
        assertTrue(Files.isRegularFile(file));
        assertFalse(Files.exists(databaseFile()), "the default file was not used");
        assertEquals(Schema.CURRENT_VERSION, userVersion(file));
    }

    @Test
    void relativePathSettingIsTakenInsideTheStateFolder() {
        SqliteTokenStore store = new SqliteTokenStore();
        store.open(new TestContext(Map.of(SqliteSettings.PATH, "sub/relative.db"), state, clock));
        store.close();
        assertTrue(Files.isRegularFile(state.resolve("sub/relative.db")));
    }

    @Test
    void synchronousSettingAcceptsFullOrNormalOnly() {
        SqliteTokenStore normal = new SqliteTokenStore();
        normal.open(new TestContext(Map.of(SqliteSettings.SYNCHRONOUS, "normal"), state, clock));
        normal.close();

        SqliteTokenStore off = new SqliteTokenStore();
        StoreException refused = assertThrows(StoreException.class, () -> off.open(
                new TestContext(Map.of(SqliteSettings.SYNCHRONOUS, "OFF"), state, clock)));
        assertEquals("sqlite: TOKENKEEPER_SQLITE_SYNCHRONOUS must be FULL or NORMAL, not 'OFF': fix or remove"
                + " the setting", refused.getMessage());
    }

    @Test
    void keepsANativeLibraryFolderChosenByTheCaller() {
        String before = System.getProperty("org.sqlite.tmpdir");
        openStore().close();
        // Surefire sets it (like the daemon does); the store must not replace it.
        assertEquals(before == null ? state.toString() : before, System.getProperty("org.sqlite.tmpdir"));
    }

    @Test
    void runsAsANamedModule() {
        assertEquals("dev.tokenkeeper.store.sqlite", SqliteTokenStore.class.getModule().getName());
        assertEquals(Optional.of("sqlite"), Optional.of(new SqliteTokenStore().id()));
    }

    static int userVersion(Path file) {
        try (Connection connection = connect(file); Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("PRAGMA user_version")) {
            row.next();
            return row.getInt(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    static Connection connect(Path file) throws SQLException {
        SQLiteDataSource source = new SQLiteDataSource();
        source.setUrl("jdbc:sqlite:" + file);
        return source.getConnection();
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet row = statement.executeQuery(sql)) {
            assertTrue(row.next(), sql);
            String value = row.getString(1);
            assertFalse(row.next(), sql);
            return value;
        }
    }

    private static List<String> columns(Statement statement, String table) throws SQLException {
        List<String> names = new ArrayList<>();
        try (ResultSet rows = statement.executeQuery("PRAGMA table_info(" + table + ")")) {
            while (rows.next()) {
                names.add(rows.getString("name"));
            }
        }
        return names;
    }
}
