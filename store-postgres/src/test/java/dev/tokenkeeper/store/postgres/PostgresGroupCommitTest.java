package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.StoredCredential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Refresh commits from many threads of one daemon on the real PostgreSQL: they go in groups (one
 * transaction, one JDBC batch each), and each keeps its own version check. A commit whose version
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
}
