package dev.tokenkeeper.store.postgres;

import static dev.tokenkeeper.store.postgres.OpenedStores.credential;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoreChange;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.contract.TestContext;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the PostgreSQL store adds to the contract, on a real PostgreSQL: changes made through one
 * store reach another's {@code watch} at once, a lost notification connection comes back with
 * "re-read everything", the pool recovers after a server restart, two stores migrating a fresh
 * schema at once both succeed, and settings are read as documented.
 */
class PostgresChangeFeedTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @TempDir
    Path state;

    @RegisterExtension
    final OpenedStores stores = new OpenedStores(POSTGRES);

    private PostgresTokenStore open(String schema) {
        return stores.open(schema, state);
    }

    @Test
    void importsRefreshesAndDeletesThroughOneStoreAreAnnouncedToTheOther() {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        PostgresTokenStore b = open(schema);
        List<StoreChange> seen = new CopyOnWriteArrayList<>();
        b.watch(seen::add);
        CredentialId id = CredentialId.parse("gazelle:c1");

        assertTrue(a.insert(credential("gazelle:c1", 1)));
        await().atMost(Duration.ofSeconds(2)).until(() -> seen.contains(new StoreChange.Credentials(java.util.Set.of(id))));
        seen.clear();
        assertTrue(a.tryLease(id, "a", Instant.now().plusSeconds(30)));
        assertTrue(a.compareAndSet(credential("gazelle:c1", 2), 1));
        await().atMost(Duration.ofSeconds(2)).until(() -> seen.contains(new StoreChange.Credentials(java.util.Set.of(id))));
        seen.clear();
        assertTrue(a.delete(id));
        await().atMost(Duration.ofSeconds(2)).until(() -> seen.contains(new StoreChange.Credentials(java.util.Set.of(id))));
        assertTrue(seen.stream().noneMatch(StoreChange.Everything.class::isInstance), "no reconnection: " + seen);
    }

    @Test
    void addingAndRevokingAConsumerIsAnnouncedToTheOtherStore() {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        PostgresTokenStore b = open(schema);
        List<StoreChange> seen = new CopyOnWriteArrayList<>();
        b.watch(seen::add);
        assertTrue(a.insertConsumer(new dev.tokenkeeper.api.Consumer("analysis", "d".repeat(64),
                List.of(CredentialId.parse("gazelle:a")), Instant.ofEpochMilli(1_700_000_000_000L))));
        await().atMost(Duration.ofSeconds(2)).until(() -> seen.contains(new StoreChange.Consumers()));
        seen.clear();
        assertTrue(a.deleteConsumer("analysis"));
        await().atMost(Duration.ofSeconds(2)).until(() -> seen.contains(new StoreChange.Consumers()));
        assertTrue(seen.stream().noneMatch(StoreChange.Credentials.class::isInstance), "no credential named: " + seen);
    }

    @Test
    void aRestartedServerIsFollowedByReReadEverythingAndTheStoreWorksAgain() {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        List<StoreChange> seen = new CopyOnWriteArrayList<>();
        a.watch(seen::add);
        assertTrue(a.insert(credential("gazelle:before", 1)));

        POSTGRES.stopServer();
        StoreUnavailableException down = assertThrows(StoreUnavailableException.class, a::list);
        assertTrue(down.getMessage().contains("postgres"), down.getMessage());
        POSTGRES.startAgain();

        await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains(new StoreChange.Everything()));
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> a.list().size() == 1);
        seen.clear();
        // A store's own changes are not announced to itself (schema 6): another one writes.
        PostgresTokenStore other = open(schema);
        assertTrue(other.insert(credential("gazelle:after", 1)));
        await().atMost(Duration.ofSeconds(2)).until(() -> !seen.isEmpty());
    }

    @Test
    void twoStoresMigratingAFreshSchemaAtOnceBothOpen() throws Exception {
        String schema = PostgresServer.freshSchema();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<PostgresTokenStore>> opening = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                opening.add(pool.submit(() -> open(schema)));
            }
            for (Future<PostgresTokenStore> store : opening) {
                store.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        try (var connection = POSTGRES.connect(); var statement = connection.createStatement();
             var rows = statement.executeQuery("select count(*), max(version) from " + schema + ".schema_version")) {
            rows.next();
            assertEquals(Schema.CURRENT, rows.getInt(1), "each version migrated once");
            assertEquals(Schema.CURRENT, rows.getInt(2));
        }
    }

    @Test
    void theSetupScriptCreatesWhatTheStoreUsesForAUserWithoutDdlRights() {
        String schema = PostgresServer.freshSchema();
        POSTGRES.execute(Schema.setupSql(schema));
        POSTGRES.execute("drop role if exists tk_daemon_" + schema + "; create role tk_daemon_" + schema + " login;"
                + " grant usage on schema " + schema + " to tk_daemon_" + schema + ";"
                + " grant select, insert, update, delete on all tables in schema " + schema + " to tk_daemon_" + schema + ";"
                + " grant usage on all sequences in schema " + schema + " to tk_daemon_" + schema + ";"
                + " revoke create on database postgres from public;");
        PostgresTokenStore store = new PostgresTokenStore();
        store.open(new TestContext(Map.of("TOKENKEEPER_POSTGRES_URL", "postgresql://tk_daemon_" + schema + "@127.0.0.1:"
                + POSTGRES.port() + "/postgres?sslmode=disable", "TOKENKEEPER_POSTGRES_SCHEMA", schema), state, Clock.systemUTC()));
        stores.closeAfter(store);
        assertTrue(store.insert(credential("gazelle:x", 1)));
        assertEquals(1, store.list().size());
    }

    @Test
    void aUserWithoutWriteRightsIsToldWhichGrantIsMissing() {
        String schema = PostgresServer.freshSchema();
        POSTGRES.execute(Schema.setupSql(schema));
        String role = "tk_reader_" + schema;
        POSTGRES.execute("drop role if exists " + role + "; create role " + role + " login;"
                + " grant usage on schema " + schema + " to " + role + ";"
                + " grant select on all tables in schema " + schema + " to " + role + ";");
        PostgresTokenStore store = new PostgresTokenStore();
        var refused = assertThrows(dev.tokenkeeper.api.StoreException.class, () -> store.open(new TestContext(Map.of(
                "TOKENKEEPER_POSTGRES_URL", "postgresql://" + role + "@127.0.0.1:" + POSTGRES.port()
                        + "/postgres?sslmode=disable", "TOKENKEEPER_POSTGRES_SCHEMA", schema), state, Clock.systemUTC())));
        assertTrue(refused.getMessage().contains("INSERT on " + schema + ".credentials")
                && refused.getMessage().contains("--print-sql postgres"), refused.getMessage());
    }

    @Test
    void theLegacySettingsRowIsWrittenInTheSameTransactionAsTheCommitAndNotByALosingOne() throws Exception {
        String schema = PostgresServer.freshSchema();
        POSTGRES.execute("drop table if exists public.system_settings");
        PostgresTokenStore store = open(schema);
        CredentialId id = CredentialId.parse("gazelle:default");
        store.keepSettingsRows(credential -> credential.id().equals(id)
                ? Optional.of(new dev.tokenkeeper.api.SettingsRow("gazelle_oauth_token",
                        "{\"version\":" + credential.version() + "}"))
                : Optional.empty());
        assertTrue(store.insert(credential("gazelle:default", 1)));
        assertTrue(store.insert(credential("gazelle:other", 1)));
        assertEquals("{\"version\": 1}", settingsValue());
        assertTrue(store.commitRefresh(credential("gazelle:default", 2), 1, new dev.tokenkeeper.api.RefreshEvent(id,
                Instant.now(), dev.tokenkeeper.api.RefreshOutcome.REFRESHED, "", Duration.ZERO, 2), "me"));
        assertEquals("{\"version\": 2}", settingsValue());
        assertTrue(!store.compareAndSet(credential("gazelle:default", 2), 1), "a stale writer loses");
        assertEquals("{\"version\": 2}", settingsValue(), "and writes no row");
        assertTrue(store.compareAndSet(credential("gazelle:default", 3), 2));
        assertEquals("{\"version\": 3}", settingsValue());
        try (var connection = POSTGRES.connect(); var statement = connection.createStatement();
             var rows = statement.executeQuery("select count(*) from public.system_settings")) {
            rows.next();
            assertEquals(1, rows.getInt(1), "only the asked-for credential has a row");
        }
    }

    private static String settingsValue() throws Exception {
        try (var connection = POSTGRES.connect(); var statement = connection.createStatement();
             var rows = statement.executeQuery("select value::text from public.system_settings where key = 'gazelle_oauth_token'")) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    @Test
    void settingsTakeAHostsUriOrAJdbcUrlAndNeverPrintThePassword() {
        PostgresSettings uri = PostgresSettings.parse("postgresql://app:p%40ss:w@db.example.com:6543/postgres?sslmode=require",
                "tokenkeeper", Duration.ofSeconds(3));
        assertEquals("jdbc:postgresql://db.example.com:6543/postgres?sslmode=require", uri.jdbcUrl());
        assertEquals(Optional.of("app"), uri.user());
        assertEquals(Optional.of("p@ss:w"), uri.password());
        assertTrue(!uri.toString().contains("p@ss"), uri.toString());
        PostgresSettings jdbc = PostgresSettings.parse("jdbc:postgresql://h/db?user=u", "tokenkeeper", Duration.ofSeconds(3));
        assertEquals("jdbc:postgresql://h/db?user=u", jdbc.jdbcUrl());
        var wrong = assertThrows(dev.tokenkeeper.api.StoreException.class,
                () -> PostgresSettings.parse("mysql://u:secret@h/db", "tokenkeeper", Duration.ofSeconds(3)));
        assertTrue(wrong.getMessage().contains("TOKENKEEPER_POSTGRES_URL") && !wrong.getMessage().contains("secret"),
                wrong.getMessage());
        var schema = assertThrows(dev.tokenkeeper.api.StoreException.class, () -> PostgresSettings.schema(
                new TestContext(Map.of("TOKENKEEPER_POSTGRES_SCHEMA", "Robert'); drop"), state, Clock.systemUTC())));
        assertTrue(schema.getMessage().contains("TOKENKEEPER_POSTGRES_SCHEMA"), schema.getMessage());
    }
}
