package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.store.jdbc.Dialect;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * SQLite's side of the shared statements: unqualified tables, which sort by their bytes already
 * (BINARY collation), {@code seq} as the history's key, and a consumer's credential ids in one
 * text column, space-separated (no id holds a space).
 *
 * @param file the database file, for messages
 */
record SqliteDialect(Path file) implements Dialect {

    @Override
    public String table(String name) {
        return name;
    }

    @Override
    public String byteOrder(String column) {
        return column;
    }

    @Override
    public String historySequence() {
        return "seq";
    }

    @Override
    public <S extends SqlStatement<S>> S bindIds(S statement, String name, List<String> ids) {
        return statement.bind(name, String.join(" ", ids));
    }

    @Override
    public List<String> readIds(ResultSet rows, String column) throws SQLException {
        return Arrays.asList(rows.getString(column).split(" "));
    }

    @Override
    public RuntimeException unreadable(String what, RuntimeException cause) {
        return new StoreException("sqlite: " + file + " holds a " + what + " row this tokenkeeper cannot read ("
                + cause.getMessage() + "): was it written by a newer version or edited by hand?", cause);
    }
}
