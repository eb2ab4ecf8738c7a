package dev.tokenkeeper.bench.queue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The physical limit of a due queue on this PostgreSQL: bare SQL, no daemon. Rows shaped like a
 * credential (an id, a sealed secret of a refresh's size, a version, when it is next due, a lease)
 * are claimed in batches with {@code UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)
 * RETURNING}, as db-scheduler's lock-and-fetch does, and each is then committed on its own, as a
 * refresh is: new secret, version + 1, the next due time, the lease released, only if the claim is
 * still ours and the version the one read. Every commit is durable (synchronous_commit on). What the
 * daemons' pipeline reaches on the same database is compared with this.
 *
 * @param jdbcUrl  the database
 * @param table    a table name of its own (created, filled, dropped by {@link #run})
 * @param announce SQL run after the fill, before the claims (a trigger announcing each commit, as the
 *                 store's schema does), or empty for none
 */
public record ClaimLoop(String jdbcUrl, String table, String announce) {

    /**
     * The loop without announcements.
     *
     * @param jdbcUrl the database
     * @param table   a table name of its own
     */
    public ClaimLoop(String jdbcUrl, String table) {
        this(jdbcUrl, table, "");
    }

    /** Bytes of a sealed Gazelle token pair, about what the store writes per refresh. */
    private static final int SECRET_BYTES = 420;
    private static final long LEASE_MILLIS = 120_000;
    private static final long NEXT_DUE_MILLIS = 3_600_000;

    /**
     * What one run did.
     *
     * @param rows     rows committed
     * @param seconds  from the first claim to the last commit
     * @param twice    rows committed more than once (must be 0)
     * @param missed   rows never committed (must be 0)
     */
    public record Result(long rows, double seconds, long twice, long missed, long databaseNanos) {
        /** @return rows committed per second */
        public double perSecond() {
            return rows / seconds;
        }

        /** @return the database's CPU per row committed, microseconds (NaN when it was not measured) */
        public double databaseMicrosPerRow() {
            return databaseNanos < 0 ? Double.NaN : databaseNanos / 1_000.0 / rows;
        }
    }

    /**
     * Fills the table with {@code rows} rows all due now, has {@code workers} connections claim and
     * commit them until none is due, and checks that each row was committed exactly once.
     *
     * @param rows    rows due
     * @param workers connections claiming at once
     * @param batch   rows one claim takes at most
     * @return the figures
     * @throws Exception when the database fails
     */
    public Result run(int rows, int workers, int batch) throws Exception {
        return run(rows, workers, batch, () -> -1);
    }

    /**
     * {@link #run(int, int, int)}, with the database's CPU over the claims and commits.
     *
     * @param databaseNanos the database's CPU so far, nanoseconds ({@code PostgresCluster#cpuNanos}; -1 unknown)
     * @return the figures
     * @throws Exception when the database fails
     */
    public Result run(int rows, int workers, int batch, LongSupplier databaseNanos) throws Exception {
        try (Connection setup = DriverManager.getConnection(jdbcUrl); Statement sql = setup.createStatement()) {
            sql.execute("DROP TABLE IF EXISTS " + table);
            sql.execute("CREATE TABLE " + table + " (id text PRIMARY KEY, secret bytea NOT NULL, version bigint NOT NULL,"
                    + " next_due bigint, lease_owner text, lease_until bigint)");
            long now = System.currentTimeMillis();
            sql.execute("INSERT INTO " + table + " SELECT 'gazelle:c' || i, decode(repeat('ab', " + SECRET_BYTES + "), 'hex'),"
                    + " 0, " + now + " - i, NULL, NULL FROM generate_series(1, " + rows + ") AS i");
            sql.execute("CREATE INDEX " + table + "_due ON " + table + " (next_due) WHERE next_due IS NOT NULL");
            sql.execute("ANALYZE " + table);
            if (!announce.isEmpty()) {
                sql.execute(announce);
            }
            // Every loop starts with no checkpoint owed for what ran before it (the fill, an earlier loop).
            sql.execute("CHECKPOINT");
        }
        AtomicLong committed = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        // Connected before and closed after the measured part: a backend that has exited no longer shows its CPU.
        List<Connection> connections = new ArrayList<>();
        double seconds;
        long cpu;
        try {
            for (int w = 0; w < workers; w++) {
                connections.add(DriverManager.getConnection(jdbcUrl));
            }
            long cpuBefore = databaseNanos.getAsLong();
            long started = System.nanoTime();
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                String owner = "worker-" + w;
                Connection connection = connections.get(w);
                running.add(pool.submit(() -> {
                    work(connection, owner, batch, committed);
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(30, TimeUnit.MINUTES);
            }
            seconds = (System.nanoTime() - started) / 1e9;
            long cpuAfter = databaseNanos.getAsLong();
            cpu = cpuBefore < 0 || cpuAfter < 0 ? -1 : cpuAfter - cpuBefore;
        } finally {
            pool.shutdownNow();
            for (Connection connection : connections) {
                connection.close();
            }
        }
        try (Connection check = DriverManager.getConnection(jdbcUrl); Statement sql = check.createStatement();
             ResultSet counts = sql.executeQuery("SELECT count(*) FILTER (WHERE version > 1),"
                     + " count(*) FILTER (WHERE version = 0) FROM " + table)) {
            counts.next();
            Result result = new Result(committed.get(), seconds, counts.getLong(1), counts.getLong(2), cpu);
            sql.execute("DROP TABLE " + table);
            return result;
        }
    }

    private void work(Connection connection, String owner, int batch, AtomicLong committed) throws SQLException {
        try (PreparedStatement claim = connection.prepareStatement("UPDATE " + table
                     + " SET lease_owner = ?, lease_until = ? WHERE id IN (SELECT id FROM " + table
                     + " WHERE next_due <= ? AND (lease_until IS NULL OR lease_until < ?)"
                     + " ORDER BY next_due LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING id, version");
             PreparedStatement commit = connection.prepareStatement("UPDATE " + table
                     + " SET secret = ?, version = version + 1, next_due = ?, lease_owner = NULL, lease_until = NULL"
                     + " WHERE id = ? AND version = ? AND lease_owner = ?")) {
            connection.setAutoCommit(true);
            byte[] secret = new byte[SECRET_BYTES];
            while (true) {
                long now = System.currentTimeMillis();
                claim.setString(1, owner);
                claim.setLong(2, now + LEASE_MILLIS);
                claim.setLong(3, now);
                claim.setLong(4, now);
                claim.setInt(5, batch);
                List<String> ids = new ArrayList<>();
                List<Long> versions = new ArrayList<>();
                try (ResultSet claimed = claim.executeQuery()) {
                    while (claimed.next()) {
                        ids.add(claimed.getString(1));
                        versions.add(claimed.getLong(2));
                    }
                }
                if (ids.isEmpty()) {
                    return;
                }
                for (int i = 0; i < ids.size(); i++) {
                    secret[i % SECRET_BYTES]++;
                    commit.setBytes(1, secret);
                    commit.setLong(2, System.currentTimeMillis() + NEXT_DUE_MILLIS);
                    commit.setString(3, ids.get(i));
                    commit.setLong(4, versions.get(i));
                    commit.setString(5, owner);
                    if (commit.executeUpdate() == 1) {
                        committed.incrementAndGet();
                    }
                }
            }
        }
    }
}
