package dev.tokenkeeper.store.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.result.ResultIterable;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.Update;

/**
 * Maps values of one kind to rows of one table and back: the columns a value is read from and
 * inserted into (each bound as the named parameter of the same name), and what a row this code
 * cannot read becomes.
 *
 * @param <T> the value
 */
public abstract class TableRows<T> implements RowMapper<T> {

    private final String what;
    private final List<String> columns;
    /** The store's differences. */
    protected final Dialect dialect;

    /**
     * @param what    {@code credential}, {@code history} or {@code consumer}, for messages
     * @param dialect the store's differences
     * @param columns every column a value is read from and inserted into
     */
    protected TableRows(String what, Dialect dialect, List<String> columns) {
        this.what = what;
        this.dialect = dialect;
        this.columns = List.copyOf(columns);
    }

    /** @return the columns, in order */
    final List<String> columns() {
        return columns;
    }

    /**
     * @param handle  a handle
     * @param table   the table as statements name it
     * @param value   the value
     * @param suffix  what follows the values, e.g. an {@code ON CONFLICT} clause
     * @return the insert, with every column bound
     */
    final Update insert(Handle handle, String table, T value, String suffix) {
        return bind(handle.createUpdate("INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES (:"
                + String.join(", :", columns) + ")" + suffix), value);
    }

    /**
     * @param handle     a handle
     * @param table      the table as statements name it
     * @param rest       what follows {@code FROM table}: the condition and the order
     * @param parameters the named parameters of {@code rest}
     * @return the rows, read as values
     */
    final ResultIterable<T> select(Handle handle, String table, String rest, Map<String, ?> parameters) {
        return handle.createQuery("SELECT " + String.join(", ", columns) + " FROM " + table + " " + rest)
                .bindMap(parameters)
                .map(this);
    }

    /**
     * @param statement the statement
     * @param value     the value
     * @param <S>       the statement type
     * @return the statement with every column bound as the parameter of the same name
     */
    protected abstract <S extends SqlStatement<S>> S bind(S statement, T value);

    /**
     * @param rows a result set on a row selected with every column
     * @return the value
     * @throws SQLException when a column cannot be read
     */
    protected abstract T read(ResultSet rows) throws SQLException;

    /** Reads the row; a row whose values are refused becomes the dialect's {@link Dialect#unreadable} error. */
    @Override
    public final T map(ResultSet rows, StatementContext context) throws SQLException {
        try {
            return read(rows);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw dialect.unreadable(what, e);
        }
    }
}
