package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A PostgREST query string as {@link FakePostgrest} understands it, read against one table:
 * horizontal filters ({@code col=op.value} with {@code eq neq lt lte gt gte is}, each optionally
 * after {@code not.}), {@code or=(...)} and {@code and=(...)} groups of such conditions (flat,
 * values optionally in double quotes), {@code select}, {@code order}, {@code limit}, {@code offset}
 * and {@code on_conflict}.
 *
 * @param where      the conjunction of every filter
 * @param select     the columns to return
 * @param order      the row order
 * @param offset     rows to skip
 * @param limit      the most rows
 * @param onConflict the column named by {@code on_conflict}, if any
 */
record FakeQuery(Predicate<ObjectNode> where, List<String> select, Comparator<ObjectNode> order, int offset,
                 int limit, Optional<String> onConflict) {

    /**
     * @param table    the table
     * @param rawQuery the raw (still encoded) query string, or null
     * @return the query
     * @throws PostgrestFailure 400 with PostgREST's code when something cannot be read
     */
    static FakeQuery parse(FakeTable table, String rawQuery) {
        Predicate<ObjectNode> where = row -> true;
        List<String> select = table.columnNames();
        Comparator<ObjectNode> order = (a, b) -> 0;
        int offset = 0;
        int limit = Integer.MAX_VALUE;
        Optional<String> onConflict = Optional.empty();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int equals = pair.indexOf('=');
                String name = decode(equals < 0 ? pair : pair.substring(0, equals));
                String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
                switch (name) {
                    case "select" -> select = select(table, value);
                    case "order" -> order = order(table, value);
                    case "limit" -> limit = number("limit", value);
                    case "offset" -> offset = number("offset", value);
                    case "on_conflict" -> onConflict = Optional.of(table.column(value.trim()).name());
                    case "columns" -> { /* only narrows the payload's keys; the fake takes them all */ }
                    case "or", "and" -> where = where.and(group(table, name, value));
                    default -> where = where.and(condition(table, name, value));
                }
            }
        }
        return new FakeQuery(where, select, order, offset, limit, onConflict);
    }

    /**
     * @param row a full row
     * @return a copy holding only the selected columns
     */
    ObjectNode project(ObjectNode row) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        select.forEach(column -> out.set(column, row.get(column)));
        return out;
    }

    private static List<String> select(FakeTable table, String value) {
        List<String> columns = new ArrayList<>();
        for (String item : value.split(",")) {
            String column = item.trim();
            if (column.equals("*")) {
                columns.addAll(table.columnNames());
            } else if (column.matches("[a-z_][a-z0-9_]*")) {
                columns.add(table.column(column).name());
            } else {
                throw PostgrestFailure.parse("select (" + column + ")");
            }
        }
        return columns;
    }

    private static Comparator<ObjectNode> order(FakeTable table, String value) {
        Comparator<ObjectNode> order = (a, b) -> 0;
        for (String item : value.split(",")) {
            String[] parts = item.trim().split("\\.");
            FakeTable.Column column = table.column(parts[0]);
            boolean descending = false;
            Boolean nullsFirst = null;
            for (int i = 1; i < parts.length; i++) {
                switch (parts[i]) {
                    case "asc" -> descending = false;
                    case "desc" -> descending = true;
                    case "nullsfirst" -> nullsFirst = true;
                    case "nullslast" -> nullsFirst = false;
                    default -> throw PostgrestFailure.parse("order (" + item + ")");
                }
            }
            // PostgreSQL: NULLs sort as if larger than every value unless told otherwise.
            boolean nullsFirstFinal = nullsFirst == null ? descending : nullsFirst;
            boolean descendingFinal = descending;
            Comparator<ObjectNode> byColumn = (a, b) -> {
                JsonNode x = a.get(column.name());
                JsonNode y = b.get(column.name());
                boolean xNull = x == null || x.isNull();
                boolean yNull = y == null || y.isNull();
                if (xNull || yNull) {
                    return xNull == yNull ? 0 : (xNull == nullsFirstFinal ? -1 : 1);
                }
                int compared = table.compare(column, x, y.isValueNode() ? y.asText() : y.toString());
                return descendingFinal ? -compared : compared;
            };
            order = order.thenComparing(byColumn);
        }
        return order;
    }

    private static Predicate<ObjectNode> group(FakeTable table, String kind, String value) {
        if (!value.startsWith("(") || !value.endsWith(")")) {
            throw PostgrestFailure.parse("logic tree (" + value + ")");
        }
        List<Predicate<ObjectNode>> conditions = new ArrayList<>();
        for (String item : splitGroup(value.substring(1, value.length() - 1))) {
            int dot = item.indexOf('.');
            if (dot < 0) {
                throw PostgrestFailure.parse("logic tree (" + value + ")");
            }
            conditions.add(condition(table, item.substring(0, dot), item.substring(dot + 1)));
        }
        return row -> kind.equals("or")
                ? conditions.stream().anyMatch(condition -> condition.test(row))
                : conditions.stream().allMatch(condition -> condition.test(row));
    }

    /** Splits at top-level commas; a value in double quotes may hold commas, dots and parentheses. */
    private static List<String> splitGroup(String inner) {
        List<String> items = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (quoted && c == '\\' && i + 1 < inner.length()) {
                current.append(c).append(inner.charAt(++i));
            } else if (c == '"') {
                quoted = !quoted;
                current.append(c);
            } else if (c == ',' && !quoted) {
                items.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (quoted) {
            throw PostgrestFailure.parse("logic tree: unterminated quote");
        }
        items.add(current.toString());
        return items;
    }

    /** {@code [not.]op.value} on {@code columnName}. */
    private static Predicate<ObjectNode> condition(FakeTable table, String columnName, String expression) {
        FakeTable.Column column = table.column(columnName.trim());
        boolean negated = expression.startsWith("not.");
        String rest = negated ? expression.substring(4) : expression;
        int dot = rest.indexOf('.');
        if (dot < 0) {
            throw PostgrestFailure.parse("filter (" + columnName + "=" + expression + ")");
        }
        String operator = rest.substring(0, dot);
        String literal = unquote(rest.substring(dot + 1));
        Predicate<ObjectNode> test = switch (operator) {
            case "is" -> switch (literal) {
                case "null" -> row -> isNull(row.get(column.name()));
                case "true", "false" -> row -> !isNull(row.get(column.name()))
                        && row.get(column.name()).asText().equals(literal);
                default -> throw PostgrestFailure.parse("filter (is." + literal + ")");
            };
            case "eq", "neq", "lt", "lte", "gt", "gte" -> {
                // Check the literal's type once, as PostgreSQL does even when no row matches.
                if (column.type() == FakeTable.Type.BIGINT || column.type() == FakeTable.Type.BIGSERIAL) {
                    table.compare(column, com.fasterxml.jackson.databind.node.LongNode.valueOf(0), literal);
                }
                yield row -> {
                    JsonNode value = row.get(column.name());
                    if (isNull(value)) {
                        return false; // SQL: a comparison with NULL is never true
                    }
                    int compared = table.compare(column, value, literal);
                    return switch (operator) {
                        case "eq" -> compared == 0;
                        case "neq" -> compared != 0;
                        case "lt" -> compared < 0;
                        case "lte" -> compared <= 0;
                        case "gt" -> compared > 0;
                        default -> compared >= 0;
                    };
                };
            }
            default -> throw PostgrestFailure.parse("filter (unknown operator " + operator + ")");
        };
        if (!negated) {
            return test;
        }
        // NOT of a comparison with NULL is still not true.
        return row -> (operator.equals("is") || !isNull(row.get(column.name()))) && !test.test(row);
    }

    private static String unquote(String literal) {
        if (literal.length() >= 2 && literal.startsWith("\"") && literal.endsWith("\"")) {
            StringBuilder out = new StringBuilder();
            for (int i = 1; i < literal.length() - 1; i++) {
                char c = literal.charAt(i);
                if (c == '\\' && i + 1 < literal.length() - 1) {
                    c = literal.charAt(++i);
                }
                out.append(c);
            }
            return out.toString();
        }
        return literal;
    }

    private static boolean isNull(JsonNode value) {
        return value == null || value.isNull();
    }

    private static int number(String name, String value) {
        try {
            int number = Integer.parseInt(value.trim());
            if (number >= 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw PostgrestFailure.parse(name + " (" + value + ")");
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
