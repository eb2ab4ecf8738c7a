package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.store.jdbc.Migration;
import dev.tokenkeeper.store.jdbc.MigrationRunner;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The store's tables, versioned: {@code <schema>.schema_version} holds the version the tables are
 * at, and each migration brings them one version further. Migrating happens in one transaction
 * under a transaction-scoped advisory lock, so two daemons starting at once migrate once; a
 * schema already at the current version is only read (no DDL rights needed after
 * {@code doctor --print-sql postgres}).
 */
final class Schema {

    /** The scripts, in order; migration {@code i} brings the tables to version {@code i + 1}. */
    private static final List<String> MIGRATIONS = List.of("schema-1.sql", "schema-2.sql", "schema-3.sql",
            "schema-4.sql", "schema-5.sql", "schema-6.sql");
    /** The version this code reads and writes. */
    static final int CURRENT = MIGRATIONS.size();

    private Schema() {
    }

    /**
     * Brings the schema to {@link #CURRENT}, creating it if needed.
     *
     * @param jdbi   the database
     * @param schema the schema name (a checked plain identifier)
     * @return the version found before migrating (0 when there were no tables)
     * @throws StoreException when the tables are newer than this code
     */
    static int migrate(Jdbi jdbi, String schema) {
        List<Migration> steps = new ArrayList<>();
        for (int version = 1; version <= CURRENT; version++) {
            String resource = MIGRATIONS.get(version - 1);
            steps.add(new Migration(version, resource, List.of(script(resource, schema))));
        }
        return MigrationRunner.migrate(jdbi, steps, new MigrationRunner.Ledger() {
            @Override
            public int version(Handle handle) {
                return Schema.version(handle, schema).orElse(0);
            }

            @Override
            public void lock(Handle handle) {
                handle.execute("SELECT pg_advisory_xact_lock(?)", lockKey(schema));
            }

            @Override
            public void prepare(Handle handle) {
                execute(handle, "CREATE SCHEMA IF NOT EXISTS " + schema + ";\n" + versionTable(schema));
            }

            @Override
            public void apply(Handle handle, String script) {
                execute(handle, script);
            }

            @Override
            public void record(Handle handle, int version) {
                handle.execute("INSERT INTO " + schema + ".schema_version (version) VALUES (?)", version);
            }

            @Override
            public StoreException newerThanThisCode(int found, int current) {
                return new StoreException("postgres: schema " + schema + " is at version " + found + ", newer than"
                        + " this tokenkeeper knows (" + current + "): upgrade tokenkeeper, or use another "
                        + PostgresSettings.SCHEMA);
            }
        });
    }

    /**
     * Checks that the connected user may do everything the store does, so that a missing grant
     * stops the daemon (and fails {@code doctor}) at start rather than at the first refresh.
     *
     * @param jdbi   the database
     * @param schema the schema
     * @throws StoreException naming every missing right and the statement that grants it
     */
    static void checkRights(Jdbi jdbi, String schema) {
        List<String> missing = jdbi.withHandle(handle -> {
            List<String> lacking = new ArrayList<>();
            String[][] wanted = {
                    {"table", schema + ".credentials", "SELECT"}, {"table", schema + ".credentials", "INSERT"},
                    {"table", schema + ".credentials", "UPDATE"}, {"table", schema + ".credentials", "DELETE"},
                    {"table", schema + ".refresh_history", "SELECT"}, {"table", schema + ".refresh_history", "INSERT"},
                    {"table", schema + ".consumers", "SELECT"}, {"table", schema + ".consumers", "INSERT"},
                    {"table", schema + ".consumers", "UPDATE"}, {"table", schema + ".consumers", "DELETE"},
                    {"table", schema + ".account_secrets", "SELECT"}, {"table", schema + ".account_secrets", "INSERT"},
                    {"table", schema + ".account_secrets", "UPDATE"}, {"table", schema + ".account_secrets", "DELETE"},
                    {"table", schema + ".changes", "SELECT"}, {"table", schema + ".changes", "INSERT"},
                    {"table", schema + ".changes", "DELETE"}, {"table", schema + ".changes_horizon", "SELECT"},
                    {"table", schema + ".changes_horizon", "UPDATE"},
                    {"sequence", schema + ".refresh_history_id_seq", "USAGE"}, {"sequence", schema + ".changes_seq_seq", "USAGE"}};
            for (String[] right : wanted) {
                String function = right[0].equals("table") ? "has_table_privilege" : "has_sequence_privilege";
                boolean held = handle.createQuery("SELECT " + function + "(:object, :privilege)")
                        .bind("object", right[1]).bind("privilege", right[2]).mapTo(Boolean.class).one();
                if (!held) {
                    lacking.add(right[2] + " on " + right[1]);
                }
            }
            return lacking;
        });
        if (!missing.isEmpty()) {
            throw new StoreException("postgres: the database user lacks " + String.join(", ", missing)
                    + ": grant them (see the grants in `tokenkeeper doctor --print-sql postgres`)");
        }
    }

