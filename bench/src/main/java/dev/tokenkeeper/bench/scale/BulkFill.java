package dev.tokenkeeper.bench.scale;

import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.rig.Installed;
import dev.tokenkeeper.bench.stores.PostgresCluster;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import org.postgresql.PGConnection;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Fills the credentials table of a PostgreSQL store fast: the tables are made by the store itself
 * (opened once, so its migrations run and the columns are whatever today's schema has), then rows
 * of {@link Credentials#gazelle} (each sealed by the daemon's sealer under the daemons' master key,
 * in parallel) go in with {@code COPY … FROM STDIN} in batches. When the table has a
 * {@code next_due} column (the due queue of issue 26), each row gets its planned due time, as the
 * daemon would have written it on import; otherwise the daemons plan the rows themselves.
 *
 * @param jdbcUrl the database
 * @param schema  the store's schema
 * @param sealer  the sealer with the daemons' master key
 */
public record BulkFill(String jdbcUrl, String schema, SecretSealer sealer) {

    private static final int BATCH = 5_000;

    /**
     * When one credential was issued, expires and is due.
     *
     * @param issued when its token was issued (also its last refresh)
     * @param expiry when its access token expires
     * @param due    when the planner will want it refreshed (written to {@code next_due} when there is one)
     */
    public record Timing(Instant issued, Instant expiry, Instant due) {
    }

    /**
     * Creates the store's tables in {@code schema} by opening the PostgreSQL store once.
     *
     * @param postgres the cluster
     * @param schema   the schema
     * @param sealer   the sealer with the daemons' master key
     * @param scratch  a folder the store may use as its state folder while it migrates
     * @return the filler
     * @throws IOException when the folder cannot be made
     */
    public static BulkFill prepare(PostgresCluster postgres, String schema, SecretSealer sealer, Path scratch)
            throws IOException {
        Files.createDirectories(scratch);
        TokenStore store = Installed.store("postgres");
        store.open(new DaemonPluginContext(Settings.of(postgres.settings(schema), Map.of()), scratch, Clock.systemUTC()));
        store.close();
        return new BulkFill(postgres.jdbcUrl(), schema, sealer);
    }

    /**
     * Inserts credentials {@code from} (inclusive) to {@code to} (exclusive).
     *
     * @param from   first index
     * @param to     end index
     * @param timing each index's times
     * @return seconds it took, sealing included
     * @throws SQLException when the database refuses
     * @throws IOException  when the copy stream fails
     */
    public double fill(int from, int to, IntFunction<Timing> timing) throws SQLException, IOException {
        long started = System.nanoTime();
        try (Connection connection = DriverManager.getConnection(jdbcUrl)) {
            boolean nextDue = hasColumn(connection, "next_due");
            String copy = "COPY " + schema + ".credentials (id, provider, account, status, version, sealed_secret, issued_at,"
                    + " access_expires_at, refresh_expires_at, last_refresh_at, last_error, updated_at"
                    + (nextDue ? ", next_due" : "") + ") FROM STDIN";
            PGConnection pg = connection.unwrap(PGConnection.class);
            for (int start = from; start < to; start += BATCH) {
                String rows = IntStream.range(start, Math.min(to, start + BATCH)).parallel()
                        .mapToObj(i -> line(i, timing.apply(i), nextDue)).collect(Collectors.joining());
                pg.getCopyAPI().copyIn(copy, new StringReader(rows));
            }
        }
        return (System.nanoTime() - started) / 1e9;
    }

    /**
     * @return how many credentials the table holds (a kept cluster's table is filled on from there)
     * @throws SQLException when the database refuses
     */
    public int rows() throws SQLException {
        return (int) number("SELECT count(*) FROM " + schema + ".credentials");
    }

    /**
     * @return bytes the credentials table takes on disk, its indexes and TOAST included
     * @throws SQLException when the database refuses
     */
    public long tableBytes() throws SQLException {
        return number("SELECT pg_total_relation_size('" + schema + ".credentials'::regclass)");
    }

    /** @return the one number {@code query} answers (the schema is the bench's own name, never input) */
    private long number(String query) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl);
             PreparedStatement statement = connection.prepareStatement(query);
             ResultSet result = statement.executeQuery()) {
            result.next();
            return result.getLong(1);
        }
    }

    private String line(int index, Timing timing, boolean nextDue) {
        StoredCredential credential = Credentials.gazelle(index, sealer, timing.issued(), timing.expiry());
        String issued = Long.toString(timing.issued().toEpochMilli());
        // COPY's text format: tab-separated, \N for NULL, a backslash doubled (bytea as \x<hex>).
        return credential.id() + "\t" + credential.id().provider() + "\t" + credential.id().account() + "\t"
                + credential.status().wireName() + "\t" + credential.version() + "\t\\\\x"
                + HexFormat.of().formatHex(credential.secret().bytes()) + "\t" + issued + "\t"
                + timing.expiry().toEpochMilli() + "\t\\N\t" + issued + "\t\\N\t" + issued
                + (nextDue ? "\t" + timing.due().toEpochMilli() : "") + "\n";
    }

    private boolean hasColumn(Connection connection, String column) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT 1 FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = 'credentials' AND column_name = ?")) {
            query.setString(1, schema);
            query.setString(2, column);
            try (ResultSet result = query.executeQuery()) {
                return result.next();
            }
        }
    }
}
