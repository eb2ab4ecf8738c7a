package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.contract.TestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code purgeOverwritten()} on a real PostgreSQL: the table rewritten when this login may, said truthfully when not. */
class PostgresPurgeTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    private static final CredentialId ID = CredentialId.parse("gazelle:default");

    @TempDir
    Path state;

    @Test
    void theOwnerRewritesTheTableWithVacuumFull() throws Exception {
        String schema = PostgresServer.freshSchema();
        try (PostgresTokenStore store = open(POSTGRES.settings(schema))) {
            overwriteSeveralTimes(store);
            long before = fileNode(schema);

            PurgeResult purged = store.purgeOverwritten();

            assertInstanceOf(PurgeResult.Purged.class, purged, purged.summary());
            assertTrue(purged.summary().contains("VACUUM FULL") && purged.summary().contains("write-ahead log"),
                    purged.summary());
            assertNotEquals(before, fileNode(schema), "the table lives in a new file, without the overwritten rows");
            assertEquals(5, store.get(ID).orElseThrow().version());
        }
    }

    @Test
    void aLoginThatDoesNotOwnTheTableSaysItIsOutOfReachAndWhatTheOwnerCanRun() throws Exception {
        String schema = PostgresServer.freshSchema();
        try (PostgresTokenStore owner = open(POSTGRES.settings(schema))) {
            overwriteSeveralTimes(owner);
        }
        POSTGRES.execute("DROP ROLE IF EXISTS tk_purge_dml; CREATE ROLE tk_purge_dml LOGIN;"
                + " GRANT USAGE ON SCHEMA " + schema + " TO tk_purge_dml;"
                + " GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO tk_purge_dml;"
                + " GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + schema + " TO tk_purge_dml;");
        long before = fileNode(schema);
        String url = "postgresql://tk_purge_dml@127.0.0.1:" + POSTGRES.port() + "/postgres?sslmode=disable";
        try (PostgresTokenStore store = open(Map.of("TOKENKEEPER_POSTGRES_URL", url, "TOKENKEEPER_POSTGRES_SCHEMA", schema))) {

            PurgeResult purged = store.purgeOverwritten();

            assertInstanceOf(PurgeResult.OutOfReach.class, purged, purged.summary());
            assertTrue(purged.summary().contains("VACUUM FULL " + schema + ".credentials"), purged.summary());
            assertEquals(before, fileNode(schema), "nothing was rewritten");
        }
    }

    private PostgresTokenStore open(Map<String, String> settings) {
        PostgresTokenStore store = new PostgresTokenStore();
        store.open(new TestContext(settings, state, Clock.systemUTC()));
        return store;
    }

    private static void overwriteSeveralTimes(PostgresTokenStore store) {
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        assertTrue(store.insert(credential(1, at)));
        for (int version = 2; version <= 5; version++) {
            assertTrue(store.compareAndSet(credential(version, at), version - 1));
        }
    }

    private static StoredCredential credential(long version, Instant at) {
        return new StoredCredential(ID, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {(byte) version, 1, 2, 3}),
                at, Optional.of(at.plusSeconds(60)), Optional.empty(), version, Optional.of(at), Optional.empty(), at);
    }

    private static long fileNode(String schema) throws Exception {
        try (Connection connection = POSTGRES.connect(); Statement query = connection.createStatement();
             ResultSet row = query.executeQuery("SELECT pg_relation_filenode('" + schema + ".credentials')")) {
            assertTrue(row.next());
            return row.getLong(1);
        }
    }
}
