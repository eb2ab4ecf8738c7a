package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * One in-memory table of {@link FakePostgrest}: typed columns, a primary key, NOT NULL and CHECK
 * constraints, a serial column, and rows in insertion order. Every operation holds the table's lock,
 * so each request is atomic: a conditional update is a true compare-and-set.
 */
final class FakeTable {

    /** The PostgreSQL types the fake knows. */
    enum Type { TEXT, BIGINT, BIGSERIAL, JSONB, TIMESTAMPTZ }

    /**
     * @param name     the column name
     * @param type     its type
     * @param notNull  whether NULL is refused
     * @param fallback the default when an insert leaves it out, or null for NULL
     * @param allowed  the values a CHECK constraint allows, or empty for any
     */
    record Column(String name, Type type, boolean notNull, Supplier<JsonNode> fallback, Set<String> allowed) {
        static Column of(String name, Type type, boolean notNull) {
            return new Column(name, type, notNull, null, Set.of());
        }
    }

    /** What an insert does with a row whose key exists. */
    enum Resolution { ERROR, MERGE, IGNORE }

    private final String name;
    private final Map<String, Column> columns = new LinkedHashMap<>();
    private final String primaryKey;
    private final List<ObjectNode> rows = new ArrayList<>();
    private long serial;

    FakeTable(String name, String primaryKey, List<Column> columns) {
        this.name = name;
        this.primaryKey = primaryKey;
        columns.forEach(column -> this.columns.put(column.name(), column));
    }

    /** The credentials table as the shipped SQL creates it. */
    static FakeTable credentials(String name) {
        return new FakeTable(name, "id", List.of(
                Column.of("id", Type.TEXT, true),
                Column.of("provider", Type.TEXT, true),
                Column.of("account", Type.TEXT, true),
                new Column("status", Type.TEXT, true, null,
                        Set.of("active", "expired", "error", "requires_configuration")),
                Column.of("version", Type.BIGINT, true),
                Column.of("sealed_secret", Type.TEXT, true),
                Column.of("issued_at", Type.BIGINT, true),
                Column.of("access_expires_at", Type.BIGINT, false),
                Column.of("refresh_expires_at", Type.BIGINT, false),
                Column.of("last_refresh_at", Type.BIGINT, false),
                Column.of("last_error", Type.TEXT, false),
                Column.of("updated_at", Type.BIGINT, true),
                Column.of("lease_owner", Type.TEXT, false),
                Column.of("lease_until", Type.BIGINT, false)));
    }

    /** The history table as the shipped SQL creates it. */
    static FakeTable history(String name) {
        return new FakeTable(name, "id", List.of(
                Column.of("id", Type.BIGSERIAL, true),
                Column.of("credential_id", Type.TEXT, true),
                Column.of("at", Type.BIGINT, true),
                Column.of("outcome", Type.TEXT, true),
                new Column("detail", Type.TEXT, true, () -> TextNode.valueOf(""), Set.of()),
                new Column("duration_ms", Type.BIGINT, true, () -> LongNode.valueOf(0), Set.of()),
                Column.of("version", Type.BIGINT, true)));
    }

    /** The consumers table as the shipped SQL creates it. */
    static FakeTable consumers(String name) {
        return new FakeTable(name, "name", List.of(
                Column.of("name", Type.TEXT, true),
                Column.of("token_hash", Type.TEXT, true),
                Column.of("credentials", Type.TEXT, true),
                Column.of("created_at", Type.BIGINT, true),
                Column.of("mac", Type.TEXT, false)));
    }

    /** The legacy {@code system_settings} table of existing Gazelle deployments. */
    static FakeTable systemSettings() {
        return new FakeTable("system_settings", "key", List.of(
                Column.of("key", Type.TEXT, true),
                Column.of("value", Type.JSONB, false),
                new Column("updated_at", Type.TIMESTAMPTZ, true,
                        () -> TextNode.valueOf(timestamp(Instant.now())), Set.of())));
    }

    String name() {
        return name;
    }

    String primaryKey() {
        return primaryKey;
    }

    /** @return the names of every column, in table order */
    List<String> columnNames() {
        return List.copyOf(columns.keySet());
    }

