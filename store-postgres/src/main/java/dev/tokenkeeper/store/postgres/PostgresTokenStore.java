package dev.tokenkeeper.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.api.ChangeListener;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.SettingsRow;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.store.ChangeFeed;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.api.store.SettingsRows;
import dev.tokenkeeper.api.store.SetupScript;
import dev.tokenkeeper.store.jdbc.CredentialRows;
import dev.tokenkeeper.store.jdbc.JdbcTokenStore;
import dev.tokenkeeper.store.jdbc.OpenedState;
import dev.tokenkeeper.store.jdbc.Tables;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.ds.PGSimpleDataSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * A {@link TokenStore} in a PostgreSQL database reached directly with the PostgreSQL JDBC driver,
 * so that several daemons on several machines share their credentials on the real engine.
 *
 * <p>Coordination uses the database's own guarantees: {@link #compareAndSet} is one
 * {@code UPDATE ... WHERE id = ? AND version = ?}, {@link #tryLease} one conditional
 * {@code UPDATE} judged by the server's {@code now()} (so daemons with different clocks agree),
 * {@link #commitRefresh} one transaction, {@link #insert} relies on the primary key. A trigger
 * writes every insert, version change and delete into the changes table in the same transaction; a
 * store that committed sends at most one {@code NOTIFY} per {@link ChangeAnnouncer#EVERY}, and
 * {@link #watch} listens on a dedicated connection and reads the table (schema version 6).
 *
 * <p>Settings: {@code TOKENKEEPER_POSTGRES_URL} ({@code postgresql://user:pass@host:port/db?sslmode=...}
 * or {@code jdbc:postgresql://...}), {@code TOKENKEEPER_POSTGRES_PASSWORD_FILE},
 * {@code TOKENKEEPER_POSTGRES_SCHEMA} (default {@code tokenkeeper}) and
 * {@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS} (default 30): the bound on a connection, a
 * statement ({@code statement_timeout}) and a silent socket; a wait for a pooled connection is
 * bounded by {@value #MOST_POOL_WAIT_MILLIS} ms at most.
 *
 * <p>Leases: the caller's {@code until} is turned into a duration from the context clock's now,
 * and the lease ends that long after the server's {@code now()}. A context clock deliberately
 * shifted from the system clock (tests) shifts the server's time equally; in the daemon the
 * shift is zero.
 *
 * <p>Pool: HikariCP with at most {@value #MOST_CONNECTIONS} connections (one kept idle) plus the
 * listening connection. Thread-safe.
 */
public final class PostgresTokenStore extends JdbcTokenStore implements ChangeFeed, SettingsRows, Purge, SetupScript,
        DueWork {

    static final int MOST_CONNECTIONS = 4;
    /** The longest wait for a pooled connection. */
    static final long MOST_POOL_WAIT_MILLIS = 3_000;
    /**
     * A lease counts as ended this much before its end, so that a caller asking at its exact end
     * gets it whatever the jitter between the daemon's and the server's clock readings.
     */
    static final long LEASE_GRACE_MILLIS = 100;

    /** Everything that exists only between {@link #open} and {@link #close}. */
    private record Opened(PostgresSettings settings, HikariDataSource pool, PGSimpleDataSource direct, Jdbi jdbi,
                          PostgresErrors errors, Clock clock, Tables tables, DueRows due, ChangeRows changes,
                          ChangeAnnouncer announcer) {
    }

    @FunctionalInterface
    private interface Call<T> {
        T run(Opened open, Handle handle);
    }

    /** Read by {@link #open}; before that (doctor --print-sql) the environment's, if it is a valid name. */
    private volatile String schema = Optional.ofNullable(System.getenv(PostgresSettings.SCHEMA))
            .map(String::trim).filter(name -> name.matches("[a-z_][a-z0-9_]{0,39}"))
            .orElse(PostgresSettings.DEFAULT_SCHEMA);
    private final OpenedState<Opened> state = new OpenedState<>("postgres");
    private volatile ChangeWatcher watcher;
    private volatile Function<StoredCredential, Optional<SettingsRow>> settingsRows = credential -> Optional.empty();
    /** Refresh commits that arrive while others are written go together in the next transaction. */
    private final CommitGroups<DueRows.Commit> commits = new CommitGroups<>();

    /** Creates a store that does nothing until {@link #open}; {@link java.util.ServiceLoader} calls this. */
    public PostgresTokenStore() {
    }

    /** @return {@code postgres} */
    @Override
    public String id() {
        return "postgres";
    }

    /** @return one line for {@code tokenkeeper providers} */
    @Override
    public String description() {
        return "PostgreSQL database reached directly (may be shared by several daemons; changes announced at once)";
    }

    /**
     * @return the script creating the schema named by {@code TOKENKEEPER_POSTGRES_SCHEMA} (once
     *         {@link #open} read it, even if it then failed; the default before)
     */
    @Override
    public String setupSql() {
        return Schema.setupSql(schema);
    }

    /**
     * Reads the settings, connects, and creates or migrates the schema (one transaction under an
     * advisory lock).
     *
     * @param context settings, state folder and clock
     * @throws dev.tokenkeeper.api.StoreUnavailableException when the server cannot be reached
     * @throws StoreException when a setting is wrong, the login is refused, or the schema is newer
     */
    @Override
    public synchronized void open(PluginContext context) {
        Objects.requireNonNull(context, "context");
        state.checkNew();
        schema = PostgresSettings.schema(context);
        PostgresSettings settings = PostgresSettings.from(context);
        PostgresErrors errors = new PostgresErrors(settings);
        PGSimpleDataSource direct = dataSource(settings);
        // Names this store in the changes rows its commits write, so that its own listener skips them.
        String origin = UUID.randomUUID().toString();
        HikariDataSource pool = null;
        try {
            pool = new HikariDataSource(poolConfig(settings, direct, origin));
            Jdbi jdbi = Jdbi.create(pool);
            Schema.migrate(jdbi, settings.schema());
            Schema.checkRights(jdbi, settings.schema());
            PostgresDialect dialect = new PostgresDialect(settings.schema());
            ChangeRows changes = new ChangeRows(settings.schema(), origin);
            state.opened(new Opened(settings, pool, direct, jdbi, errors, context.clock(), new Tables(dialect),
                    new DueRows(dialect.table("credentials"), dialect.table("refresh_history"), new CredentialRows(dialect)),
                    changes, new ChangeAnnouncer(jdbi, changes.channel()).start()));
        } catch (RuntimeException e) {
            if (pool != null) {
                pool.close();
            }
            throw errors.translate("open the database", e);
        }
    }

    private static PGSimpleDataSource dataSource(PostgresSettings settings) {
        PGSimpleDataSource source = new PGSimpleDataSource();
        source.setUrl(settings.jdbcUrl());
        settings.user().ifPresent(source::setUser);
        settings.password().ifPresent(source::setPassword);
        int seconds = (int) settings.timeout().toSeconds();
        source.setConnectTimeout(seconds);
        source.setLoginTimeout(seconds);
        // A statement is cancelled by the server at the timeout; the socket timeout catches a server
        // that stopped answering at all (no FIN), a little later.
        source.setSocketTimeout(seconds + 5);
        source.setTcpKeepAlive(true);
        source.setApplicationName("tokenkeeper");
        // The server's DETAIL of a failed statement may quote a row; keep it out of messages and logs.
        source.setLogServerErrorDetail(false);
        return source;
    }

    private static HikariConfig poolConfig(PostgresSettings settings, PGSimpleDataSource direct, String origin) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(direct);
        config.setPoolName("tokenkeeper-postgres");
        config.setMaximumPoolSize(MOST_CONNECTIONS);
        config.setMinimumIdle(1);
        config.setIdleTimeout(60_000);
        config.setMaxLifetime(30 * 60_000L);
        long millis = settings.timeout().toMillis();
        // Hikari keeps trying to connect for the whole acquisition wait: a server that is down must
        // make calls fail fast (the daemon spools), so the wait is short.
        config.setConnectionTimeout(Math.min(millis, MOST_POOL_WAIT_MILLIS));
        config.setValidationTimeout(Math.min(millis, 5_000));
        config.setConnectionInitSql("SET statement_timeout = " + millis + "; SET tokenkeeper.origin = '" + origin + "'");
        // Fail at once (not after the timeout) when the server cannot be reached at start-up.
        config.setInitializationFailTimeout(1);
        return config;
    }

    /** @return false: the listener reads only the changes other stores wrote ({@link ChangeRows}) */
    @Override
    public boolean announcesOwnChanges() {
        return false;
    }

    /**
     * Listens to the schema's change channel on a connection of its own; every insert, refresh,
     * status change and delete made by another daemon (or outside tokenkeeper) is announced, within
     * about {@link ChangeAnnouncer#EVERY} when its writer notified and within a few seconds when it
     * died first; this store's own changes are not. {@link dev.tokenkeeper.api.StoreChange.Everything}
     * after a reconnection, after more changes than are read one by one, or when the changes were
     * pruned before this listener read them.
     *
     * @param listener told about changes, on the store's listening thread
     */
    @Override
    public void watch(ChangeListener listener) {
        watch(listener, ChangeWatcher.HELD_BACK);
    }

    /** {@link #watch(ChangeListener)}, reading ahead of a watermark held back for {@code heldBack} (tests shorten it). */
    synchronized void watch(ChangeListener listener, Duration heldBack) {
        Objects.requireNonNull(listener, "listener");
        Opened open = state.get();
        if (watcher != null) {
            throw new IllegalStateException("postgres store: watch() may be called only once");
        }
        ChangeWatcher started = new ChangeWatcher(open.direct(), open.changes(), listener, open.settings().timeout(), heldBack);
        watcher = started;
        started.start();
    }

    /**
     * Writes the legacy settings rows into {@code public.system_settings} ({@code key} text primary
     * key, {@code value} jsonb), created if missing, in the same transaction as every write of a
     * credential the function names.
     *
     * @param rows for a credential about to be written, its row, or empty
     */
    @Override
    public synchronized void keepSettingsRows(Function<StoredCredential, Optional<SettingsRow>> rows) {
        Objects.requireNonNull(rows, "rows");
        call("prepare public.system_settings", (open, handle) -> {
            boolean exists = handle.createQuery("SELECT to_regclass('public.system_settings') IS NOT NULL")
                    .mapTo(Boolean.class).one();
            if (!exists) {
                handle.execute("CREATE TABLE IF NOT EXISTS public.system_settings (key text PRIMARY KEY, value jsonb,"
                        + " updated_at timestamptz NOT NULL DEFAULT now())");
            }
            return null;
        });
        settingsRows = rows;
    }

    /**
     * One conditional {@code UPDATE}: taken when nobody holds the lease, it ended by the server's
     * {@code now()}, or {@code owner} holds it already (then its end moves).
     */
    @Override
    public boolean tryLease(CredentialId id, String owner, Instant until) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(until, "until");
        return call("lease credential " + id, (open, handle) -> {
            long clockNow = open.clock().millis();
            long shift = clockNow - System.currentTimeMillis();
            long leaseMillis = until.toEpochMilli() - clockNow;
            return handle.createUpdate("UPDATE " + open.tables().credentials() + " SET lease_owner = :owner,"
                            + " lease_until = " + DueRows.LEASE_END
                            + " WHERE id = :id AND (lease_owner = :owner OR " + DueRows.LEASE_FREE + ")")
                    .bind("grace", LEASE_GRACE_MILLIS)
                    .bind("owner", owner)
                    .bind("shift", shift)
                    .bind("lease", leaseMillis)
                    .bind("id", id.toString())
                    .execute() == 1;
        });
    }

    /**
     * One {@code UPDATE ... WHERE id IN (SELECT ... ORDER BY next_due LIMIT n FOR UPDATE SKIP LOCKED)
     * RETURNING *} on the partial index of due rows: rows another claim has locked are skipped, not
     * waited for. The leases end {@code leaseUntil - now} after the server's {@code now()}, as
     * {@link #tryLease}'s do.
     */
    @Override
    public List<Claim> claimDue(String owner, Instant now, Instant leaseUntil, int limit) {
        Objects.requireNonNull(owner, "owner");
        if (limit < 1) {
            throw new IllegalArgumentException("a claim takes at least 1 row: " + limit);
        }
        return call("claim due credentials", (open, handle) -> open.due().claim(handle, owner, now, shift(open),
                leaseUntil.toEpochMilli() - open.clock().millis(), leaseUntil, limit));
    }

    /**
     * One statement when the credential has no legacy settings row to write (a {@code WITH ... UPDATE
     * ... RETURNING} feeding the history's {@code INSERT}), else that and the row in one transaction.
     * Commits that arrive while another is being written go together, one statement for the group
     * ({@link CommitGroups}, {@link #commitInOne}: one round trip and one WAL flush for several
     * refreshes, each with its own version check).
     */
    @Override
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner,
                                 Optional<Instant> nextDue) {
        Objects.requireNonNull(updated, "updated").checkFollows(expectedVersion);
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(nextDue, "nextDue");
        String action = "commit the refresh of credential " + updated.id();
        if (settingsRows.apply(updated).isEmpty()) {
            return commits.commit(new DueRows.Commit(updated, expectedVersion, event, owner, nextDue),
                    this::commitInOne,
                    alone -> call(action, announcing((open, handle) -> alone.write(open.due(), handle))));
        }
        return call(action, announcing((open, handle) -> handle.inTransaction(tx -> {
            boolean written = open.due().commit(tx, updated, expectedVersion, event, owner, nextDue);
            if (written) {
                credentialWritten(tx, updated);
            }
            return written;
        })));
    }

    /**
     * A group of refresh commits in one statement ({@link DueRows#commitAll}).
     *
     * @param group commits of distinct credentials
     * @return for each, whether its compare-and-set succeeded
     * @throws StoreException when the statement failed: nothing of it was written
     */
    List<Boolean> commitInOne(List<DueRows.Commit> group) {
        return call("commit " + group.size() + " refreshes in one statement",
                announcing((open, handle) -> open.due().commitAll(handle, group)));
    }

    @Override
    public void release(CredentialId id, String owner, Optional<Instant> nextDue, boolean retry) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(nextDue, "nextDue");
        call("release the claim of credential " + id, (open, handle) -> {
            open.due().release(handle, id, owner, nextDue, retry);
            return null;
        });
    }

    /** One query; the table has no index on the owner, so it reads the table once (a daemon's start, off its start path). */
    @Override
    public List<CredentialId> leasedBy(String owner) {
        Objects.requireNonNull(owner, "owner");
        return call("read the credentials leased by " + owner, (open, handle) -> open.due().leasedBy(handle, owner));
    }

    @Override
    public void plan(CredentialId id, Optional<Instant> nextDue, boolean retry) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(nextDue, "nextDue");
        call("plan credential " + id, (open, handle) -> {
            open.due().plan(handle, id, nextDue, retry);
            return null;
        });
    }

    @Override
    public Optional<Instant> nextDue(CredentialId id) {
        Objects.requireNonNull(id, "id");
        return call("read when credential " + id + " is due", (open, handle) -> open.due().nextDue(handle, id));
    }

    /** One query for the page ({@code id = ANY(...)} on the primary key). */
    @Override
    public Map<CredentialId, Instant> nextDue(Collection<CredentialId> ids) {
        Objects.requireNonNull(ids, "ids");
        return call("read when " + ids.size() + " credentials are due", (open, handle) -> open.due().nextDue(handle, ids));
    }

    @Override
    public Optional<Instant> earliestDue() {
        return call("read the earliest due credential", (open, handle) -> open.due().earliest(handle, shift(open)));
    }

    /** @return how far the context clock is from the system clock, which the server's {@code now()} follows */
    private static long shift(Opened open) {
        return open.clock().millis() - System.currentTimeMillis();
    }

    /** Stops listening and closes the pool; later calls throw {@link StoreException}. Safe to call twice. */
    @Override
    public synchronized void close() {
        ChangeWatcher listening = watcher;
        watcher = null;
        if (listening != null) {
            listening.close();
        }
        state.close().ifPresent(open -> {
            open.announcer().close();
            open.pool().close();
        });
    }

    /** @return the URL without credentials and the schema, for logs */
    @Override
    public String toString() {
        return "PostgresTokenStore[" + state.describe(current -> current.settings().printableUrl() + ", schema "
                + current.settings().schema()) + "]";
    }

    /**
     * Rewrites the credentials table with {@code VACUUM FULL}: the table gets new files holding only
     * its live rows, and the files holding overwritten rows are removed. The server's write-ahead
     * log, its replicas and backups are out of this store's reach and keep old rows until they are
     * recycled. A login that does not own the table cannot vacuum it (PostgreSQL would skip it with
     * a warning): that is reported as out of reach, with the statement the owner can run.
     *
     * @return {@link PurgeResult.Purged}, or {@link PurgeResult.OutOfReach} when this login may not
     *         vacuum the table
     */
    @Override
    public PurgeResult purgeOverwritten() {
        String table = state.get().tables().credentials();
        boolean mayVacuum = call("check who may vacuum " + table, (open, handle) -> handle.createQuery(
                        "SELECT r.rolsuper OR pg_has_role(current_user, c.relowner, 'USAGE')"
                                + " OR pg_has_role(current_user, d.datdba, 'USAGE')"
                                + " FROM pg_class c, pg_roles r, pg_database d"
                                + " WHERE c.oid = to_regclass(:table) AND r.rolname = current_user"
                                + " AND d.datname = current_database()")
                .bind("table", table).mapTo(Boolean.class).findOne().orElse(false));
        String serverKeeps = "the server's write-ahead log, replicas and backups keep old rows until they are recycled";
        if (!mayVacuum) {
            return new PurgeResult.OutOfReach("postgres: this login does not own " + table + ", so it cannot rewrite"
                    + " it: overwritten rows stay in the table's files until autovacuum reuses their space (the"
                    + " table's owner can run `VACUUM FULL " + table + "`), and " + serverKeeps);
        }
        // Outside any transaction: VACUUM cannot run inside one (the pool's connections autocommit).
        call("vacuum " + table, (open, handle) -> handle.execute("VACUUM FULL " + table));
        return new PurgeResult.Purged("postgres: " + table + " rewritten with VACUUM FULL", serverKeeps);
    }

    /** One statement on a pooled connection, committed on its own; the listeners are notified. */
    @Override
    protected <R> R write(String action, Work<R> work) {
        return call(action, announcing((open, handle) -> work.run(open.tables(), handle)));
    }

    /** One transaction on a pooled connection; its commit writes the changed rows' ids, and the listeners are notified. */
    @Override
    protected <R> R transaction(String action, Work<R> work) {
        return call(action, announcing((open, handle) -> handle.inTransaction(tx -> work.run(open.tables(), tx))));
    }

    /** Pokes the announcer once the call committed (a write that changed no credential costs the listeners an empty read). */
    private static <R> Call<R> announcing(Call<R> call) {
        return (open, handle) -> {
            R result = call.run(open, handle);
            open.announcer().poke();
            return result;
        };
    }

    @Override
    protected <R> R read(String action, Work<R> work) {
        return call(action, (open, handle) -> work.run(open.tables(), handle));
    }

    /** Writes the credential's legacy settings row, if {@link #keepSettingsRows} names one. */
    @Override
    protected void credentialWritten(Handle tx, StoredCredential credential) {
        settingsRows.apply(credential).ifPresent(row -> tx.createUpdate("INSERT INTO public.system_settings (key, value)"
                        + " VALUES (:key, CAST(:value AS jsonb)) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
                .bind("key", row.key())
                .bind("value", row.json())
                .execute());
    }

    private <T> T call(String action, Call<T> call) {
        Opened open = state.get();
        try {
            return open.jdbi().withHandle(handle -> call.run(open, handle));
        } catch (RuntimeException e) {
            throw open.errors().translate(action, e);
        }
    }
}
