package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.StoreException;
import java.util.List;
import java.util.Objects;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Brings a database's tables to the newest {@link Migration}. A database already there is only
 * read. Otherwise the missing steps run in one transaction that first takes the store's lock and
 * reads the version again, so two daemons starting at once on a new database apply each step once.
 */
public final class MigrationRunner {

    /** Where a database keeps its schema version, and how a store applies and guards a step. */
    public interface Ledger {

        /**
         * @param handle an open handle
         * @return the version the tables are at; 0 when there are none
         */
        int version(Handle handle);

        /**
         * Serializes migrations between processes, inside the migrating transaction (the store's
         * transactions may already do so).
         *
         * @param handle the handle in the transaction
         */
        default void lock(Handle handle) {
        }

        /**
         * Runs before the first step: creates what {@link #record} writes to, if anything.
         *
         * @param handle the handle in the transaction
         */
        default void prepare(Handle handle) {
        }

        /**
         * @param handle    the handle in the transaction
         * @param statement one statement of a step
         */
        default void apply(Handle handle, String statement) {
            handle.execute(statement);
        }

        /**
         * @param handle  the handle in the transaction
         * @param version the version a step brought the tables to
         */
        void record(Handle handle, int version);

        /**
         * @param found   the database's version
         * @param current the newest this code knows
         * @return the exception naming the database and what to do
         */
        StoreException newerThanThisCode(int found, int current);
    }

    private MigrationRunner() {
    }

    /**
     * @param jdbi       the database
     * @param migrations every step, in order; step {@code i} has version {@code i + 1}
     * @param ledger     the store's version keeping
     * @return the version found before migrating (0 when there were no tables)
     * @throws StoreException when the database is newer than this code
     * @throws org.jdbi.v3.core.JdbiException when the database fails; the caller translates it
     */
    public static int migrate(Jdbi jdbi, List<Migration> migrations, Ledger ledger) {
        Objects.requireNonNull(ledger, "ledger");
        for (int i = 0; i < migrations.size(); i++) {
            if (migrations.get(i).version() != i + 1) {
                throw new IllegalArgumentException("migration " + i + " has version " + migrations.get(i).version());
            }
        }
        int current = migrations.size();
        int found = jdbi.withHandle(ledger::version);
        if (found > current) {
            throw ledger.newerThanThisCode(found, current);
        }
        if (found == current) {
            return found;
        }
        return jdbi.inTransaction(handle -> {
            ledger.lock(handle);
            int now = ledger.version(handle);
            if (now > current) {
                throw ledger.newerThanThisCode(now, current);
            }
            if (now < current) {
                ledger.prepare(handle);
            }
            for (Migration migration : migrations.subList(now, current)) {
                for (String statement : migration.statements()) {
                    ledger.apply(handle, statement);
                }
                // Part of the same transaction: the step and its version commit together.
                ledger.record(handle, migration.version());
            }
            return now;
        });
    }
}
