package dev.tokenkeeper.store.supabase;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The path and query string of one PostgREST request: {@code /rest/v1/<table>?col=op.value&...}.
 * Every parameter is percent-encoded; values inside an {@code or=(...)} group are also quoted, so
 * that commas, dots and parentheses in a value cannot change the filter.
 */
final class PostgrestQuery {

    private final String table;
    private final List<String> parameters = new ArrayList<>();

    private PostgrestQuery(String table) {
        this.table = Objects.requireNonNull(table, "table");
    }

    /**
     * @param table the table
     * @return a query on that table without parameters
     */
    static PostgrestQuery on(String table) {
        return new PostgrestQuery(table);
    }

    /** @return the table the query is on */
    String table() {
        return table;
    }

    /**
     * @param column  a column
     * @param operator a PostgREST operator such as {@code eq}, {@code gte}, {@code is}
     * @param value   the value, as PostgREST reads it
     * @return this query with {@code column=operator.value}
     */
    PostgrestQuery where(String column, String operator, Object value) {
        return parameter(column, operator + "." + value);
    }

    /**
     * @param conditions conditions made with {@link #condition} or {@link #textCondition}
     * @return this query with {@code or=(c1,c2,...)}: a row matches when any condition holds
     */
    PostgrestQuery anyOf(String... conditions) {
        return parameter("or", "(" + String.join(",", conditions) + ")");
    }

    /**
     * @param column   a column
     * @param operator an operator
     * @param value    a value without reserved characters (a number or {@code null})
     * @return {@code column.operator.value}, for {@link #anyOf}
     */
    static String condition(String column, String operator, Object value) {
        return column + "." + operator + "." + value;
    }

    /**
     * @param column   a column
     * @param operator an operator
     * @param text     any text
     * @return {@code column.operator."text"} with {@code "} and {@code \} escaped, for {@link #anyOf}
     */
    static String textCondition(String column, String operator, String text) {
        return column + "." + operator + ".\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * @param columns a comma-separated column list
     * @return this query with {@code select=columns}
     */
    PostgrestQuery select(String columns) {
        return parameter("select", columns);
    }

    /**
     * @param order for example {@code at.desc,id.desc}
     * @return this query with {@code order=order}
     */
    PostgrestQuery order(String order) {
        return parameter("order", order);
    }

    /**
     * @param limit the most rows to return
     * @return this query with {@code limit=limit}
     */
    PostgrestQuery limit(int limit) {
        return parameter("limit", Integer.toString(limit));
    }

    /** @return {@code /rest/v1/<table>} followed by the encoded query string, if any */
    String pathAndQuery() {
        String path = "/rest/v1/" + encode(table);
        return parameters.isEmpty() ? path : path + "?" + String.join("&", parameters);
    }

    private PostgrestQuery parameter(String name, String value) {
        parameters.add(encode(name) + "=" + encode(value));
        return this;
    }

    private static String encode(String text) {
        // URLEncoder writes a space as '+', which not every server reads as a space; %20 is unambiguous.
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
