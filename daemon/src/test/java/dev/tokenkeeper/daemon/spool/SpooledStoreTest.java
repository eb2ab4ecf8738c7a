package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.ChangeListener;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoreChange;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.daemon.refresh.DueRowsStore;
import dev.tokenkeeper.api.store.ChangeFeed;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.api.store.StoreCapability;
import dev.tokenkeeper.api.store.Tally;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spool over a real SQLite file, with a switch that makes the store unreachable. */
class SpooledStoreTest {

    private static final CredentialId ID = CredentialId.parse("gazelle:default");

    @TempDir
    Path state;

    private Unreachable remote;
    /** Times the grace after an outage; the leases in the store run on the wall clock. */
    private final MutableClock clock = MutableClock.startingNow();

    @BeforeEach
    void openSqlite() {
        remote = new Unreachable(sqlite());
        remote.open(context());
    }

    /** @return a new SQLite store, not opened yet (opened on {@link #state}, a second one shares the first one's file) */
    private static TokenStore sqlite() {
        return EmbeddedStore.found();
    }

    @AfterEach
    void close() {
        remote.down = false;
        remote.close();
    }

    private PluginContext context() {
        return new PluginContext() {
            @Override
            public Optional<String> setting(String name) {
                return Optional.empty();
            }

            @Override
            public Path stateDirectory() {
                return state;
            }

            @Override
            public Clock clock() {
                return Clock.systemUTC();
            }
        };
    }

    private static StoredCredential credential(long version, byte secret, Instant issued) {
        return credential(ID, version, secret, issued);
    }

