package dev.tokenkeeper.store.sqlite;

import static dev.tokenkeeper.store.sqlite.Credentials.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void commitRefreshWritesTheRowItsHistoryAndReleasesTheLeaseTogether() {
        StoredCredential first = Credentials.minimal("gazelle:a", (byte) 1);
        assertTrue(store.insert(first));
        assertTrue(store.tryLease(first.id(), "me", T0.plusSeconds(60)));
        StoredCredential second = Credentials.next(first, "two");
        RefreshEvent event = new RefreshEvent(first.id(), T0, RefreshOutcome.REFRESHED, "", Duration.ofMillis(5), 2);
        assertTrue(store.commitRefresh(second, 1, event, "me"));
        assertEquals(2, store.get(first.id()).orElseThrow().version());
        assertEquals(List.of(event), store.history(first.id(), Instant.EPOCH, 10));
        assertTrue(store.tryLease(first.id(), "someone-else", T0.plusSeconds(60)), "the lease was given back");

        StoredCredential stale = Credentials.next(first, "stale");
        assertFalse(store.commitRefresh(stale, 1, event, "me"), "a stale version loses");
        assertEquals(1, store.history(first.id(), Instant.EPOCH, 10).size(), "and writes no history");
        assertFalse(store.tryLease(first.id(), "me", T0.plusSeconds(60)), "nor releases someone else's lease");
    }

    @Test
    void idIsSqlite() {
        assertEquals("sqlite", store.id());
    }

    @Test
    void roundTripsEveryField() {
        StoredCredential full = new StoredCredential(CredentialId.parse("gazelle:ops@example.com"),
                CredentialStatus.REQUIRES_CONFIGURATION, SealedSecret.of(new byte[] {1, 0, -1, 127, -128}),
                Instant.parse("2025-01-02T03:04:05.006Z"),
                Optional.of(Instant.parse("2025-01-02T04:04:05.006Z")),
                Optional.of(Instant.parse("2025-02-02T03:04:05.999Z")),
                42, Optional.of(Instant.parse("2025-01-02T03:04:05.001Z")),
                Optional.of("upstream said invalid_grant: import again"),
                Instant.parse("2025-01-02T03:04:06Z"));
        StoredCredential empty = Credentials.minimal("vinted:admin", (byte) 9);

        assertTrue(store.insert(full));
        assertTrue(store.insert(empty));

        assertEquals(Optional.of(full), store.get(full.id()));
        assertEquals(Optional.of(empty), store.get(empty.id()));
        for (CredentialStatus status : CredentialStatus.values()) {
            StoredCredential withStatus = Credentials.minimal("gazelle:status-" + status.wireName(), (byte) 1);
            withStatus = new StoredCredential(withStatus.id(), status, withStatus.secret(), withStatus.issuedAt(),
                    withStatus.accessExpiresAt(), withStatus.refreshExpiresAt(), 1, withStatus.lastRefreshAt(),
                    withStatus.lastError(), withStatus.updatedAt());
            assertTrue(store.insert(withStatus));
            assertEquals(status, store.get(withStatus.id()).orElseThrow().status());
        }
        assertEquals(Optional.empty(), store.get(CredentialId.parse("gazelle:nobody")));
    }

    @Test
    void keepsSealedBytesExactlyAsGiven() {
        byte[] sealed = new byte[4096];
        for (int i = 0; i < sealed.length; i++) {
            sealed[i] = (byte) (i * 31 + 7);
        }
        assertTrue(store.insert(Credentials.minimal("gazelle:default", sealed)));

        assertArrayEquals(sealed, store.get(CredentialId.parse("gazelle:default")).orElseThrow().secret().bytes());
        byte[] emptySecret = new byte[0];
        assertTrue(store.insert(Credentials.minimal("gazelle:empty", emptySecret)));
        assertEquals(0, store.get(CredentialId.parse("gazelle:empty")).orElseThrow().secret().length());
    }

    @Test
    void listsInIdOrder() {
        for (String id : List.of("vinted:b", "gazelle:z", "vinted:a", "gazelle:default", "a-b:x")) {
            assertTrue(store.insert(Credentials.minimal(id, (byte) 1)));
        }
        assertEquals(List.of("a-b:x", "gazelle:default", "gazelle:z", "vinted:a", "vinted:b"),
                store.list().stream().map(c -> c.id().toString()).toList());
    }

    @Test
    void insertOfAnExistingIdReturnsFalseAndKeepsTheRow() {
        StoredCredential first = Credentials.minimal("gazelle:default", (byte) 1);
        assertTrue(store.insert(first));

        assertFalse(store.insert(Credentials.minimal("gazelle:default", (byte) 2)));
        assertEquals(Optional.of(first), store.get(first.id()));
    }

    @Test
    void deleteRemovesTheCredentialButKeepsItsHistory() {
        StoredCredential credential = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(credential);
        store.appendHistory(new RefreshEvent(credential.id(), T0, RefreshOutcome.IMPORTED, "", Duration.ZERO, 1));

        assertTrue(store.delete(credential.id()));
        assertFalse(store.delete(credential.id()));
        assertEquals(Optional.empty(), store.get(credential.id()));
        assertEquals(List.of(), store.list());
        assertEquals(1, store.history(credential.id(), Instant.EPOCH, 10).size());
        // The id may be imported again after a delete.
        assertTrue(store.insert(credential));
    }

    @Test
    void compareAndSetWritesOnlyOnTheExpectedVersion() {
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        StoredCredential v2 = Credentials.next(v1, "first writer");
        StoredCredential staleV2 = Credentials.next(v1, "second writer");

        assertTrue(store.compareAndSet(v2, 1));
        assertFalse(store.compareAndSet(staleV2, 1), "a writer that read version 1 must lose");
        assertEquals(Optional.of(v2), store.get(v1.id()));
        assertFalse(store.compareAndSet(Credentials.next(Credentials.minimal("gazelle:absent", (byte) 1), "x"), 1),
                "compare-and-set of a missing credential");
    }

    @Test
    void compareAndSetRejectsVersionsThatDoNotAddUp() {
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        StoredCredential v2 = Credentials.next(v1, "x");

        assertThrows(IllegalArgumentException.class, () -> store.compareAndSet(v2, 0));
        assertThrows(IllegalArgumentException.class, () -> store.compareAndSet(v2, 2));
        assertThrows(IllegalArgumentException.class, () -> store.compareAndSet(v1, 1));
        assertEquals(Optional.of(v1), store.get(v1.id()));
    }

    @Test
    void compareAndSetLeavesTheLeaseAlone() {
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        assertTrue(store.tryLease(v1.id(), "daemon-a", T0.plusSeconds(60)));

        assertTrue(store.compareAndSet(Credentials.next(v1, "refreshed"), 1));

        assertFalse(store.tryLease(v1.id(), "daemon-b", T0.plusSeconds(60)), "the lease survived the update");
        store.releaseLease(v1.id(), "daemon-a");
        assertTrue(store.tryLease(v1.id(), "daemon-b", T0.plusSeconds(60)));
    }

    @Test
    void historyReturnsTheNewestEventsSinceAGivenTimeOldestFirst() {
        CredentialId id = CredentialId.parse("gazelle:default");
        CredentialId other = CredentialId.parse("vinted:default");
        RefreshOutcome[] outcomes = RefreshOutcome.values();
        // Appended out of time order on purpose: the order is by time, not by arrival.
        int[] minutes = {5, 0, 3, 1, 4, 2, 6, 7, 9, 8};
        for (int i = 0; i < minutes.length; i++) {
            store.appendHistory(new RefreshEvent(id, T0.plus(Duration.ofMinutes(minutes[i])),
                    outcomes[minutes[i] % outcomes.length], "event " + minutes[i],
                    Duration.ofMillis(100 + minutes[i]), minutes[i]));
        }
        store.appendHistory(new RefreshEvent(other, T0.plus(Duration.ofMinutes(9)), RefreshOutcome.REFRESHED,
                "someone else", Duration.ZERO, 1));

        List<RefreshEvent> all = store.history(id, Instant.EPOCH, 100);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), all.stream().map(RefreshEvent::version).toList());
        RefreshEvent third = all.get(3);
        assertEquals(new RefreshEvent(id, T0.plus(Duration.ofMinutes(3)), outcomes[3], "event 3",
                Duration.ofMillis(103), 3), third);

        assertEquals(List.of(7L, 8L, 9L),
                store.history(id, Instant.EPOCH, 3).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L),
                store.history(id, T0.plus(Duration.ofMinutes(4)), 100).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(8L, 9L),
                store.history(id, T0.plus(Duration.ofMinutes(4)), 2).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(), store.history(id, T0.plus(Duration.ofMinutes(10)), 5));
        assertEquals(List.of(), store.history(id, Instant.EPOCH, 0));
        assertThrows(IllegalArgumentException.class, () -> store.history(id, Instant.EPOCH, -1));
        assertEquals(1, store.history(other, Instant.EPOCH, 100).size());
    }

    @Test
    void eventsAtTheSameInstantKeepTheirAppendOrder() {
        CredentialId id = CredentialId.parse("gazelle:default");
        for (int i = 0; i < 5; i++) {
            store.appendHistory(new RefreshEvent(id, T0, RefreshOutcome.VALIDATED, "n" + i, Duration.ZERO, i));
        }
        assertEquals(List.of("n2", "n3", "n4"),
                store.history(id, T0, 3).stream().map(RefreshEvent::detail).toList());
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

    @Test
    void closedStoreRefusesCalls() {
        store.close();
        store.close();
        StoreException closed = assertThrows(StoreException.class, () -> store.list());
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }
}
