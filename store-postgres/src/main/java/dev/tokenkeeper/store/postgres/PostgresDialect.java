package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.store.jdbc.Dialect;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * PostgreSQL's side of the shared statements: tables in the store's schema, sorted by bytes with
 * {@code COLLATE "C"} (the database's collation may sort otherwise), {@code id} as the history's
 * key, and a consumer's credential ids as a {@code text[]}. A row this code cannot read is left to
 * {@link PostgresErrors}, which names the server and the schema.
 *
 * @param schema the schema (a checked plain identifier)
 */
record PostgresDialect(String schema) implements Dialect {

    @Override
    public String table(String name) {
        return schema + "." + name;
    }

    @Override
    public String byteOrder(String column) {
        return column + " COLLATE \"C\"";
    }

    @Override
    public String historySequence() {
        return "id";
    }

    @Override
    public <S extends SqlStatement<S>> S bindIds(S statement, String name, List<String> ids) {
        return statement.bindArray(name, String.class, ids);
    }

    @Override
    public List<String> readIds(ResultSet rows, String column) throws SQLException {
        Array ids = rows.getArray(column);
        return Arrays.asList((String[]) ids.getArray());
    }

    @Override
    public RuntimeException unreadable(String what, RuntimeException cause) {
        return cause;
    }
}
