package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.store.jdbc.JdbcTokenStore;
import dev.tokenkeeper.store.jdbc.OpenedState;
import dev.tokenkeeper.store.jdbc.Tables;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The embedded default {@link TokenStore}: one SQLite file in WAL mode, shared safely by several
 * daemon processes. Every coordination step ({@link #compareAndSet}, {@link #tryLease},
 * {@link #releaseLease}, {@link #insert}) is a single conditional statement, so it is atomic across
 * processes without a read first.
 *
 * <p>Settings: {@code TOKENKEEPER_SQLITE_PATH} (the file; default {@code <state>/tokenkeeper.db},
 * a relative path is taken inside the state folder) and {@code TOKENKEEPER_SQLITE_SYNCHRONOUS}
 * ({@code FULL}, the default, or {@code NORMAL}). Instants are kept to the millisecond.
 *
 * <p>Thread-safe: each call borrows its own connection from a small pool.
 */
public final class SqliteTokenStore extends JdbcTokenStore implements Purge {

    private static final int IDLE_CONNECTIONS = 4;
    private static final String TMPDIR_PROPERTY = "org.sqlite.tmpdir";
    /** Where the launcher says sqlite-jdbc's native library is (see bin/tokenkeeper). */
    private static final String LIBRARY_PATH_PROPERTY = "org.sqlite.lib.path";

    /** Everything that exists only between {@link #open} and {@link #close}. */
    private record Opened(Path file, Jdbi jdbi, ConnectionPool pool, SqliteErrors errors, Clock clock, GroupCommit writes,
                          Tables tables) {
    }

    /** How long a statement waits for a lock held by another connection or daemon process. */
    static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(10);

    private final Duration busyTimeout;
    private final OpenedState<Opened> state = new OpenedState<>("sqlite");

    /** Creates a store that does nothing until {@link #open}; {@link java.util.ServiceLoader} calls this. */
    public SqliteTokenStore() {
        this(DEFAULT_BUSY_TIMEOUT);
    }

    /** @param busyTimeout how long to wait for a lock before {@link StoreUnavailableException} */
    SqliteTokenStore(Duration busyTimeout) {
        this.busyTimeout = Objects.requireNonNull(busyTimeout, "busyTimeout");
    }

    /** @return {@code sqlite} */
    @Override
    public String id() {
        return "sqlite";
    }

    /** @return one line for {@code tokenkeeper providers} */
    @Override
    public String description() {
        return "SQLite file in the state folder (embedded, default)";
    }

    /**
     * Creates the file (mode 0600) and its folders if needed, switches it to WAL and migrates the
     * schema.
     *
     * @param context settings, state folder and clock
     * @throws StoreException when the file cannot be created or used, or its schema is newer than
     *                        this code; the message names the file and what to do
     */
    @Override
    public synchronized void open(PluginContext context) {
        Objects.requireNonNull(context, "context");
        state.checkNew();
        SqliteSettings settings = SqliteSettings.from(context);
        if (System.getProperty(TMPDIR_PROPERTY) == null) {
            // Where sqlite-jdbc unpacks its native library; /tmp may be private or noexec under systemd.
            System.setProperty(TMPDIR_PROPERTY, context.stateDirectory().toAbsolutePath().toString());
        }
        Path file = settings.file();
        DatabaseFile.prepare(file);
        ConnectionPool pool = new ConnectionPool(settings, busyTimeout, IDLE_CONNECTIONS);
        SqliteErrors errors = new SqliteErrors(file, busyTimeout);
        try {
            Jdbi jdbi = Jdbi.create(pool);
            switchToWal(jdbi, file);
            Schema.migrate(jdbi, file);
            state.opened(new Opened(file, jdbi, pool, errors, context.clock(), new GroupCommit(jdbi, errors, file.getFileName().toString(),
                    busyTimeout.multipliedBy(3)), new Tables(new SqliteDialect(file))));
        } catch (JdbiException e) {
            pool.close();
            throw errors.translate("open the database", e);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * Loads the native library and runs jdbi's first statement (its mapper lookup and its registration
     * of a JDK Flight Recorder event, ~0.1 s of a start) on a database in memory. Only where the
     * launcher names the library's folder ({@code org.sqlite.lib.path}): elsewhere sqlite-jdbc unpacks
     * the library into a temporary folder, which {@link #open} first points at the state folder
     * ({@code /tmp} may be mounted {@code noexec} under systemd).
     */
    @Override
    public void warmUp() {
        if (System.getProperty(LIBRARY_PATH_PROPERTY) == null) {
            return;
        }
        Jdbi.create(new SQLiteDataSource(new SQLiteConfig()))
                // A named argument: jdbi's statement parser (a generated lexer, cold) is the first
                // statement's largest part, and the store's own statements all have them.
                .withHandle(handle -> handle.createQuery("SELECT :mode").bind("mode", "wal").mapTo(String.class).one());
    }

    /**
     * Switching to WAL reads the file's header and then needs the exclusive lock. When several
     * processes open a new file at once, SQLite refuses that upgrade at once with SQLITE_BUSY instead of
     * waiting (waiting could deadlock two readers that both want it), so the switch is tried again
     * until the busy timeout has passed.
     */
    private void switchToWal(Jdbi jdbi, Path file) {
        long deadline = System.nanoTime() + busyTimeout.toNanos();
        while (true) {
            try {
                String mode = jdbi.withHandle(handle -> handle.createQuery("PRAGMA journal_mode = WAL")
                        .mapTo(String.class).one());
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new StoreException("sqlite: " + file + " cannot use write-ahead logging (journal mode"
                            + " stayed '" + mode + "'): keep the database on a local file system");
                }
                return;
            } catch (JdbiException e) {
                if (!SqliteErrors.isBusy(e) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10 + ThreadLocalRandom.current().nextInt(40)));
            }
        }
    }

    /**
     * One conditional {@code UPDATE}: taken when nobody holds the lease, it ran out by the context
     * clock, or {@code owner} holds it already (then {@code until} replaces its end).
     *
     * @param id    the credential
     * @param owner a name unique to the calling daemon process
     * @param until when the lease runs out if not released
     * @return true when the caller now holds the lease; false also when the credential is gone
     */
    @Override
    public boolean tryLease(CredentialId id, String owner, Instant until) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(until, "until");
        return submit("lease credential " + id, (open, handle) -> handle
                .createUpdate("UPDATE credentials SET lease_owner = :owner, lease_until = :until"
                        + " WHERE id = :id AND (lease_owner IS NULL OR lease_until IS NULL"
                        + " OR lease_until <= :now OR lease_owner = :owner)")
                .bind("id", id.toString())
                .bind("owner", owner)
                .bind("until", until.toEpochMilli())
                .bind("now", open.clock().millis())
                .execute() == 1);
    }

    /** Closes the idle connections; later calls throw {@link StoreException}. Safe to call twice. */
    @Override
    public synchronized void close() {
        state.close().ifPresent(current -> {
            current.writes().close();
            current.pool().close();
        });
    }

    /** @return a short description naming the file, for logs */
    @Override
    public String toString() {
        return "SqliteTokenStore[" + state.describe(current -> current.file().toString()) + "]";
    }

    /** One database operation on a borrowed connection. */
    @FunctionalInterface
    private interface Operation<R> {
        R run(Opened open, Handle handle);
    }

    /**
     * Writes go through {@link GroupCommit}: one writer thread, many writes per durable transaction,
     * instead of threads colliding on SQLite's write lock, whose busy handler backs off in sleeps of
     * up to 100 ms. Other processes still meet SQLite's own lock and busy timeout.
     */
    private <R> R submit(String action, Operation<R> operation) {
        Opened open = state.get();
        return open.writes().submit(action, handle -> operation.run(open, handle));
    }

    /** Runs inside the group commit's transaction, in its own savepoint. */
    @Override
    protected <R> R write(String action, Work<R> work) {
        return submit(action, (open, handle) -> work.run(open.tables(), handle));
    }

    /** Runs inside the group commit's transaction, in its own savepoint: all or none. */
    @Override
    protected <R> R transaction(String action, Work<R> work) {
        return write(action, work);
    }

    @Override
    protected <R> R read(String action, Work<R> work) {
        return call(action, (open, handle) -> work.run(open.tables(), handle));
    }

    /** How often the checkpoint is tried when a write lands in the log between it and the size check. */
    private static final int CHECKPOINT_ATTEMPTS = 5;

    /**
     * Vacuums the database (rebuilt from its live rows only, so freed pages and the free space of
     * pages no longer hold old ciphertexts; {@code secure_delete} zeroes what the rebuild frees),
     * then checkpoints the write-ahead log into it and truncates the log, and checks that the
     * {@code -wal} file is empty. A write landing in the log meanwhile (a refresh) holds only new
     * ciphertexts, but makes the check fail: the checkpoint is then tried again, a few times.
     *
     * @return {@link PurgeResult.Purged}, or {@link PurgeResult.Failed} when another connection (a
     *         daemon sharing the file, a reader) kept the log from being truncated
     */
    @Override
    public PurgeResult purgeOverwritten() {
        Opened open = state.get();
        Path wal = open.file().resolveSibling(open.file().getFileName() + "-wal");
        // Outside any transaction: neither VACUUM nor a checkpoint can run inside one.
        call("vacuum the database", (o, handle) -> {
            handle.execute("PRAGMA secure_delete = ON");
            handle.execute("VACUUM");
            return null;
        });
        long left = 0;
        for (int attempt = 1; attempt <= CHECKPOINT_ATTEMPTS; attempt++) {
            // The checkpoint waits for readers as long as the busy timeout lasts before it reports busy.
            int busy = call("checkpoint the write-ahead log", (o, handle) ->
                    handle.createQuery("PRAGMA wal_checkpoint(TRUNCATE)").mapTo(Integer.class).first());
            if (busy != 0) {
                return new PurgeResult.Failed("sqlite: the write-ahead log of " + open.file() + " could not be"
                        + " truncated: another connection (a daemon or program sharing the file) kept reading it for"
                        + " " + busyTimeout.toSeconds() + " s", "run `tokenkeeper rekey --finish` again once it is"
                        + " done (stop the program that holds the file open first)");
            }
            left = walSize(wal);
            if (left == 0) {
                return new PurgeResult.Purged("sqlite: " + open.file().getFileName() + " vacuumed, its write-ahead log"
                        + " checkpointed and truncated to 0 bytes", "");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50L * attempt));
        }
        return new PurgeResult.Failed("sqlite: " + wal + " still held " + left + " bytes after " + CHECKPOINT_ATTEMPTS
                + " checkpoints (writes kept arriving)", "run `tokenkeeper rekey --finish` again in a moment");
    }

    private static long walSize(Path wal) {
        try {
            return Files.size(wal);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new StoreException("sqlite: cannot read the size of " + wal + " (" + e.getClass().getSimpleName()
                    + "): check the state folder's permissions");
        }
    }

    private <R> R call(String action, Operation<R> operation) {
        Opened open = state.get();
        HandleCallback<R, RuntimeException> callback = handle -> operation.run(open, handle);
        try {
            return open.jdbi().withHandle(callback);
        } catch (JdbiException e) {
            throw open.errors().translate(action, e);
        }
    }
}
