package dev.tokenkeeper.store.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * What one SQL store does its own way in the statements the stores share: where the tables are,
 * how names sort, how a consumer's list of credential ids is kept, and what a row this code cannot
 * read becomes. Leases, the change feed, purging and the connection's set-up stay in each store.
 */
public interface Dialect {

    /**
     * @param name {@code credentials}, {@code refresh_history} or {@code consumers}
     * @return the table as statements name it (qualified by a schema where the store has one)
     */
    String table(String name);

    /**
     * @param column a text column
     * @return what to {@code ORDER BY} so that the column sorts by its bytes, whatever the database's collation
     */
    String byteOrder(String column);

    /** @return the history table's ascending key, which orders events appended at the same time */
    String historySequence();

    /**
     * @param statement the statement
     * @param name      the named parameter
     * @param ids       credential ids, as text
     * @param <S>       the statement type
     * @return the statement with the list bound in the store's column type
     */
    <S extends SqlStatement<S>> S bindIds(S statement, String name, List<String> ids);

    /**
     * @param rows   a result set, on a row
     * @param column the column {@link #bindIds} wrote
     * @return the ids, as text
     * @throws SQLException when the column cannot be read
     */
    List<String> readIds(ResultSet rows, String column) throws SQLException;

    /**
     * @param what  {@code credential}, {@code history} or {@code consumer}
     * @param cause why the row's values were refused
     * @return what to throw for a stored row this code cannot read
     */
    RuntimeException unreadable(String what, RuntimeException cause);
}
