package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.store.DueWork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The due queue's claims and refresh commits on the real PostgreSQL. A claimed row is due again at its
 * lease's end. Commits from many threads of one daemon go in groups (one
 * statement over arrays each), and each keeps its own version check. A commit whose version
 * moved is refused and leaves its row, lease and history as they were; every other is written once,
 * with its history event, its next due time and its lease given back.
 */
class PostgresGroupCommitTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @RegisterExtension
    final OpenedStores stores = new OpenedStores(POSTGRES);

    @TempDir
    Path temp;

    @Test
    void concurrentCommitsAreEachWrittenOnceOrRefusedByTheirOwnVersionCheck() throws Exception {
        PostgresTokenStore store = stores.open(PostgresServer.freshSchema(), temp);
        int rows = 96;
        for (int i = 0; i < rows; i++) {
            store.insert(OpenedStores.credential("gazelle:c" + i, 1));
        }
        Instant now = Instant.now();
        assertEquals(rows, store.claimDue("me", now, now.plusSeconds(60), rows).size());
        Instant nextDue = now.plus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);

        ExecutorService threads = Executors.newFixedThreadPool(16);
        List<Future<Boolean>> results = new ArrayList<>();
        try {
            for (int i = 0; i < rows; i++) {
                // Every eighth was changed by someone else meanwhile: its caller read version 5, the row holds 1.
                long read = i % 8 == 0 ? 5 : 1;
                StoredCredential updated = OpenedStores.credential("gazelle:c" + i, read + 1);
                RefreshEvent event = new RefreshEvent(updated.id(), now, RefreshOutcome.REFRESHED, "", Duration.ZERO,
                        updated.version());
                Callable<Boolean> commit = () -> store.commitRefresh(updated, read, event, "me", Optional.of(nextDue));
                results.add(threads.submit(commit));
            }
            for (int i = 0; i < rows; i++) {
                assertEquals(i % 8 != 0, results.get(i).get(30, TimeUnit.SECONDS), "commit " + i);
            }
        } finally {
            threads.shutdownNow();
        }
        Set<CredentialId> stillLeased = new HashSet<>(store.leasedBy("me"));
        for (int i = 0; i < rows; i++) {
            CredentialId id = CredentialId.parse("gazelle:c" + i);
            boolean refused = i % 8 == 0;
            assertEquals(refused ? 1 : 2, store.get(id).orElseThrow().version(), "version of " + id);
            assertEquals(refused ? 0 : 1, store.history(id, now.minusSeconds(1), 10).size(), "history of " + id);
            assertEquals(refused, stillLeased.contains(id), "lease of " + id);
            assertEquals(refused ? Optional.empty() : Optional.of(nextDue), store.nextDue(id).filter(at -> at.isAfter(now)),
                    "next due of " + id);
        }
    }

    @Test
    void aGroupStatementWritesEachRowBehindItsOwnVersionCheckAndAllOrNothing() {
        PostgresTokenStore store = stores.open(PostgresServer.freshSchema(), temp);
        for (int i = 0; i < 4; i++) {
            store.insert(OpenedStores.credential("gazelle:g" + i, 1));
        }
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        store.claimDue("me", now, now.plusSeconds(60), 3);
        // g3 is leased by nobody, g2's commit comes from another owner: each keeps the lease it has.
        Instant nextDue = now.plus(Duration.ofHours(1));
        byte[] secret = {9, 8, 7};
        StoredCredential g0 = new StoredCredential(CredentialId.parse("gazelle:g0"), CredentialStatus.ACTIVE,
                SealedSecret.of(secret), now, Optional.empty(), Optional.of(now.plusSeconds(600)), 2, Optional.of(now),
                Optional.of("a note"), now);
        List<DueRows.Commit> group = List.of(
                commit(g0, 1, "me", Optional.of(nextDue)),
                commit(OpenedStores.credential("gazelle:g1", 6), 5, "me", Optional.of(nextDue)),
                commit(OpenedStores.credential("gazelle:g2", 2), 1, "someone else", Optional.empty()),
                commit(OpenedStores.credential("gazelle:g3", 2), 1, "me", Optional.of(nextDue)));

        assertEquals(List.of(true, false, true, true), store.commitInOne(group));

        StoredCredential read = store.get(g0.id()).orElseThrow();
        assertArrayEquals(secret, read.secret().bytes());
        assertEquals(Optional.empty(), read.accessExpiresAt());
        assertEquals(Optional.of(now.plusSeconds(600)), read.refreshExpiresAt());
        assertEquals(Optional.of("a note"), read.lastError());
        assertEquals(2, read.version());
        assertEquals(1, store.get(CredentialId.parse("gazelle:g1")).orElseThrow().version(), "refused: left as it was");
        assertEquals(Set.of(CredentialId.parse("gazelle:g1"), CredentialId.parse("gazelle:g2")), new HashSet<>(store.leasedBy("me")),
                "g0 given back, g1 refused, g2 not given back by another owner's commit");
        assertEquals(Optional.of(nextDue), store.nextDue(g0.id()));
        assertEquals(Optional.empty(), store.nextDue(CredentialId.parse("gazelle:g2")), "kept out of claims");
        for (int i = 0; i < 4; i++) {
            CredentialId id = CredentialId.parse("gazelle:g" + i);
            assertEquals(i == 1 ? 0 : 1, store.history(id, now.minusSeconds(1), 10).size(), "history of " + id);
        }

        // Two commits of one credential cannot share a statement: refused as a whole, nothing written.
        List<DueRows.Commit> twice = List.of(commit(OpenedStores.credential("gazelle:g1", 2), 1, "me", Optional.empty()),
                commit(OpenedStores.credential("gazelle:g1", 2), 1, "me", Optional.empty()));
        assertThrows(RuntimeException.class, () -> store.commitInOne(twice));
        assertEquals(1, store.get(CredentialId.parse("gazelle:g1")).orElseThrow().version());
    }

    private static DueRows.Commit commit(StoredCredential updated, long expected, String owner, Optional<Instant> nextDue) {
        return new DueRows.Commit(updated, expected, new RefreshEvent(updated.id(), updated.updatedAt(),
                RefreshOutcome.REFRESHED, "", Duration.ofMillis(3), updated.version()), owner, nextDue);
    }

    @Test
    void aClaimedRowIsDueAgainAtItsLeasesEndAndTheClaimCarriesTheDueTimeItHad() {
        PostgresTokenStore store = stores.open(PostgresServer.freshSchema(), temp);
        CredentialId planned = CredentialId.parse("gazelle:planned");
        CredentialId unplanned = CredentialId.parse("gazelle:unplanned");
        store.insert(OpenedStores.credential(planned.toString(), 1));
        store.insert(OpenedStores.credential(unplanned.toString(), 1));
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Instant wasDue = now.minusSeconds(5);
        store.plan(planned, Optional.of(wasDue), false);
        Instant leaseEnd = now.plusSeconds(60);

        List<DueWork.Claim> claims = store.claimDue("me", now, leaseEnd, 5);

        assertEquals(List.of(Optional.<Instant>empty(), Optional.of(wasDue)), claims.stream().map(DueWork.Claim::due).toList(),
                "the unplanned row first, then the planned one with the due time it had");
        assertEquals(Optional.of(leaseEnd), store.nextDue(planned), "due again when the lease ends, off the queue's head");
        assertEquals(Optional.empty(), store.nextDue(unplanned), "a row never planned stays unplanned");

        store.release(planned, "me", Optional.of(now.plusSeconds(3600)), false);
        assertEquals(Optional.of(now.plusSeconds(3600)), store.nextDue(planned), "a release writes the plan");
    }
}
