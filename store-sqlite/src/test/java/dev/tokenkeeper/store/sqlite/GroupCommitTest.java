package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.StoreUnavailableException;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A write waits for its batch at most the group commit's patience, never forever. */
class GroupCommitTest {

    @TempDir
    Path state;

    @Test
    @Timeout(60)
    void aCallerStopsWaitingWhenTheWriterIsStuck() throws Exception {
        Path file = state.resolve("t.db");
        Jdbi jdbi = Jdbi.create("jdbc:sqlite:" + file);
        SqliteErrors errors = new SqliteErrors(file, Duration.ofSeconds(1));
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (GroupCommit commit = new GroupCommit(jdbi, errors, "t.db", Duration.ofMillis(500))) {
            // A write that holds the single writer, as a hung disk would.
            CompletableFuture<Object> holder = new CompletableFuture<>();
            Thread first = new Thread(() -> {
                try {
                    holder.complete(commit.submit("hold the writer", handle -> {
                        stuck.countDown();
                        try {
                            release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return 1;
                    }));
                } catch (RuntimeException e) {
                    holder.complete(e);
                }
            });
            first.start();
            assertTrue(stuck.await(30, TimeUnit.SECONDS), "the first write reached the writer");

            long started = System.nanoTime();
            StoreUnavailableException error = assertThrows(StoreUnavailableException.class,
                    () -> commit.submit("write behind it", handle -> 2));
            Duration waited = Duration.ofNanos(System.nanoTime() - started);
            assertTrue(error.getMessage().contains("write behind it") && error.getMessage().contains("not durable"),
                    error.getMessage());
            assertTrue(waited.compareTo(Duration.ofSeconds(20)) < 0, "gave up after " + waited);

            release.countDown();
            first.join(30_000);
            assertTrue(holder.isDone(), "the stuck write finished once released");
            Integer later = commit.submit("a later write", handle -> 3);
            assertEquals(Integer.valueOf(3), later, "the writer works again");
        }
    }
}