    /**
     * @param column a column named in a filter, {@code select} or {@code order}
     * @return the column
     * @throws PostgrestFailure 400 {@code 42703} when there is none
     */
    Column column(String column) {
        Column found = columns.get(column);
        if (found == null) {
            throw PostgrestFailure.of(400, "42703", "column " + name + "." + column + " does not exist", null, null);
        }
        return found;
    }

    /** @return copies of the rows that match, in the given order, after {@code offset}, at most {@code limit} */
    synchronized List<ObjectNode> select(Predicate<ObjectNode> where, Comparator<ObjectNode> order, int offset,
                                         int limit) {
        return rows.stream().filter(where).sorted(order).skip(offset).limit(limit)
                .map(ObjectNode::deepCopy).collect(Collectors.toList());
    }

    /** @return copies of every row */
    synchronized List<ObjectNode> snapshot() {
        return rows.stream().map(ObjectNode::deepCopy).collect(Collectors.toList());
    }

    /**
     * Inserts all rows or none.
     *
     * @return copies of the rows written (inserted or merged)
     * @throws PostgrestFailure for an unknown column, a bad value, a violated constraint or a duplicate key
     */
    synchronized List<ObjectNode> insert(List<ObjectNode> body, Resolution resolution) {
        List<ObjectNode> staged = new ArrayList<>(rows.size() + body.size());
        rows.forEach(row -> staged.add(row.deepCopy()));
        long stagedSerial = serial;
        List<ObjectNode> written = new ArrayList<>();
        for (ObjectNode given : body) {
            ObjectNode values = coerceAll(given);
            ObjectNode existing = values.hasNonNull(primaryKey) ? find(staged, values.get(primaryKey)) : null;
            if (existing != null) {
                switch (resolution) {
                    case ERROR -> throw PostgrestFailure.of(409, "23505",
                            "duplicate key value violates unique constraint \"" + name + "_pkey\"",
                            "Key (" + primaryKey + ")=(" + values.get(primaryKey).asText() + ") already exists.", null);
                    case IGNORE -> {
                        continue;
                    }
                    case MERGE -> {
                        existing.setAll(values);
                        check(existing);
                        written.add(existing);
                        continue;
                    }
                    default -> throw new IllegalStateException();
                }
            }
            ObjectNode row = JsonNodeFactory.instance.objectNode();
            for (Column column : columns.values()) {
                JsonNode value = values.get(column.name());
                if (value == null) {
                    if (column.type() == Type.BIGSERIAL) {
                        value = LongNode.valueOf(++stagedSerial);
                    } else {
                        value = column.fallback() == null ? NullNode.getInstance() : column.fallback().get();
                    }
                }
                row.set(column.name(), value);
            }
            check(row);
            staged.add(row);
            written.add(row);
        }
        rows.clear();
        rows.addAll(staged);
        serial = stagedSerial;
        return written.stream().map(ObjectNode::deepCopy).collect(Collectors.toList());
    }

    /**
     * Sets {@code changes} on every matching row, all or none.
     *
     * @return copies of the rows after the change
     */
    synchronized List<ObjectNode> update(Predicate<ObjectNode> where, ObjectNode changes) {
        ObjectNode values = coerceAll(changes);
        List<ObjectNode> updated = new ArrayList<>();
        List<ObjectNode> staged = new ArrayList<>();
        for (ObjectNode row : rows) {
            if (where.test(row)) {
                ObjectNode copy = row.deepCopy();
                copy.setAll(values);
                check(copy);
                updated.add(copy);
                staged.add(copy);
            } else {
                staged.add(row);
            }
        }
        if (values.has(primaryKey) && staged.stream().map(row -> row.get(primaryKey)).distinct().count() < staged.size()) {
            throw PostgrestFailure.of(409, "23505", "duplicate key value violates unique constraint \"" + name
                    + "_pkey\"", "Key (" + primaryKey + ")=(" + values.get(primaryKey).asText() + ") already exists.", null);
        }
        rows.clear();
        rows.addAll(staged);
        return updated.stream().map(ObjectNode::deepCopy).collect(Collectors.toList());
    }

