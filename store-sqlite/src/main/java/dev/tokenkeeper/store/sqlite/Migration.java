package dev.tokenkeeper.store.sqlite;

import java.util.List;
import java.util.Objects;

/**
 * One step of the schema: the statements that take a database from {@code version - 1} to
 * {@code version}. Applied in one transaction together with the new {@code PRAGMA user_version}.
 *
 * @param version     the schema version after this step, starting at 1
 * @param description what the step does, for messages
 * @param statements  the DDL and DML to run, in order
 */
record Migration(int version, String description, List<String> statements) {

    /** Copies the statements. */
    Migration {
        Objects.requireNonNull(description, "description");
        statements = List.copyOf(statements);
        if (version < 1) {
            throw new IllegalArgumentException("migration versions start at 1: " + version);
        }
    }
}