    /**
     * @param handle an open handle
     * @param schema the schema
     * @return the tables' version, or empty when there is no version table
     */
    static Optional<Integer> version(Handle handle, String schema) {
        // A query of the catalog, not to_regclass: that looks in the session's cache, which may
        // still hold "no such table" from a read before the migration lock was granted.
        boolean exists = handle.createQuery("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
                        + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = :schema AND c.relname = 'schema_version')")
                .bind("schema", schema).mapTo(Boolean.class).one();
        if (!exists) {
            return Optional.empty();
        }
        return Optional.of(handle.createQuery("SELECT coalesce(max(version), 0) FROM " + schema + ".schema_version")
                .mapTo(Integer.class).one());
    }

    /**
     * @param schema the schema
     * @return the whole script a user with DDL rights runs once, for {@code doctor --print-sql postgres}
     */
    static String setupSql(String schema) {
        StringBuilder sql = new StringBuilder()
                .append("-- tokenkeeper: the tables of the PostgreSQL store (TOKENKEEPER_STORE=postgres), schema version ")
                .append(CURRENT).append(".\n")
                .append("-- The store creates and migrates these itself when its user may; otherwise run this once\n")
                .append("-- (psql -1 -f this.sql) as a user with DDL rights, then grant the daemon's user:\n")
                .append("--   grant usage on schema ").append(schema).append(" to tokenkeeper_daemon;\n")
                .append("--   grant select, insert, update, delete on all tables in schema ").append(schema)
                .append(" to tokenkeeper_daemon;\n")
                .append("--   grant usage on all sequences in schema ").append(schema).append(" to tokenkeeper_daemon;\n\n")
                .append("CREATE SCHEMA IF NOT EXISTS ").append(schema).append(";\n")
                .append(versionTable(schema)).append('\n');
        for (int version = 1; version <= CURRENT; version++) {
            sql.append(script(MIGRATIONS.get(version - 1), schema)).append('\n')
                    .append("INSERT INTO ").append(schema).append(".schema_version (version) VALUES (")
                    .append(version).append(");\n");
        }
        return sql.toString();
    }

    /** A stable 64-bit key per schema for {@code pg_advisory_xact_lock}. */
    static long lockKey(String schema) {
        return 0x746b6b70_00000000L | (schema.hashCode() & 0xffffffffL);
    }

    private static String versionTable(String schema) {
        return "CREATE TABLE IF NOT EXISTS " + schema + ".schema_version (version integer not null);";
    }

    private static void execute(Handle handle, String script) {
        try (Statement statement = handle.getConnection().createStatement()) {
            statement.execute(script);
        } catch (SQLException e) {
            throw new UnableToExecuteStatementException(e, null);
        }
    }

    private static String script(String resource, String schema) {
        try (InputStream in = Schema.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema script " + resource + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${schema}", schema);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema script " + resource, e);
        }
    }
}