    /** @return the rows removed */
    synchronized List<ObjectNode> delete(Predicate<ObjectNode> where) {
        List<ObjectNode> removed = new ArrayList<>();
        for (Iterator<ObjectNode> it = rows.iterator(); it.hasNext(); ) {
            ObjectNode row = it.next();
            if (where.test(row)) {
                removed.add(row);
                it.remove();
            }
        }
        return removed;
    }

    /**
     * Compares a stored value with a filter's literal as PostgreSQL would for the column's type.
     *
     * @return negative, zero or positive; the stored value must not be NULL
     * @throws PostgrestFailure 400 {@code 22P02} when the literal is not of the column's type
     */
    int compare(Column column, JsonNode stored, String literal) {
        return switch (column.type()) {
            case BIGINT, BIGSERIAL -> Long.compare(stored.longValue(), parseLong(column, literal));
            case TIMESTAMPTZ -> parseTimestamp(stored.asText()).compareTo(parseTimestamp(literal));
            case JSONB -> stored.toString().compareTo(literal);
            case TEXT -> stored.asText().compareTo(literal);
        };
    }

    /** @return the instant in PostgreSQL's JSON form for timestamptz in UTC */
    static String timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC).toString().replace("Z", "+00:00");
    }

    private ObjectNode coerceAll(ObjectNode given) {
        ObjectNode values = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> field : given.properties()) {
            Column column = columns.get(field.getKey());
            if (column == null) {
                throw PostgrestFailure.of(400, "PGRST204", "Could not find the '" + field.getKey() + "' column of '"
                        + name + "' in the schema cache", null, null);
            }
            values.set(column.name(), coerce(column, field.getValue()));
        }
        return values;
    }

    private JsonNode coerce(Column column, JsonNode value) {
        if (value == null || value.isNull()) {
            return NullNode.getInstance();
        }
        return switch (column.type()) {
            case BIGINT, BIGSERIAL -> {
                if (value.isIntegralNumber() && value.canConvertToLong()) {
                    yield LongNode.valueOf(value.longValue());
                }
                yield LongNode.valueOf(parseLong(column, value.isTextual() ? value.textValue() : value.toString()));
            }
            case TEXT -> TextNode.valueOf(value.isValueNode() ? value.asText() : value.toString());
            case JSONB -> value.deepCopy();
            case TIMESTAMPTZ -> TextNode.valueOf(timestamp(parseTimestamp(value.asText())));
        };
    }

    private void check(ObjectNode row) {
        for (Column column : columns.values()) {
            JsonNode value = row.get(column.name());
            if (column.notNull() && (value == null || value.isNull())) {
                throw PostgrestFailure.of(400, "23502", "null value in column \"" + column.name() + "\" of relation \""
                        + name + "\" violates not-null constraint", "Failing row contains " + failingRow(row) + ".", null);
            }
            if (!column.allowed().isEmpty() && value != null && !value.isNull()
                    && !column.allowed().contains(value.asText())) {
                throw PostgrestFailure.of(400, "23514", "new row for relation \"" + name
                        + "\" violates check constraint \"" + name + "_" + column.name() + "_check\"",
                        "Failing row contains " + failingRow(row) + ".", null);
            }
        }
    }

    /** PostgreSQL's details list every value of the row, secrets included: the store must not repeat them. */
    private String failingRow(ObjectNode row) {
        return columns.keySet().stream()
                .map(column -> row.get(column) == null || row.get(column).isNull() ? "null" : row.get(column).asText())
                .collect(Collectors.joining(", ", "(", ")"));
    }

    private ObjectNode find(List<ObjectNode> in, JsonNode key) {
        for (ObjectNode row : in) {
            if (Objects.equals(row.get(primaryKey), key)) {
                return row;
            }
        }
        return null;
    }

    private static long parseLong(Column column, String literal) {
        try {
            return Long.parseLong(literal.trim());
        } catch (NumberFormatException e) {
            throw PostgrestFailure.of(400, "22P02", "invalid input syntax for type bigint: \"" + literal + "\"", null, null);
        }
    }

    private static Instant parseTimestamp(String literal) {
        try {
            return OffsetDateTime.parse(literal.trim().replace(' ', 'T')).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(literal.trim());
            } catch (DateTimeParseException again) {
                throw PostgrestFailure.of(400, "22007", "invalid input syntax for type timestamp with time zone: \""
                        + literal + "\"", null, null);
            }
        }
    }
}
