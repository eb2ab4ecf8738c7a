package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.store.jdbc.Migration;
import dev.tokenkeeper.store.jdbc.MigrationRunner;
import java.nio.file.Path;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The store's tables and how to get an existing database to them. The version lives in
 * {@code PRAGMA user_version}; {@link MigrationRunner} applies the missing steps in one write
 * transaction (SQLite's write lock, taken at {@code BEGIN}), which re-reads the version, so two
 * daemons starting at once on a new file do not both apply a step.
 */
final class Schema {

    /** Every step, in order; step {@code i} has version {@code i + 1}. Append, never edit. */
    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "credentials and refresh history", List.of(
                    """
                    CREATE TABLE credentials (
                        id                 TEXT    NOT NULL PRIMARY KEY,
                        provider           TEXT    NOT NULL,
                        account            TEXT    NOT NULL,
                        status             TEXT    NOT NULL,
                        sealed_secret      BLOB    NOT NULL,
                        issued_at          INTEGER NOT NULL,
                        access_expires_at  INTEGER,
                        refresh_expires_at INTEGER,
                        version            INTEGER NOT NULL,
                        last_refresh_at    INTEGER,
                        last_error         TEXT,
                        updated_at         INTEGER NOT NULL,
                        lease_owner        TEXT,
                        lease_until        INTEGER
                    )""",
                    """
                    CREATE TABLE refresh_history (
                        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
                        credential_id TEXT    NOT NULL,
                        at            INTEGER NOT NULL,
                        outcome       TEXT    NOT NULL,
                        detail        TEXT    NOT NULL,
                        duration_ms   INTEGER NOT NULL,
                        version       INTEGER NOT NULL
                    )""",
                    "CREATE INDEX refresh_history_by_credential ON refresh_history (credential_id, at)")),
            new Migration(2, "consumers (programs with tokens of their own; only the token's hash is kept)", List.of(
                    """
                    CREATE TABLE consumers (
                        name        TEXT    NOT NULL PRIMARY KEY,
                        token_hash  TEXT    NOT NULL UNIQUE,
                        credentials TEXT    NOT NULL,
                        created_at  INTEGER NOT NULL
                    )""")),
            new Migration(3, "consumers: the daemon's authentication tag of each row (a row without one grants nothing)",
                    List.of("ALTER TABLE consumers ADD COLUMN mac TEXT")),
            new Migration(4, "account secrets: what the daemon keeps sealed beside a credential (a CookieCloud link,"
                    + " sign-in details), each row tagged by the daemon", List.of(
                    """
                    CREATE TABLE account_secrets (
                        credential_id TEXT    NOT NULL,
                        kind          TEXT    NOT NULL,
                        lookup_hash   TEXT    NOT NULL,
                        sealed_secret BLOB    NOT NULL,
                        created_at    INTEGER NOT NULL,
                        mac           TEXT,
                        PRIMARY KEY (credential_id, kind),
                        UNIQUE (kind, lookup_hash)
                    )""")));

    /** The version this code writes and reads. */
    static final int CURRENT_VERSION = MIGRATIONS.size();

    private Schema() {
    }

    /**
     * Brings the database to {@link #CURRENT_VERSION}.
     *
     * @param jdbi the database
     * @param file the file, for messages
     * @throws StoreException when the database is newer than this code
     * @throws org.jdbi.v3.core.JdbiException when SQLite fails; the caller translates it
     */
    static void migrate(Jdbi jdbi, Path file) {
        MigrationRunner.migrate(jdbi, MIGRATIONS, new MigrationRunner.Ledger() {
            @Override
            public int version(Handle handle) {
                return userVersion(handle);
            }

            @Override
            public void record(Handle handle, int version) {
                handle.execute("PRAGMA user_version = " + version);
            }

            @Override
            public StoreException newerThanThisCode(int found, int current) {
                return new StoreException("sqlite: " + file + ": database schema version " + found
                        + " is newer than this tokenkeeper (" + current + "): upgrade tokenkeeper");
            }
        });
    }

    /**
     * @param handle an open handle
     * @return the database's {@code PRAGMA user_version}
     */
    static int userVersion(Handle handle) {
        return handle.createQuery("PRAGMA user_version").mapTo(Integer.class).one();
    }
}
