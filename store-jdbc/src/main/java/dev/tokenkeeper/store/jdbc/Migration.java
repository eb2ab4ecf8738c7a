package dev.tokenkeeper.store.jdbc;

import java.util.List;
import java.util.Objects;

/**
 * One step of a schema: the statements that take a database from {@code version - 1} to
 * {@code version}. {@link MigrationRunner} applies it in one transaction with the new version.
 *
 * @param version     the schema version after this step, starting at 1
 * @param description what the step does, for messages
 * @param statements  the DDL and DML to run, in order
 */
public record Migration(int version, String description, List<String> statements) {

    /** Copies the statements. */
    public Migration {
        Objects.requireNonNull(description, "description");
        statements = List.copyOf(statements);
        if (version < 1) {
            throw new IllegalArgumentException("migration versions start at 1: " + version);
        }
    }
}
