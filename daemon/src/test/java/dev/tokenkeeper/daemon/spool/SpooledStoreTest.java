package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.StoreCapability;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        TokenStore sqlite = ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
                .filter(store -> store.id().equals("sqlite")).findFirst().orElseThrow();
        remote = new Unreachable(sqlite);
        remote.open(context());
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
        return new StoredCredential(ID, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {secret}), issued,
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

    /** Delegates to a real store, or throws as an unreachable one does. */
    private static final class Unreachable implements TokenStore, Leases {
        private final TokenStore real;
        private final Leases realLeases;
        volatile boolean down;

        Unreachable(TokenStore real) {
            this.real = real;
            this.realLeases = real.capability(Leases.class).orElseThrow();
        }

        @Override
        public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
            return StoreCapability.offeredBy(type, this);
        }

        private void check() {
            if (down) {
                throw new StoreUnavailableException("test: store unreachable", null);
            }
        }

        @Override public String id() { return real.id(); }
        @Override public void open(PluginContext context) { real.open(context); }
        @Override public Optional<StoredCredential> get(CredentialId id) { check(); return real.get(id); }
        @Override public List<StoredCredential> list() { check(); return real.list(); }
        @Override public boolean insert(StoredCredential c) { check(); return real.insert(c); }
        @Override public boolean compareAndSet(StoredCredential u, long e) { check(); return real.compareAndSet(u, e); }
        @Override public boolean delete(CredentialId id) { check(); return real.delete(id); }
        @Override public boolean tryLease(CredentialId id, String o, Instant u) { check(); return realLeases.tryLease(id, o, u); }
        @Override public void releaseLease(CredentialId id, String o) { check(); realLeases.releaseLease(id, o); }
        @Override public void appendHistory(RefreshEvent e) { check(); real.appendHistory(e); }
        @Override public List<RefreshEvent> history(CredentialId id, Instant s, int l) { check(); return real.history(id, s, l); }
        @Override public boolean commitRefresh(StoredCredential u, long e, RefreshEvent ev, String o) {
            check();
            return realLeases.commitRefresh(u, e, ev, o);
        }
        @Override public void close() { real.close(); }
    }
}