    private static StoredCredential credential(CredentialId id, long version, int secret, Instant issued) {
        return new StoredCredential(id, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {(byte) secret}), issued,
                Optional.of(issued.plusSeconds(60)), Optional.empty(), version, Optional.of(issued), Optional.empty(), issued);
    }

    @Test
    void changesMadeWhileTheStoreIsDownAreSpooledDurablyAndDrainLater() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = new SpooledStore(remote, state.resolve("spool"), 3600, clock);
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        assertEquals(1, store.get(ID).orElseThrow().version(), "read while up is remembered");

        remote.down = true;
        assertEquals(1, store.get(ID).orElseThrow().version(), "reads fall back to the last row seen");
        assertTrue(store.tryLease(ID, "me", t0.plusSeconds(60)), "no lease to be had: proceed");
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0.plusSeconds(10)), 1));
        assertFalse(store.compareAndSet(credential(3, (byte) 3, t0.plusSeconds(20)), 1), "stale versions still lose");
        assertTrue(store.compareAndSet(credential(3, (byte) 3, t0.plusSeconds(20)), 2));
        store.appendHistory(new RefreshEvent(ID, t0, dev.tokenkeeper.api.RefreshOutcome.REFRESHED, "", java.time.Duration.ZERO, 3));
        assertEquals(1, store.pending());
        assertTrue(Files.exists(state.resolve("spool/gazelle~default.json")));

        // A crash now: a new process finds the spool on disk.
        SpooledStore restarted = new SpooledStore(remote, state.resolve("spool"), 3600, clock);
        assertEquals(3, restarted.get(ID).orElseThrow().version());
        assertEquals(List.of(ID), restarted.list().stream().map(StoredCredential::id).toList());

        remote.down = false;
        assertEquals(0, restarted.drain());
        StoredCredential inStore = remote.get(ID).orElseThrow();
        assertEquals(3, inStore.version(), "the store catches up with the versions this daemon handed out");
        assertEquals(SealedSecret.of(new byte[] {3}), inStore.secret(), "the newest secret reached the store");
        assertFalse(Files.exists(state.resolve("spool/gazelle~default.json")), "the spool is empty");
        store.drain();
        assertEquals(1, remote.history(ID, Instant.EPOCH, 10).size(), "history written while down arrives too");
    }

    @Test
    void onConflictTheNewerTokensWin() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = new SpooledStore(remote, state.resolve("spool"), 3600, clock);
        store.insert(credential(1, (byte) 1, t0));
        store.get(ID);
        remote.down = true;
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0.plusSeconds(30)), 1));
        remote.down = false;
        // Meanwhile another daemon wrote an older refresh.
        assertTrue(remote.compareAndSet(credential(2, (byte) 9, t0.plusSeconds(5)), 1));
        store.drain();
        StoredCredential inStore = remote.get(ID).orElseThrow();
        assertEquals(3, inStore.version(), "rebased on the store's version");
        assertEquals(SealedSecret.of(new byte[] {2}), inStore.secret());
    }

    @Test
    void aLeaseTakenBeforeTheStoreWentAwayIsGivenBackWhenItsSpooledCommitArrives() {
        Instant t0 = Instant.now();
        SpooledStore store = new SpooledStore(remote, state.resolve("spool"), 3600, clock);
        store.insert(credential(1, (byte) 1, t0));
        store.get(ID);
        assertTrue(store.tryLease(ID, "daemon-a", t0.plusSeconds(3600)), "lease taken while the store is up");
        remote.down = true;
        RefreshEvent event = refreshed(t0);
        assertTrue(store.commitRefresh(credential(2, (byte) 2, t0.plusSeconds(1)), 1, event, "daemon-a"), "spooled");
        remote.down = false;
        assertFalse(remote.tryLease(ID, "daemon-b", t0.plusSeconds(60)), "still held while the change is only spooled");

        assertEquals(0, store.drain());
        assertTrue(remote.tryLease(ID, "daemon-b", t0.plusSeconds(60)),
                "another daemon may refresh at once, not only when the lease runs out an hour later");
    }

    @Test
    void aChangeLeftInTheSpoolIsPushedBeforeItsCredentialIsLeasedAndTheLeaseIsKept() {
        Instant t0 = Instant.now();
        SpooledStore restarted = restartedWithAChangeInTheSpool(t0);
        assertEquals(1, restarted.pending());

        assertTrue(restarted.tryLease(ID, "a", t0.plusSeconds(60)));
        assertEquals(0, restarted.pending(), "pushed before the lease was granted");
        assertEquals(SealedSecret.of(new byte[] {2}), remote.get(ID).orElseThrow().secret(),
                "the refresh starts from the store's row, which holds the spooled secret");
        assertFalse(remote.tryLease(ID, "b", t0.plusSeconds(60)), "the lease is the refresher's");
        assertEquals(0, restarted.drain());
        assertFalse(remote.tryLease(ID, "b", t0.plusSeconds(60)), "no push gave it back");
    }

    @Test
    void aLeaseWhoseSpooledChangeCannotBePushedIsRefusedAndKeptUntilThePush() {
        Instant t0 = Instant.now();
        SpooledStore restarted = restartedWithAChangeInTheSpool(t0);
        remote.beforeNextWrite = () -> {
            throw new StoreUnavailableException("test: the store went away again", null);
        };

        StoreUnavailableException refused = org.junit.jupiter.api.Assertions.assertThrows(StoreUnavailableException.class,
                () -> restarted.tryLease(ID, "a", t0.plusSeconds(60)), "the spooled refresh token is spent: no refresh");
        assertTrue(refused.getMessage().contains("kept in the local spool is not in the store yet"), refused.getMessage());
        assertEquals(1, restarted.pending());
        assertEquals(SealedSecret.of(new byte[] {1}), remote.get(ID).orElseThrow().secret());
        assertFalse(remote.tryLease(ID, "b", t0.plusSeconds(60)), "held until the push: the store's row is spent");

        assertEquals(0, restarted.drain());
        assertEquals(SealedSecret.of(new byte[] {2}), remote.get(ID).orElseThrow().secret());
        assertTrue(remote.tryLease(ID, "b", t0.plusSeconds(60)), "given back with the push");
    }

    @Test
    void aLeaseTakenAgainWhileItsSpooledCommitWaitsReplacesTheOneTheCommitLeftToGiveBack() {
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        assertTrue(a.insert(credential(1, (byte) 1, t0)));
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(3600)));
        remote.down = true;
        assertTrue(a.commitRefresh(credential(2, (byte) 2, t0.plusSeconds(10)), 1, refreshed(t0), "a"), "spooled");
        remote.down = false;
        // The store answers again; the spool's own push meets another daemon's write of an older secret.
        remote.beforeNextWrite = () -> remote.compareAndSet(credential(2, (byte) 9, t0.plusSeconds(5)), 1);
        a.list();
        // The push runs on the spool's own thread: wall time, bounded.
        await().atMost(Duration.ofSeconds(10)).until(() -> remote.beforeNextWrite == null);
        assertEquals(SealedSecret.of(new byte[] {9}), remote.get(ID).orElseThrow().secret(), "the push lost the race");
        clock.advance(Duration.ofSeconds(7202)); // past the grace after the outage

        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(3600)));
        assertEquals(0, a.pending(), "pushed before the lease was granted");
        assertEquals(SealedSecret.of(new byte[] {2}), remote.get(ID).orElseThrow().secret(), "the newer secret won");
        assertFalse(remote.tryLease(ID, "b", t0.plusSeconds(60)), "the push did not give back the lease just taken");
        assertEquals(0, a.drain());
        assertFalse(remote.tryLease(ID, "b", t0.plusSeconds(60)));
    }

    @Test
    void whileTheStoreIsDownOnlyTheDaemonThatObtainedTheSecretDuringTheOutageRefreshesIt() {
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        assertTrue(a.insert(credential(1, (byte) 1, t0)));
        b.get(ID);
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)));
        RefreshEvent event = refreshed(t0);
        assertTrue(a.commitRefresh(credential(2, (byte) 2, t0.plusSeconds(1)), 1, event, "a"));
        assertEquals(2, b.get(ID).orElseThrow().version(), "B sees A's refresh: another daemon is about");
        assertTrue(b.tryLease(ID, "b", t0.plusSeconds(60)));
        assertFalse(a.tryLease(ID, "a", t0.plusSeconds(60)), "A meets B's lease: another daemon is about");
        b.releaseLease(ID, "b");
        // A leases again while the store is up; the store stops while A's refresh is under way.
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)));

        remote.down = true;
        assertTrue(a.commitRefresh(credential(3, (byte) 3, t0.plusSeconds(10)), 2, event, "a"), "spooled");
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "A obtained the current secret during the outage: A refreshes");
        StoreUnavailableException refused = org.junit.jupiter.api.Assertions.assertThrows(StoreUnavailableException.class,
                () -> b.tryLease(ID, "b", t0.plusSeconds(60)), "B must not present a token A has spent");
        assertTrue(refused.getMessage().contains("another daemon"), refused.getMessage());

        remote.down = false;
        assertFalse(b.tryLease(ID, "b", t0.plusSeconds(60)), "A's lease from before the outage holds until A's spool drains");
        assertEquals(0, a.drain());
        assertEquals(SealedSecret.of(new byte[] {3}), b.get(ID).orElseThrow().secret(), "B reads A's newest secret");
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "the owner goes on at once");
    }

    @Test
    void havingRefreshedLastBeforeTheOutageIsNotOwningIt() {
        // Caught by a loaded run: A refreshed last; B leased a moment before the store stopped and its
        // refresh went to B's spool. A must not refresh with the token B has just spent.
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        assertTrue(a.insert(credential(1, (byte) 1, t0)));
        b.get(ID);
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)));
        RefreshEvent event = refreshed(t0);
        assertTrue(a.commitRefresh(credential(2, (byte) 2, t0.plusSeconds(1)), 1, event, "a"));
        assertEquals(2, b.get(ID).orElseThrow().version());
        assertTrue(b.tryLease(ID, "b", t0.plusSeconds(60)), "B's refresh is under way");
        assertFalse(a.tryLease(ID, "a", t0.plusSeconds(60)), "A meets B's lease: another daemon is about");

        remote.down = true;
        assertTrue(b.commitRefresh(credential(3, (byte) 3, t0.plusSeconds(2)), 2, event, "b"), "B's refresh is spooled");
        StoreUnavailableException refused = org.junit.jupiter.api.Assertions.assertThrows(StoreUnavailableException.class,
                () -> a.tryLease(ID, "a", t0.plusSeconds(60)), "A wrote last before the outage, yet must not refresh");
        assertTrue(refused.getMessage().contains("another daemon"), refused.getMessage());
        assertTrue(b.tryLease(ID, "b", t0.plusSeconds(60)), "B holds the newest secret");

        remote.down = false;
        assertEquals(0, b.drain());
        assertEquals(SealedSecret.of(new byte[] {3}), a.get(ID).orElseThrow().secret(), "A reads B's newest secret");
    }

    @Test
    void whatADaemonObtainedInAnEarlierOutageIsNotItsInTheNext() {
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        assertTrue(a.insert(credential(1, (byte) 1, t0)));
        b.get(ID);
        RefreshEvent event = refreshed(t0);
        assertTrue(b.tryLease(ID, "b", t0.plusSeconds(60)));
        assertTrue(b.commitRefresh(credential(2, (byte) 2, t0.plusSeconds(1)), 1, event, "b"));
        assertEquals(2, a.get(ID).orElseThrow().version(), "A sees B's refresh: another daemon is about");
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)));
        remote.down = true;
        assertTrue(a.commitRefresh(credential(3, (byte) 3, t0.plusSeconds(2)), 2, event, "a"), "spooled in outage 1");
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "A's during outage 1");
        remote.down = false;
        assertEquals(3, a.list().get(0).version(), "A notices the store is back");
        assertEquals(0, a.drain());
        assertEquals(3, b.get(ID).orElseThrow().version());

        remote.down = true;
        assertThrows(() -> a.tryLease(ID, "a", t0.plusSeconds(60)));
    }

    /** A imports version 1, B refreshes it to version 2 under its lease, and A has seen that: another daemon is about. */
    private static void importedByAThenRefreshedByB(SpooledStore a, SpooledStore b, Instant t0) {
        assertTrue(a.insert(credential(1, (byte) 1, t0)));
        assertTrue(b.tryLease(ID, "b", t0.plusSeconds(60)));
        assertTrue(b.commitRefresh(credential(2, (byte) 2, t0.plusSeconds(1)), 1, refreshed(t0), "b"));
        assertEquals(2, a.get(ID).orElseThrow().version(), "A sees B's refresh: another daemon is about");
    }

    /** B refreshes version 2 into version 3 under its lease: announced to the other daemons. */
    private static void refreshedByBAgain(SpooledStore b, Instant t0) {
        assertTrue(b.tryLease(ID, "b", t0.plusSeconds(60)));
        assertTrue(b.commitRefresh(credential(3, (byte) 3, t0.plusSeconds(2)), 2, refreshed(t0), "b"), "announced to A");
    }

    /** @return a daemon's spooled view of the shared store */
    private SpooledStore daemon(String name) {
        return new SpooledStore(remote, state.resolve("spool-" + name), 3600, clock);
    }

    private static RefreshEvent refreshed(Instant at) {
        return new RefreshEvent(ID, at, dev.tokenkeeper.api.RefreshOutcome.REFRESHED, "", java.time.Duration.ZERO, 2);
    }

    private static void assertThrows(org.junit.jupiter.api.function.Executable call) {
        org.junit.jupiter.api.Assertions.assertThrows(StoreUnavailableException.class, call);
    }

    @Test
    void aDaemonAloneKeepsRefreshingThroughAnOutageRowsFromBeforeItsRestartIncluded() {
        Instant t0 = Instant.now();
        new SpooledStore(remote, state.resolve("spool"), 3600, clock).insert(credential(1, (byte) 1, t0));
        clock.advance(java.time.Duration.ofSeconds(1)); // restarted after its last write
        SpooledStore restarted = new SpooledStore(remote, state.resolve("spool"), 3600, clock);
        restarted.list();
        remote.down = true;
        assertTrue(restarted.tryLease(ID, "me", t0.plusSeconds(60)), "no other daemon ever showed: it is alone");
        remote.down = false;
        assertTrue(restarted.tryLease(ID, "me", t0.plusSeconds(60)), "and needs no grace after the outage");
    }

    @Test
    void aStatusOnlyChangeNeverBuriesANewerIssuedSecret() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        a.insert(credential(1, (byte) 1, t0));
        a.get(ID);
        b.get(ID);
        remote.down = true;
        // A refreshed; B presented the same (now spent) token, was refused and marked it for a human.
        assertTrue(a.compareAndSet(credential(2, (byte) 2, t0.plusSeconds(30)), 1));
        StoredCredential refused = b.get(ID).orElseThrow().withStatus(CredentialStatus.REQUIRES_CONFIGURATION,
                Optional.of("invalid_grant"), t0.plusSeconds(31));
        assertTrue(b.compareAndSet(refused, 1));
        remote.down = false;
        assertEquals(0, b.drain(), "B's status change reaches the store first");
        assertEquals(CredentialStatus.REQUIRES_CONFIGURATION, remote.get(ID).orElseThrow().status());
        assertEquals(0, a.drain());
        StoredCredential inStore = remote.get(ID).orElseThrow();
        assertEquals(SealedSecret.of(new byte[] {2}), inStore.secret(), "A's newly issued secret survives");
        assertEquals(CredentialStatus.ACTIVE, inStore.status());
        assertEquals(3, inStore.version());

        // The other order: the refusal arrives after the new secret and is dropped.
        b.get(ID);
        remote.down = true;
        assertTrue(a.compareAndSet(credential(4, (byte) 4, t0.plusSeconds(60)), 3));
        StoredCredential refusedAgain = b.get(ID).orElseThrow().withStatus(CredentialStatus.REQUIRES_CONFIGURATION,
                Optional.of("invalid_grant"), t0.plusSeconds(61));
        assertTrue(b.compareAndSet(refusedAgain, 3));
        remote.down = false;
        assertEquals(0, a.drain());
        assertEquals(0, b.drain());
        inStore = remote.get(ID).orElseThrow();
        assertEquals(SealedSecret.of(new byte[] {4}), inStore.secret());
        assertEquals(CredentialStatus.ACTIVE, inStore.status());
    }

    @Test
    void whileTheStoreIsUpEveryAnswerIsTheStoresOwn() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertEquals("sqlite", store.id());
        assertEquals(remote.description(), store.description());
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        assertFalse(store.insert(credential(1, (byte) 9, t0)), "the credential exists");
        assertFalse(store.compareAndSet(credential(3, (byte) 3, t0), 2), "a stale version loses");
        assertFalse(store.commitRefresh(credential(3, (byte) 3, t0), 2, refreshed(t0), "a"), "a stale refresh loses");
        assertEquals(SealedSecret.of(new byte[] {1}), remote.get(ID).orElseThrow().secret());
        store.appendHistory(refreshed(t0));
        assertEquals(1, store.history(ID, Instant.EPOCH, 10).size());
        assertTrue(store.delete(ID));
        assertFalse(store.delete(ID), "nothing left to delete");
        assertEquals(Optional.empty(), store.get(ID));
        assertEquals(0, store.pending());
    }

    @Test
    void whileTheStoreIsDownReadsServeTheRowsLastSeenAndNeverOneDeletedMeanwhile() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        CredentialId other = CredentialId.parse("vinted:shop");
        SpooledStore store = daemon("a");
        assertTrue(remote.insert(credential(other, 1, 7, t0)), "written by another daemon");
        assertTrue(remote.insert(credential(1, (byte) 1, t0)));
        assertEquals(List.of(ID, other), store.list().stream().map(StoredCredential::id).toList(), "in the order of their ids");
        assertTrue(remote.delete(other), "another daemon deletes it");
        assertEquals(Optional.empty(), store.get(other));

        remote.down = true;
        assertEquals(Optional.empty(), store.get(other), "deleted: not served from memory");
        assertEquals(1, store.get(ID).orElseThrow().version(), "known from the list");
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0), 1));
        assertEquals(List.of(credential(2, (byte) 2, t0)), store.list(), "the rows last seen, the spooled change on top");
    }

    @Test
    void pagesLayTheSpooledChangesOverTheStoresRowsAndWhileItIsDownServeTheRowsLastSeen() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        CredentialId first = CredentialId.parse("gazelle:a");
        CredentialId last = CredentialId.parse("vinted:z");
        SpooledStore store = daemon("a");
        assertTrue(remote.insert(credential(last, 1, 9, t0)));
        assertTrue(remote.insert(credential(first, 1, 1, t0)));
        assertTrue(remote.insert(credential(1, (byte) 5, t0)));
        assertEquals(List.of(first, ID), store.listPage(Optional.empty(), 2).stream().map(StoredCredential::id).toList(),
                "the first page, in the order of the ids");
        assertEquals(List.of(last), store.listPage(Optional.of(ID), 2).stream().map(StoredCredential::id).toList());

        remote.down = true;
        assertTrue(store.compareAndSet(credential(first, 2, 2, t0), 1), "spooled");
        assertEquals(List.of(credential(first, 2, 2, t0)), store.listPage(Optional.empty(), 1),
                "the rows last seen, the spooled change on top");
        assertEquals(List.of(ID, last), store.listPage(Optional.of(first), 5).stream().map(StoredCredential::id).toList());

        remote.down = false;
        assertEquals(List.of(credential(first, 2, 2, t0), credential(1, (byte) 5, t0)), store.listPage(Optional.empty(), 2),
                "the store answers again, the spooled change not yet pushed: it is still what this daemon serves");
        assertEquals(List.of(credential(first, 2, 2, t0)), store.listPage(Optional.empty(), 1),
                "the store's full page ends at the spooled credential: the spooled change is laid over it too");
        assertEquals(List.of(), store.listPage(Optional.of(last), 2));
    }

    @Test
    void whileTheStoreIsDownAChangeOfAVersionOlderThanTheKnownOneIsRefusedAndTheSpoolStaysAhead() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0), 1));

        remote.down = true;
        assertFalse(store.compareAndSet(credential(2, (byte) 3, t0), 1), "version 2 is known: 1 is stale");
        assertEquals(0, store.pending());
        assertTrue(store.compareAndSet(credential(3, (byte) 3, t0), 2));
        assertFalse(store.compareAndSet(credential(3, (byte) 4, t0), 2), "the spool is at version 3 now");
        assertEquals(SealedSecret.of(new byte[] {3}), store.get(ID).orElseThrow().secret());

        remote.down = false;
        // The spool is ahead of the store: a refresh goes to the spool, not past it into the store.
        assertTrue(store.commitRefresh(credential(4, (byte) 4, t0), 3, refreshed(t0), "a"));
        assertEquals(2, remote.get(ID).orElseThrow().version());
        assertEquals(1, store.pending());
        assertEquals(0, store.drain());
        assertEquals(credential(4, (byte) 4, t0), remote.get(ID).orElseThrow());
        assertEquals(1, remote.history(ID, Instant.EPOCH, 10).size(), "the refresh's history arrives with it");
    }

    @Test
    void aChangeNeitherTheStoreNorTheDiskTakesIsNotCommitted() throws IOException {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        Files.writeString(state.resolve("not-a-folder"), "x");
        SpooledStore store = new SpooledStore(remote, state.resolve("not-a-folder/spool"), 3600, clock);
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        StoreException refused = org.junit.jupiter.api.Assertions.assertThrows(StoreException.class,
                () -> store.compareAndSet(credential(2, (byte) 2, t0), 1));
        assertTrue(refused.getMessage().startsWith("store unreachable and the local spool cannot be written"), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("check free space and permissions of the state folder"), refused.getMessage());
        assertEquals(0, store.pending());
        assertEquals(1, store.get(ID).orElseThrow().version(), "still the last row known");
    }

    @Test
    void deletingACredentialDeletesItsSpooledChangeToo() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0), 1));
        remote.down = false;
        assertTrue(store.delete(ID));
        assertEquals(0, store.pending());
        assertFalse(Files.exists(state.resolve("spool-a/gazelle~default.json")));
        assertEquals(Optional.empty(), store.get(ID));
        assertEquals(Optional.empty(), daemon("a").get(ID), "a restart brings nothing back");
    }

    @Test
    void aCredentialDeletedHereIsNotServedFromMemoryWhileTheStoreIsDown() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        assertEquals(1, store.list().size());
        assertTrue(store.delete(ID));
        remote.down = true;
        assertEquals(Optional.empty(), store.get(ID));
        assertEquals(List.of(), store.list());
    }

    @Test
    void aSpooledChangeOfACredentialDeletedFromTheStoreMeanwhileIsDropped() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0), 1));
        remote.down = false;
        assertTrue(remote.delete(ID), "deleted through another daemon");
        assertEquals(0, store.drain());
        assertEquals(Optional.empty(), remote.get(ID), "not brought back");
        assertEquals(Optional.empty(), store.get(ID));
        assertFalse(Files.exists(state.resolve("spool-a/gazelle~default.json")));
    }

    @Test
    void whenTheStoresTokensAreNewerTheSpooledOnesGoAndTheVersionStepsPastEveryOneHandedOut() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0.plusSeconds(10)), 1));
        assertTrue(store.compareAndSet(credential(3, (byte) 3, t0.plusSeconds(20)), 2));
        remote.down = false;
        assertTrue(remote.compareAndSet(credential(2, (byte) 9, t0.plusSeconds(60)), 1), "another daemon refreshed later");

        assertEquals(0, store.drain());

        StoredCredential inStore = remote.get(ID).orElseThrow();
        assertEquals(credential(4, (byte) 9, t0.plusSeconds(60)), inStore,
                "the other daemon's tokens, at a version past 3 (this daemon served versions 2 and 3 with its own)");
        assertEquals(inStore, store.get(ID).orElseThrow());
        assertFalse(Files.exists(state.resolve("spool-a/gazelle~default.json")));
    }

    @Test
    void theNextOutageServesTheRowsThePushLeftInTheStoreWhicheverTokensWon() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        CredentialId overtaken = CredentialId.parse("vinted:shop");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        assertTrue(store.insert(credential(overtaken, 1, 1, t0)));
        remote.down = true;
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0.plusSeconds(10)), 1));
        assertTrue(store.compareAndSet(credential(overtaken, 2, 2, t0.plusSeconds(10)), 1));
        remote.down = false;
        assertTrue(remote.compareAndSet(credential(overtaken, 2, 9, t0.plusSeconds(60)), 1), "another daemon refreshed later");
        assertEquals(0, store.drain());

        remote.down = true;
        assertEquals(Optional.of(credential(2, (byte) 2, t0.plusSeconds(10))), store.get(ID), "the spooled tokens won");
        assertEquals(Optional.of(credential(overtaken, 3, 9, t0.plusSeconds(60))), store.get(overtaken),
                "the store's tokens won, at a version past the one this daemon handed out");
    }

    @Test
    void aRefusedCommitWhileTheStoreIsDownLeavesNeitherHistoryNorALeaseToGiveBack() {
        Instant t0 = Instant.now();
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0), 1));
        assertTrue(store.tryLease(ID, "a", t0.plusSeconds(3600)));
        remote.down = true;
        assertFalse(store.commitRefresh(credential(2, (byte) 3, t0), 1, refreshed(t0), "a"), "version 2 is known: 1 is stale");
        assertEquals(0, store.pending());
        remote.down = false;

        store.releaseLease(ID, "a");
        assertTrue(remote.tryLease(ID, "b", t0.plusSeconds(60)), "given back now: no spooled commit keeps it");
        assertEquals(0, store.drain());
        assertEquals(List.of(), remote.history(ID, Instant.EPOCH, 10), "a refused refresh has no history");
    }

    @Test
    void aGapInTheAnnouncementsLeavesNoLaterOneToPassForThisDaemonsOwn() {
        // Fails unless the spool notes the gap: the notice of A's insert, due since before A watched,
        // never came, and B's change would be taken for it.
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        importedByAThenRefreshedByB(a, b, t0);
        a.watch(change -> { });
        remote.gap();

        remote.down = true;
        assertTrue(a.compareAndSet(credential(3, (byte) 3, t0.plusSeconds(2)), 2), "spooled: A obtained the secret");
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "A's own while nothing else is announced");
        remote.down = false;
        assertTrue(remote.compareAndSet(credential(3, (byte) 9, t0.plusSeconds(4)), 2), "B writes; A hears of it");
        remote.down = true;
        assertThrows(() -> a.tryLease(ID, "a", t0.plusSeconds(60)));
    }

    @Test
    void onADueQueueACredentialNotReadBeforeTheOutageIsNotSaidToBeMissingWhileTheStoreIsDown() {
        withDueRows();
        CredentialId read = CredentialId.parse("gazelle:other");
        SpooledStore store = new SpooledStore(remote, state.resolve("spool"), 3600, clock);
        Instant now = clock.instant();
        assertTrue(remote.insert(credential(1, (byte) 1, now)), "written by another daemon, never read here");
        assertTrue(remote.insert(credential(read, 1, 2, now)));
        assertEquals(1, store.get(read).orElseThrow().version());
        remote.down = true;

        assertThrows(() -> store.get(ID));
        assertEquals(Optional.of(credential(read, 1, 2, now)), store.get(read), "remembered");
    }

    @Test
    void aSpoolLeftByTheLastStopIsPushedWhenTheDaemonOpensTheStore() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore before = daemon("a");
        assertTrue(before.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        assertTrue(before.compareAndSet(credential(2, (byte) 2, t0), 1));
        remote.down = false;
        remote.close(); // the daemon stops with the change in its spool only

        Unreachable reopened = new Unreachable(sqlite());
        SpooledStore restarted = new SpooledStore(reopened, state.resolve("spool-a"), 3600, clock);
        try {
            restarted.open(context());
            assertEquals(0, restarted.pending());
            assertEquals(credential(2, (byte) 2, t0), reopened.get(ID).orElseThrow());
        } finally {
            restarted.close();
        }
    }

    @Test
    void anOpenedSpoolPushesEveryRetryIntervalWithoutACallThatReachesTheStore() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        remote.close();
        Unreachable reopened = new Unreachable(sqlite());
        SpooledStore store = new SpooledStore(reopened, state.resolve("spool"), 1, clock);
        try {
            store.open(context());
            assertTrue(store.insert(credential(1, (byte) 1, t0)));
            reopened.down = true;
            assertTrue(store.compareAndSet(credential(2, (byte) 2, t0), 1));
            reopened.down = false;
            // The retry runs on the spool's own timer, every second: wall time, bounded.
            await().atMost(Duration.ofSeconds(10)).until(() -> store.pending() == 0);
            assertEquals(credential(2, (byte) 2, t0), reopened.get(ID).orElseThrow());
        } finally {
            store.close();
        }
    }

    @Test
    void aStopPushesTheSpoolAndTheHistoryToAStoreThatAnswersAndClosesTheStore() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0), 1));
        store.appendHistory(refreshed(t0));
        remote.down = false;

        store.close();

        org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> remote.get(ID), "the store is closed");
        Unreachable reopened = new Unreachable(sqlite());
        reopened.open(context());
        try {
            assertEquals(credential(2, (byte) 2, t0), reopened.get(ID).orElseThrow());
            assertEquals(1, reopened.history(ID, Instant.EPOCH, 10).size());
        } finally {
            reopened.close();
        }
    }

    @Test
    void theSpoolDrainsByItselfAsSoonAsTheStoreAnswersAgain() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0), 1));
        remote.down = false;
        assertEquals(1, store.list().size(), "a call that reaches the store");
        // The push runs on the spool's own thread: wall time, bounded.
        await().atMost(Duration.ofSeconds(10)).until(() -> store.pending() == 0);
        assertEquals(credential(2, (byte) 2, t0), remote.get(ID).orElseThrow());
    }

    @Test
    void aPurgeAlsoRemovesTheTemporaryFilesACrashLeftInTheSpoolFolderAndSaysWhenItCannot() throws IOException {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0), 1));
        remote.down = false;
        Files.writeString(state.resolve("spool-a/gazelle~default.json.tmp"), "an older sealed secret");

        PurgeResult purged = store.capability(Purge.class).orElseThrow().purgeOverwritten();

        assertFalse(purged instanceof PurgeResult.Failed, purged.summary());
        assertFalse(Files.exists(state.resolve("spool-a/gazelle~default.json.tmp")));
        assertEquals(1, store.pending(), "the spooled change itself stays");

        Files.createDirectories(state.resolve("spool-a/stuck.tmp/inside"));
        PurgeResult failed = store.capability(Purge.class).orElseThrow().purgeOverwritten();
        org.junit.jupiter.api.Assertions.assertInstanceOf(PurgeResult.Failed.class, failed);
        assertTrue(failed.summary().contains("could not remove the temporary files of the spool folder"), failed.summary());
    }

    @Test
    void aStoreWithoutAChangeFeedHasNoneThroughTheSpoolEither() {
        TokenStore bare = sqlite();
        SpooledStore store = new SpooledStore(bare, state.resolve("spool-bare"), 3600, clock);
        assertEquals(Optional.empty(), store.capability(ChangeFeed.class));
        IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> store.watch(change -> { }));
        assertEquals("the sqlite store offers no ChangeFeed: ask capability() before using it", refused.getMessage());
    }

    @Test
    void theSpoolPassesTheStoresAnnouncementsOn() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        List<StoreChange> heard = new CopyOnWriteArrayList<>();
        store.capability(ChangeFeed.class).orElseThrow().watch(heard::add);
        assertTrue(remote.insert(credential(1, (byte) 1, t0)));
        remote.gap();
        assertEquals(List.of(new StoreChange.Credentials(Set.of(ID)), new StoreChange.Everything()), heard);
    }

    @Test
    void aChangeAnnouncedWhileThisDaemonsRefreshWasUnderWayMakesItsSpooledSecretNobodysDuringTheOutage() {
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        a.watch(change -> { });
        importedByAThenRefreshedByB(a, b, t0);
        // A's refresh of version 2 starts under a lease that then runs out; B takes the lease and commits.
        assertTrue(a.tryLease(ID, "a", t0.minusSeconds(1)));
        refreshedByBAgain(b, t0);

        remote.down = true;
        // A, not having read version 3, spools its refresh of version 2: the secret it spent may be spent already.
        assertTrue(a.commitRefresh(credential(3, (byte) 4, t0.plusSeconds(3)), 2, refreshed(t0), "a"));
        assertThrows(() -> a.tryLease(ID, "a", t0.plusSeconds(60)));
    }

    @Test
    void aChangeAnnouncedWhileNoRefreshOfItWasUnderWayHereIsNotKept() {
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        a.watch(change -> { });
        importedByAThenRefreshedByB(a, b, t0);
        refreshedByBAgain(b, t0);
        // Any refresh of it here takes its lease first and then reads the row, so the notice cannot matter.
        assertEquals(0, a.outageNotices(), "nothing kept of another daemon's change to a credential not leased here");
    }

    @Test
    void theAnnouncementsOfADaemonsOwnWritesLeaveItsSecretItsOwn() {
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        a.watch(change -> { });
        importedByAThenRefreshedByB(a, b, t0);

        remote.down = true;
        assertTrue(a.compareAndSet(credential(3, (byte) 3, t0.plusSeconds(2)), 2), "spooled: A obtained the secret");
        assertTrue(a.compareAndSet(credential(4, (byte) 4, t0.plusSeconds(3)), 3));
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "A's own: its writes while down announced nothing");
        remote.down = false;
        assertEquals(0, a.drain(), "the two steps of A's push are announced to A");
        remote.down = true;
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "they were A's own writes: still the secret A obtained");
    }

    @Test
    void aFailedWriteIsNoWriteOfThisDaemonsWhenTheNextAnnouncementComes() {
        // Fails without SpooledStore.announcedWrite's finally: the write that threw left a notice due,
        // and the announcement of another daemon's change counted as this daemon's own.
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        a.watch(change -> { });
        importedByAThenRefreshedByB(a, b, t0);

        remote.down = true;
        assertTrue(a.compareAndSet(credential(3, (byte) 3, t0.plusSeconds(2)), 2), "A's write fails, and is spooled");
        remote.down = false;
        // B writes before A has reached the store again; its announcement reaches A.
        assertTrue(remote.compareAndSet(credential(3, (byte) 9, t0.plusSeconds(4)), 2));
        remote.down = true;
        assertThrows(() -> a.tryLease(ID, "a", t0.plusSeconds(60)));
    }

    @Test
    void rightAfterAnOutageACredentialThisDaemonDidNotRefreshWaitsForTheGraceOnTheClock() {
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        importedByAThenRefreshedByB(a, b, t0);

        remote.down = true;
        assertEquals(1, a.list().size(), "A notices the outage");
        remote.down = false;
        StoreUnavailableException refused = org.junit.jupiter.api.Assertions.assertThrows(StoreUnavailableException.class,
                () -> a.tryLease(ID, "a", t0.plusSeconds(60)));
        assertTrue(refused.getMessage().startsWith("store sqlite is back: less than 7202 s ago; gazelle:default is left"),
                refused.getMessage());
        assertTrue(remote.tryLease(ID, "c", t0.plusSeconds(60)), "A gave the lease back at once");
        remote.releaseLease(ID, "c");
        assertTrue(b.tryLease(ID, "b", t0.plusSeconds(60)), "B never lost the store: no grace for it");
        b.releaseLease(ID, "b");

        clock.advance(Duration.ofSeconds(7201));
        assertThrows(() -> a.tryLease(ID, "a", t0.plusSeconds(60)));
        clock.advance(Duration.ofSeconds(1));
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "the grace is twice the spool's retry plus 2 s");
    }

    @Test
    void inTheGraceADaemonReadsAgainWhatItObtainedDuringTheOutageBeforeRefreshingIt() {
        Instant t0 = Instant.now();
        Unreachable linkOfA = new Unreachable(remote);
        SpooledStore a = new SpooledStore(linkOfA, state.resolve("spool-a"), 3600, clock);
        SpooledStore b = daemon("b");
        importedByAThenRefreshedByB(a, b, t0);

        linkOfA.down = true; // A alone loses the store
        assertTrue(a.compareAndSet(credential(3, (byte) 3, t0.plusSeconds(2)), 2), "A obtained the secret");
        linkOfA.down = false;
        assertEquals(0, a.drain());
        // B, which never lost the store, refreshes A's secret; its announcement does not reach A.
        assertEquals(3, b.get(ID).orElseThrow().version());
        assertTrue(b.tryLease(ID, "b", t0.plusSeconds(60)));
        assertTrue(b.commitRefresh(credential(4, (byte) 4, t0.plusSeconds(3)), 3, refreshed(t0), "b"));

        assertThrows(() -> a.tryLease(ID, "a", t0.plusSeconds(60)));
        assertEquals(SealedSecret.of(new byte[] {4}), a.get(ID).orElseThrow().secret(), "A read B's refresh");
    }

    @Test
    void theFirstCallThatFailsStartsTheOutageAndTheFirstThatReachesTheStoreAgainStartsTheGrace() {
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        importedByAThenRefreshedByB(a, b, t0);
        Map<String, Runnable> failingFirst = new LinkedHashMap<>();
        failingFirst.put("get", () -> a.get(ID));
        failingFirst.put("appendHistory", () -> a.appendHistory(refreshed(t0)));
        failingFirst.put("releaseLease", () -> a.releaseLease(ID, "a"));
        failingFirst.put("compareAndSet", () -> assertFalse(a.compareAndSet(credential(2, (byte) 3, t0), 1)));
        failingFirst.put("commitRefresh", () -> assertFalse(a.commitRefresh(credential(2, (byte) 3, t0), 1, refreshed(t0), "a")));
        failingFirst.put("listPage", () -> a.listPage(Optional.empty(), 5));
        failingFirst.put("tally", () -> assertThrows(a::tally));
        for (Map.Entry<String, Runnable> call : failingFirst.entrySet()) {
            remote.down = true;
            call.getValue().run();
            remote.down = false;
            assertThrows(() -> a.tryLease(ID, "a", t0.plusSeconds(60)));
            clock.advance(Duration.ofSeconds(7202));
            assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "after the grace that " + call.getKey() + "'s outage began");
            a.releaseLease(ID, "a");
        }
        Map<String, Runnable> answeredFirst = new LinkedHashMap<>();
        answeredFirst.put("get", () -> a.get(ID));
        answeredFirst.put("list", a::list);
        answeredFirst.put("compareAndSet", () -> assertFalse(a.compareAndSet(credential(2, (byte) 3, t0), 1)));
        answeredFirst.put("commitRefresh", () -> assertFalse(a.commitRefresh(credential(2, (byte) 3, t0), 1, refreshed(t0), "a")));
        answeredFirst.put("listPage", () -> a.listPage(Optional.empty(), 5));
        answeredFirst.put("tally", a::tally);
        for (Map.Entry<String, Runnable> call : answeredFirst.entrySet()) {
            remote.down = true;
            a.get(ID);
            remote.down = false;
            call.getValue().run();
            clock.advance(Duration.ofSeconds(7202));
            assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "the grace began when " + call.getKey() + " reached the store");
            a.releaseLease(ID, "a");
        }
        assertEquals(0, a.pending(), "the stale writes were refused, not spooled");
    }

    @Test
    void aPushThatMeetsAnotherDaemonsWriteIsTriedAgainOnTheNextDrain() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore a = daemon("a");
        assertTrue(a.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        assertTrue(a.compareAndSet(credential(2, (byte) 2, t0.plusSeconds(10)), 1));
        remote.down = false;
        // Another daemon writes between the push's read and its compare-and-set.
        remote.beforeNextWrite = () -> assertTrue(remote.compareAndSet(credential(2, (byte) 9, t0.plusSeconds(20)), 1));

        assertEquals(1, a.drain(), "the push lost the race: still pending");
        assertEquals(SealedSecret.of(new byte[] {9}), remote.get(ID).orElseThrow().secret());
        assertEquals(SealedSecret.of(new byte[] {2}), a.get(ID).orElseThrow().secret(), "the spool still serves its own");

        assertEquals(0, a.drain());
        assertEquals(credential(3, (byte) 9, t0.plusSeconds(20)), remote.get(ID).orElseThrow(),
                "the other daemon's newer tokens, past the version this daemon handed out");
        assertEquals(remote.get(ID), a.get(ID));
    }

    @Test
    void theDrainsReadOfTheStoreConfirmsWhatWasAnnouncedSoTheDaemonWhoseSecretWonGoesOn() {
        Instant t0 = Instant.now();
        SpooledStore a = daemon("a");
        SpooledStore b = daemon("b");
        a.watch(change -> { });
        importedByAThenRefreshedByB(a, b, t0);

        remote.down = true;
        assertTrue(a.compareAndSet(credential(3, (byte) 3, t0.plusSeconds(10)), 2), "A obtained a new secret");
        remote.down = false;
        // B marks the old secret for a human meanwhile: announced to A, which has not read it.
        StoredCredential marked = credential(2, (byte) 2, t0.plusSeconds(1)).withStatus(CredentialStatus.REQUIRES_CONFIGURATION,
                Optional.of("invalid_grant"), t0.plusSeconds(11));
        assertTrue(remote.compareAndSet(marked, 2));

        assertEquals(0, a.drain(), "A's newer secret wins over a status change");
        assertEquals(SealedSecret.of(new byte[] {3}), remote.get(ID).orElseThrow().secret());
        remote.down = true;
        assertTrue(a.tryLease(ID, "a", t0.plusSeconds(60)), "the drain read the announced change: the secret is A's");
    }

    @Test
    void historyWrittenWhileTheStoreWasDownReachesItAtTheStop() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        store.appendHistory(refreshed(t0));
        remote.down = false;
        assertEquals(0, store.pending(), "no credential change to push, only history");

        store.close();

        Unreachable reopened = new Unreachable(sqlite());
        reopened.open(context());
        try {
            assertEquals(1, reopened.history(ID, Instant.EPOCH, 10).size());
        } finally {
            reopened.close();
        }
    }

    /**
     * Delegates to a real store, or throws as an unreachable one does. Like a store with a change feed,
     * it announces every write made through it to the daemons watching it (the switch cuts the calls,
     * not the feed). Wrapped around another one, it is one daemon's own link to the shared store.
     */
    /** The SQLite store with a due queue beside it behind the switch, in place of the plain one. */
    private DueRowsStore withDueRows() {
        remote.close();
        DueRowsStore rows = new DueRowsStore(clock);
        remote = new Unreachable(rows);
        remote.open(context());
        return rows;
    }

    private static List<CredentialId> ids(List<DueWork.Claim> claims) {
        return claims.stream().map(claim -> claim.credential().id()).toList();
    }

    @Test
    void theStoresDueQueueIsOfferedThroughTheSpoolAndEveryCallReachesIt() {
        CredentialId other = CredentialId.parse("gazelle:other");
        DueRowsStore rows = withDueRows();
        SpooledStore store = new SpooledStore(remote, state.resolve("spool"), 3600, clock);
        assertSame(store, store.capability(DueWork.class).orElseThrow());
        Instant now = clock.instant();
        assertTrue(store.insert(credential(1, (byte) 1, now)));
        assertTrue(store.insert(credential(other, 1, 2, now)));
        assertEquals(Optional.of(Instant.MIN), store.earliestDue());

        store.plan(ID, Optional.of(now.plusSeconds(60)), true);
        assertEquals(Optional.of(now.plusSeconds(60)), store.nextDue(ID));
        List<DueWork.Claim> claimed = store.claimDue("me", now.plusSeconds(60), now.plusSeconds(120), 5);
        assertEquals(List.of(other, ID), ids(claimed), "the unplanned row first");
        assertTrue(claimed.get(1).retry());
        assertEquals(Optional.of("me"), rows.leaseHolder(ID));

        store.release(other, "me", Optional.of(now.plusSeconds(600)), false);
        assertEquals(Optional.of(now.plusSeconds(600)), rows.nextDue(other));
        assertEquals(Optional.empty(), rows.leaseHolder(other));
        RefreshEvent event = new RefreshEvent(ID, now, dev.tokenkeeper.api.RefreshOutcome.REFRESHED, "", Duration.ZERO, 2);
        assertTrue(store.commitRefresh(credential(2, (byte) 2, now), 1, event, "me", Optional.of(now.plusSeconds(3000))));
        assertEquals(2, remote.get(ID).orElseThrow().version());
        assertEquals(Optional.of(now.plusSeconds(3000)), rows.nextDue(ID), "written with the commit");
        assertEquals(Optional.empty(), rows.leaseHolder(ID));
        assertEquals(Optional.of(now.plusSeconds(600)), store.earliestDue());
    }

    @Test
    void theStoresDueQueueAnswersAStaleCommitAndTheDueTimesOfManyThroughTheSpool() {
        CredentialId other = CredentialId.parse("gazelle:other");
        DueRowsStore rows = withDueRows();
        SpooledStore store = new SpooledStore(remote, state.resolve("spool"), 3600, clock);
        Instant now = clock.instant();
        assertTrue(store.insert(credential(1, (byte) 1, now)));
        assertTrue(store.insert(credential(other, 1, 2, now)));
        store.plan(ID, Optional.of(now.plusSeconds(60)), true);
        store.plan(other, Optional.of(now.plusSeconds(90)), true);
        assertEquals(Map.of(ID, now.plusSeconds(60), other, now.plusSeconds(90)), store.nextDue(List.of(ID, other)));

        RefreshEvent event = new RefreshEvent(ID, now, dev.tokenkeeper.api.RefreshOutcome.REFRESHED, "", Duration.ZERO, 3);
        assertFalse(store.commitRefresh(credential(3, (byte) 3, now), 2, event, "me", Optional.of(now.plusSeconds(3000))),
                "a stale refresh loses");
        assertEquals(1, remote.get(ID).orElseThrow().version());
        assertEquals(Optional.of(now.plusSeconds(60)), rows.nextDue(ID), "the due time stands");
    }

    @Test
    void rightAfterAnOutageAClaimedRowAnotherDaemonWroteIsGivenBackDueAgainAfterThePushInterval() {
        DueRowsStore rows = withDueRows();
        SpooledStore store = new SpooledStore(remote, state.resolve("spool"), 5, clock);
        Instant now = clock.instant();
        assertTrue(rows.insert(credential(1, (byte) 1, now.plusSeconds(1))), "written by another daemon");
        remote.down = true;
        org.junit.jupiter.api.Assertions.assertThrows(StoreUnavailableException.class,
                () -> store.claimDue("me", now, now.plusSeconds(60), 5));
        remote.down = false;

        assertEquals(List.of(), store.claimDue("me", now, now.plusSeconds(60), 5),
                "left to the daemon that may have refreshed it during the outage");
        assertEquals(Optional.of(now.plusSeconds(5)), rows.nextDue(ID), "due again after the next push");
        assertEquals(Optional.empty(), rows.leaseHolder(ID));

        clock.advance(Duration.ofSeconds(12)); // the grace: twice the push interval and two seconds
        assertEquals(List.of(ID), ids(store.claimDue("me", clock.instant(), clock.instant().plusSeconds(60), 5)));
    }

    @Test
    void aClaimedRowWhoseChangeIsStillInTheSpoolIsGivenBackDueAgainAfterThePushInterval() {
        DueRowsStore rows = withDueRows();
        Instant t0 = clock.instant();
        SpooledStore restarted = restartedWithAChangeInTheSpool(t0);

        assertEquals(List.of(), restarted.claimDue("me", t0, t0.plusSeconds(60), 5), "the store's row is older than the spool's");
        assertEquals(Optional.of(t0.plusSeconds(3600)), rows.nextDue(ID), "due again after the next push");
        assertEquals(Optional.empty(), rows.leaseHolder(ID));

        assertEquals(0, restarted.drain());
        Instant later = t0.plusSeconds(3600);
        assertEquals(List.of(ID), ids(restarted.claimDue("me", later, later.plusSeconds(60), 5)));
    }

    @Test
    void theSoonestExpiryOfTheTallyIsASpooledActiveOnesWhenItIsSoonerAndNeverAFailedOnes() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        CredentialId failed = CredentialId.parse("vinted:other");
        SpooledStore store = daemon("a");
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        assertTrue(store.insert(credential(failed, 1, 2, t0)));
        remote.down = true;
        // A refresh that gave a shorter-lived token; a refresh that failed with a still shorter one left in the row.
        assertTrue(store.compareAndSet(credential(2, (byte) 2, t0.minusSeconds(30)), 1));
        assertTrue(store.compareAndSet(credential(failed, 2, 3, t0.minusSeconds(50)).withStatus(CredentialStatus.ERROR,
                Optional.of("rejected"), t0), 1));
        remote.down = false;

        assertEquals(new Tally.Counts(Map.of(CredentialStatus.ACTIVE, 1L, CredentialStatus.ERROR, 1L),
                Optional.of(t0.plusSeconds(30))), store.capability(Tally.class).orElseThrow().tally());
    }

    @Test
    void theTallyCountsASpooledChangeInsteadOfTheStoresRowAndFailsWhileTheStoreIsDown() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        CredentialId other = CredentialId.parse("vinted:other");
        SpooledStore store = new SpooledStore(remote, state.resolve("spool"), 3600, clock);
        assertTrue(store.insert(credential(1, (byte) 1, t0)));
        assertTrue(store.insert(credential(other, 1, 2, t0.plusSeconds(60))));
        Tally tally = store.capability(Tally.class).orElseThrow();
        assertEquals(new Tally.Counts(Map.of(CredentialStatus.ACTIVE, 2L), Optional.of(t0.plusSeconds(60))), tally.tally());

        remote.down = true;
        assertTrue(store.compareAndSet(credential(1, (byte) 1, t0).withStatus(CredentialStatus.ERROR,
                Optional.of("rejected"), t0.plusSeconds(5)), 1));
        org.junit.jupiter.api.Assertions.assertThrows(StoreUnavailableException.class, tally::tally, "no counts while the store is down (metrics keep the last)");

        remote.down = false;
        Tally.Counts beforeThePush = tally.tally();
        assertEquals(Map.of(CredentialStatus.ACTIVE, 1L, CredentialStatus.ERROR, 1L), beforeThePush.byStatus(),
                "the spooled status counts, not the store's row");
        assertEquals(Optional.of(t0.plusSeconds(60)), beforeThePush.soonestExpiry(),
                "until the push, the store's row the spool replaced may still give the soonest expiry");
        assertEquals(0, store.drain());
        assertEquals(new Tally.Counts(Map.of(CredentialStatus.ACTIVE, 1L, CredentialStatus.ERROR, 1L),
                Optional.of(t0.plusSeconds(120))), tally.tally(), "after the push, the store's counts alone");
    }

    private static final class Unreachable implements TokenStore, Leases, ChangeFeed, Purge, DueWork, Tally {
        private final TokenStore real;
        private final Leases realLeases;
        private final List<ChangeListener> watchers = new CopyOnWriteArrayList<>();
        volatile boolean down;
        /** Runs once, before the next compare-and-set through this link reaches the store. */
        volatile Runnable beforeNextWrite;

        Unreachable(TokenStore real) {
            this.real = real;
            this.realLeases = real.capability(Leases.class).orElseThrow();
        }

        /** Offers the due queue only when the real store does. */
        @Override
        public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
            return type == DueWork.class && real.capability(DueWork.class).isEmpty() ? Optional.empty()
                    : StoreCapability.offeredBy(type, this);
        }

        private DueWork due() {
            check();
            return real.capability(DueWork.class).orElseThrow();
        }

        private void check() {
            if (down) {
                throw new StoreUnavailableException("test: store unreachable", null);
            }
        }

        /** @return whether it was written, announced to the watchers when it was */
        private boolean announce(CredentialId id, boolean written) {
            if (written) {
                watchers.forEach(listener -> listener.changed(new StoreChange.Credentials(Set.of(id))));
            }
            return written;
        }

        /** The feed was interrupted: changes may have gone unannounced. */
        void gap() {
            watchers.forEach(listener -> listener.changed(new StoreChange.Everything()));
        }

        @Override public void watch(ChangeListener listener) { watchers.add(listener); }
        /** Each write through it is announced at once, to every watcher: its own writes come back one by one. */
        @Override public boolean announcesOwnChanges() { return true; }
        @Override public PurgeResult purgeOverwritten() { check(); return real.capability(Purge.class).orElseThrow().purgeOverwritten(); }
        @Override public String id() { return real.id(); }
        @Override public void open(PluginContext context) { real.open(context); }
        @Override public Optional<StoredCredential> get(CredentialId id) { check(); return real.get(id); }
        @Override public List<StoredCredential> list() { check(); return real.list(); }
        @Override public boolean insert(StoredCredential c) { check(); return announce(c.id(), real.insert(c)); }
        @Override public boolean compareAndSet(StoredCredential u, long e) {
            check();
            Runnable first = beforeNextWrite;
            beforeNextWrite = null;
            if (first != null) {
                first.run();
            }
            return announce(u.id(), real.compareAndSet(u, e));
        }
        @Override public boolean delete(CredentialId id) { check(); return announce(id, real.delete(id)); }
        @Override public boolean tryLease(CredentialId id, String o, Instant u) { check(); return realLeases.tryLease(id, o, u); }
        @Override public void releaseLease(CredentialId id, String o) { check(); realLeases.releaseLease(id, o); }
        @Override public void appendHistory(RefreshEvent e) { check(); real.appendHistory(e); }
        @Override public List<RefreshEvent> history(CredentialId id, Instant s, int l) { check(); return real.history(id, s, l); }
        @Override public boolean commitRefresh(StoredCredential u, long e, RefreshEvent ev, String o) {
            check();
            return announce(u.id(), realLeases.commitRefresh(u, e, ev, o));
        }
        @Override public List<Claim> claimDue(String o, Instant n, Instant u, int l) { return due().claimDue(o, n, u, l); }
        @Override public boolean commitRefresh(StoredCredential u, long e, RefreshEvent ev, String o, Optional<Instant> d) {
            return announce(u.id(), due().commitRefresh(u, e, ev, o, d));
        }
        @Override public void release(CredentialId id, String o, Optional<Instant> d, boolean r) { due().release(id, o, d, r); }
        @Override public void plan(CredentialId id, Optional<Instant> d, boolean r) { due().plan(id, d, r); }
        @Override public Optional<Instant> nextDue(CredentialId id) { return due().nextDue(id); }
        @Override public Optional<Instant> earliestDue() { return due().earliestDue(); }
        @Override public Tally.Counts tally() { check(); return real.capability(Tally.class).orElseThrow().tally(); }
        @Override public void close() { real.close(); }
    }

    /**
     * Daemon "a" spooled version 2 of the credential while the store was down; the store answers again,
     * and a restart finds the change on disk: not opened yet, nothing has pushed it.
     */
    private SpooledStore restartedWithAChangeInTheSpool(Instant t0) {
        SpooledStore before = daemon("a");
        assertTrue(before.insert(credential(1, (byte) 1, t0)));
        remote.down = true;
        before.get(ID);
        assertTrue(before.compareAndSet(credential(2, (byte) 2, t0.plusSeconds(1)), 1), "spooled");
        remote.down = false;
        return daemon("a");
    }
}
