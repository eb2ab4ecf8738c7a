package dev.tokenkeeper.store.postgres;

import static dev.tokenkeeper.store.postgres.OpenedStores.credential;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoreChange;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The changes table of schema version 6 on a real PostgreSQL: commits write the changed ids in
 * their own transaction, at most one {@code NOTIFY} per interval wakes the listeners, and the
 * listeners read by transaction-id watermark, so a change committed out of {@code seq} order, or by
 * a writer that never notified, is still announced; pruned or too many rows announce "everything".
 */
class PostgresChangeTableTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @TempDir
    Path state;

    @RegisterExtension
    final OpenedStores stores = new OpenedStores(POSTGRES);

    private PostgresTokenStore open(String schema) {
        return stores.open(schema, state);
    }

    /** @return what a second store opened on {@code schema} hears, reading ahead after {@code heldBack} */
    private List<StoreChange> heardByAnother(String schema, Duration heldBack) {
        List<StoreChange> seen = new CopyOnWriteArrayList<>();
        open(schema).watch(seen::add, heldBack);
        return seen;
    }

    private static boolean heard(List<StoreChange> seen, String id) {
        CredentialId wanted = CredentialId.parse(id);
        return seen.stream().anyMatch(change -> change instanceof StoreChange.Credentials credentials
                && credentials.ids().contains(wanted));
    }

    /** A version change made outside any store: the trigger writes the row, nobody notifies. */
    private static void bumpVersion(Connection connection, String schema, String id) throws Exception {
        try (Statement statement = connection.createStatement()) {
            assertEquals(1, statement.executeUpdate("UPDATE " + schema + ".credentials SET version = version + 1"
                    + " WHERE id = '" + id + "'"));
        }
    }

    @Test
    void aStoresChangesReachTheOthersListenerSoonButNotItsOwn() {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        PostgresTokenStore b = open(schema);
        List<StoreChange> heardByA = new CopyOnWriteArrayList<>();
        List<StoreChange> heardByB = new CopyOnWriteArrayList<>();
        a.watch(heardByA::add);
        b.watch(heardByB::add);

        long start = System.nanoTime();
        assertTrue(a.insert(credential("gazelle:mine", 1)));
        await().atMost(Duration.ofSeconds(2)).until(() -> heard(heardByB, "gazelle:mine"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        // Notified, not found by the 5 s periodic read.
        assertTrue(millis < 2_000, "announced after " + millis + " ms");
        assertTrue(b.insert(credential("gazelle:theirs", 1)));
        await().atMost(Duration.ofSeconds(2)).until(() -> heard(heardByA, "gazelle:theirs"));
        assertTrue(!heard(heardByA, "gazelle:mine") && !heard(heardByB, "gazelle:theirs"),
                "own changes are not read back: A " + heardByA + ", B " + heardByB);
        assertTrue(heardByB.stream().noneMatch(StoreChange.Everything.class::isInstance), heardByB.toString());
    }

    @Test
    void twoTransactionsCommittingOutOfSeqOrderAreBothAnnounced() throws Exception {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        List<StoreChange> seen = heardByAnother(schema, Duration.ofMinutes(10));
        assertTrue(a.insert(credential("gazelle:first", 1)));
        assertTrue(a.insert(credential("gazelle:second", 1)));
        await().atMost(Duration.ofSeconds(2)).until(() -> heard(seen, "gazelle:second"));
        seen.clear();

        try (Connection early = POSTGRES.connect(); Connection late = POSTGRES.connect()) {
            early.setAutoCommit(false);
            late.setAutoCommit(false);
            bumpVersion(early, schema, "gazelle:first");
            bumpVersion(late, schema, "gazelle:second");
            late.commit();
            POSTGRES.execute("NOTIFY " + schema + "_changes");
            // A reader that kept the last seq read would now read 'second' (the higher seq) and never
            // 'first', which commits below it: give it the time to (the listener wakes within 500 ms).
            Thread.sleep(1_000);
            early.commit();
            POSTGRES.execute("NOTIFY " + schema + "_changes");
        }
        await().atMost(Duration.ofSeconds(2)).until(() -> heard(seen, "gazelle:first") && heard(seen, "gazelle:second"));
        try (Connection connection = POSTGRES.connect(); Statement statement = connection.createStatement();
             ResultSet order = statement.executeQuery("SELECT id FROM " + schema + ".changes ORDER BY seq DESC LIMIT 2")) {
            order.next();
            assertEquals("gazelle:second", order.getString(1), "the change committed first has the higher seq");
        }
        assertTrue(seen.stream().noneMatch(StoreChange.Everything.class::isInstance), seen.toString());
    }

    @Test
    void notificationsComingFasterThanTheReadBoundShareReads() throws Exception {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        List<StoreChange> seen = heardByAnother(schema, ChangeWatcher.HELD_BACK);
        int count = 30;
        for (int i = 0; i < count; i++) {
            assertTrue(a.insert(credential("gazelle:busy-" + i, 1)));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> heard(seen, "gazelle:busy-" + (count - 1)));
        seen.clear();

        // Thirty writers' notifications, 10 ms apart, each with its change (as from many daemons at once).
        long start = System.nanoTime();
        try (Connection raw = POSTGRES.connect(); Statement notify = raw.createStatement()) {
            for (int i = 0; i < count; i++) {
                bumpVersion(raw, schema, "gazelle:busy-" + i);
                notify.execute("NOTIFY " + schema + "_changes");
                Thread.sleep(10);
            }
        }
        await().atMost(Duration.ofSeconds(9)).pollInterval(Duration.ofMillis(10))
                .until(() -> java.util.stream.IntStream.range(0, count).allMatch(i -> heard(seen, "gazelle:busy-" + i)));
        long millis = (System.nanoTime() - start) / 1_000_000;
        long reads = seen.stream().filter(StoreChange.Credentials.class::isInstance).count();
        long bound = millis / ChangeWatcher.READ_EVERY.toMillis() + 2;
        assertTrue(reads <= bound, reads + " reads announced changes in " + millis + " ms, more than one per "
                + ChangeWatcher.READ_EVERY.toMillis() + " ms (" + bound + ")");
    }

    @Test
    void aCommittedChangeWhoseNotificationNeverCameIsFoundByThePeriodicRead() throws Exception {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        List<StoreChange> seen = heardByAnother(schema, ChangeWatcher.HELD_BACK);
        assertTrue(a.insert(credential("gazelle:silent", 1)));
        await().atMost(Duration.ofSeconds(2)).until(() -> heard(seen, "gazelle:silent"));
        seen.clear();

        try (Connection raw = POSTGRES.connect()) {
            bumpVersion(raw, schema, "gazelle:silent");
        }
        // The read every 5 s, plus a margin for a loaded machine.
        await().atMost(Duration.ofSeconds(9)).until(() -> heard(seen, "gazelle:silent"));
    }

    /**
     * Rows written by hand beside a store's change, in one read: those that name no credential (one
     * with a comma, one empty, one with a quote) are passed over, the others announced, nothing is
     * announced as "everything".
     */
    @Test
    void handWrittenRowsThatNameNoCredentialArePassedOverBesideRealChanges() throws Exception {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        List<StoreChange> seen = heardByAnother(schema, ChangeWatcher.HELD_BACK);
        try (Connection raw = POSTGRES.connect()) {
            raw.setAutoCommit(false);
            try (Statement statement = raw.createStatement()) {
                statement.executeUpdate("INSERT INTO " + schema + ".changes (id) VALUES ('not an id'), ('x,y'), (''),"
                        + " ('gazelle:by-hand'), ('gazelle:\"quoted'), ('gazelle:by-hand')");
            }
            raw.commit();
        }
        assertTrue(a.insert(credential("gazelle:real", 1)));
        await().atMost(Duration.ofSeconds(9)).until(() -> heard(seen, "gazelle:real") && heard(seen, "gazelle:by-hand"));
        Set<CredentialId> all = new HashSet<>();
        seen.stream().filter(StoreChange.Credentials.class::isInstance)
                .forEach(change -> all.addAll(((StoreChange.Credentials) change).ids()));
        assertEquals(Set.of(CredentialId.parse("gazelle:real"), CredentialId.parse("gazelle:by-hand")), all);
        assertTrue(seen.stream().noneMatch(StoreChange.Everything.class::isInstance), seen.toString());
    }

    @Test
    void changesPrunedBeforeAListenerReadThemAnnounceEverything() throws Exception {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        List<StoreChange> seen = heardByAnother(schema, ChangeWatcher.HELD_BACK);
        assertTrue(a.insert(credential("gazelle:pruned", 1)));
        await().atMost(Duration.ofSeconds(2)).until(() -> heard(seen, "gazelle:pruned"));
        seen.clear();

        // Another daemon prunes past B's watermark (as if B had not read for longer than the horizon).
        try (Connection raw = POSTGRES.connect()) {
            raw.setAutoCommit(false);
            bumpVersion(raw, schema, "gazelle:pruned");
            try (Statement statement = raw.createStatement()) {
                // Past this very transaction's row, which B has not read.
                statement.executeUpdate("UPDATE " + schema + ".changes_horizon"
                        + " SET below = (pg_current_xact_id()::text::bigint + 1)::text::xid8");
                assertEquals(1, statement.executeUpdate("DELETE FROM " + schema + ".changes WHERE xid < (SELECT below FROM "
                        + schema + ".changes_horizon) AND id = 'gazelle:pruned' AND xid = pg_current_xact_id()"));
            }
            raw.commit();
        }
        POSTGRES.execute("NOTIFY " + schema + "_changes");
        await().atMost(Duration.ofSeconds(2)).until(() -> seen.contains(new StoreChange.Everything()));
    }

    @Test
    void moreChangesThanAreReadOneByOneAnnounceEverything() {
        String schema = PostgresServer.freshSchema();
        open(schema);
        List<StoreChange> seen = heardByAnother(schema, ChangeWatcher.HELD_BACK);
        POSTGRES.execute("INSERT INTO " + schema + ".changes (id) SELECT 'gazelle:bulk' || g FROM generate_series(1, "
                + (ChangeRows.MOST_IDS + 1) + ") g; NOTIFY " + schema + "_changes");
        await().atMost(Duration.ofSeconds(3)).until(() -> seen.contains(new StoreChange.Everything()));
        assertTrue(seen.stream().noneMatch(StoreChange.Credentials.class::isInstance), "not read one by one");
    }

    @Test
    void aLongTransactionHoldingTheWatermarkBackDelaysChangesOnlyForTheBound() throws Exception {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        List<StoreChange> seen = heardByAnother(schema, Duration.ofSeconds(2));
        try (Connection idle = POSTGRES.connect()) {
            idle.setAutoCommit(false);
            try (Statement statement = idle.createStatement()) {
                statement.execute("SELECT pg_current_xact_id()");
            }
            long start = System.nanoTime();
            assertTrue(a.insert(credential("gazelle:meanwhile", 1)));
            // Not below the watermark while the other transaction is open: read ahead of it after the
            // 2 s bound, at the next notification or periodic read (5 s).
            await().atMost(Duration.ofSeconds(10)).until(() -> heard(seen, "gazelle:meanwhile"));
            assertTrue((System.nanoTime() - start) / 1_000_000 >= 2_000, "only after the bound");
            idle.rollback();
        }
        assertTrue(seen.stream().noneMatch(StoreChange.Everything.class::isInstance), seen.toString());
    }

    @Test
    void pruningDeletesTheRowsBelowAndMovesTheHorizonOnlyForward() throws Exception {
        String schema = PostgresServer.freshSchema();
        PostgresTokenStore a = open(schema);
        assertTrue(a.insert(credential("gazelle:old", 1)));
        ChangeRows rows = new ChangeRows(schema, "someone");
        try (Connection raw = POSTGRES.connect()) {
            long now = rows.watermark(raw);
            assertEquals(0, rows.prune(raw, 1) + rows.prune(raw, 1), "nothing below the first transaction");
            assertTrue(a.insert(credential("gazelle:new", 1)));
            assertEquals(1, rows.prune(raw, now), "the row of the transaction before the watermark");
            assertEquals(0, rows.prune(raw, now - 1), "the horizon does not move back");
            ChangeRows.Read read = rows.since(raw, now);
            assertEquals(Set.of(CredentialId.parse("gazelle:new")), read.ids());
            assertTrue(!read.missed());
            assertTrue(rows.since(raw, now - 1).missed(), "a watermark below the horizon missed rows");
        }
    }
}
