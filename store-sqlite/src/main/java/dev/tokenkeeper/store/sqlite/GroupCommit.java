package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Group commit: every write of this process goes to one writer thread, which runs whatever has
 * queued up in one transaction (each write in its own savepoint, so one failing write does not
 * undo the others) and answers the callers only after that transaction is durable. Under load
 * many refreshes share one disk flush; alone, a write costs what it always did.
 */
final class GroupCommit implements AutoCloseable {

    /** One write and whoever waits for it. */
    private record Pending<R>(String action, Function<Handle, R> write, CompletableFuture<R> done) {
    }

    private static final int MAX_BATCH = 256;

    private final Jdbi jdbi;
    private final SqliteErrors errors;
    private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final Duration patience;
    private volatile boolean closing;

    /**
     * @param patience the longest a caller waits for its write to be durable (a stuck disk or writer
     *                 must not hold a refresh forever)
     */
    GroupCommit(Jdbi jdbi, SqliteErrors errors, String name, Duration patience) {
        this.jdbi = jdbi;
        this.errors = errors;
        this.patience = patience;
        this.writer = new Thread(this::writeLoop, "sqlite-writer " + name);
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Runs a write in the next batch and waits until it is durable.
     *
     * @param action what the write does, for error messages
     * @param write  the statements
     * @param <R>    the result
     * @return the write's result
     * @throws StoreException when it failed (or the batch could not be committed)
     */
    <R> R submit(String action, Function<Handle, R> write) {
        if (closing) {
            throw new StoreException("sqlite: the store is closed: this is a bug in tokenkeeper's shutdown order");
        }
        CompletableFuture<R> done = new CompletableFuture<>();
        queue.add(new Pending<>(action, write, done));
        try {
            return done.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new StoreException("sqlite: " + action + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            // It may still be written later; a caller that spools it meanwhile loses nothing (the
            // version compare-and-set sorts it out), one that waits forever holds a refresh.
            throw new StoreUnavailableException("sqlite: " + action + " was not durable within " + patience.toSeconds()
                    + " s (the disk or the database writer is stuck): check the state folder's disk; tokenkeeper retries", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("sqlite: interrupted while waiting to " + action
                    + ": the daemon is shutting down", e);
        }
    }

    private void writeLoop() {
        List<Pending<?>> batch = new ArrayList<>();
        while (!closing || !queue.isEmpty()) {
            try {
                Pending<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                runBatch(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closing = true;
            } finally {
                batch.clear();
            }
        }
    }

    private void runBatch(List<Pending<?>> batch) {
        List<Object> results = new ArrayList<>(batch.size());
        List<RuntimeException> failures = new ArrayList<>(batch.size());
        try {
            jdbi.useHandle(handle -> {
                handle.begin();
                try {
                    for (int i = 0; i < batch.size(); i++) {
                        Pending<?> pending = batch.get(i);
                        String savepoint = "w" + i;
                        handle.savepoint(savepoint);
                        try {
                            results.add(pending.write().apply(handle));
                            failures.add(null);
                            handle.releaseSavepoint(savepoint);
                        } catch (JdbiException e) {
                            handle.rollbackToSavepoint(savepoint);
                            handle.releaseSavepoint(savepoint);
                            results.add(null);
                            failures.add(errors.translate(pending.action(), e));
                        } catch (RuntimeException e) {
                            handle.rollbackToSavepoint(savepoint);
                            handle.releaseSavepoint(savepoint);
                            results.add(null);
                            failures.add(e);
                        }
                    }
                    handle.commit();
                } catch (RuntimeException e) {
                    if (handle.isInTransaction()) {
                        handle.rollback();
                    }
                    throw e;
                }
            });
        } catch (JdbiException e) {
            // The batch as a whole failed (busy, disk full, I/O error): nothing of it is committed.
            for (Pending<?> pending : batch) {
                pending.done().completeExceptionally(errors.translate(pending.action(), e));
            }
            return;
        } catch (RuntimeException e) {
            for (Pending<?> pending : batch) {
                pending.done().completeExceptionally(e);
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            complete(batch.get(i), results.get(i), failures.get(i));
        }
    }

    @SuppressWarnings("unchecked")
    private static <R> void complete(Pending<R> pending, Object result, RuntimeException failure) {
        if (failure != null) {
            pending.done().completeExceptionally(failure);
        } else {
            pending.done().complete((R) result);
        }
    }

    /** Finishes what is queued, then stops the writer. */
    @Override
    public void close() {
        closing = true;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
