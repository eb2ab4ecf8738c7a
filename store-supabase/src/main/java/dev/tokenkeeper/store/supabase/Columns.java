package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/** Reads typed column values from a JSON row, naming the column (never the value) when one is wrong. */
final class Columns {

    private Columns() {
    }

    /**
     * @param row    the row
     * @param column a text column that must not be null
     * @return its value
     */
    static String text(JsonNode row, String column) {
        return optionalText(row, column).orElseThrow(() -> missing(column));
    }

    /**
     * @param row    the row
     * @param column a nullable text column
     * @return its value, empty when null
     */
    static Optional<String> optionalText(JsonNode row, String column) {
        return optional(row, column, JsonNode::isTextual, "text", JsonNode::textValue);
    }

    /**
     * @param row    the row
     * @param column a bigint column that must not be null
     * @return its value
     */
    static long millis(JsonNode row, String column) {
        return optionalMillis(row, column).orElseThrow(() -> missing(column));
    }

    /**
     * @param row    the row
     * @param column a nullable bigint column
     * @return its value, empty when null
     */
    static Optional<Long> optionalMillis(JsonNode row, String column) {
        return optional(row, column, value -> value.isIntegralNumber() && value.canConvertToLong(), "a whole number",
                JsonNode::longValue);
    }

    /**
     * @param fits  whether a value not null is of the column's kind
     * @param kind  the kind, for the message
     * @param value reads a value that fits
     * @throws IllegalArgumentException when the value does not fit
     */
    private static <T> Optional<T> optional(JsonNode row, String column, Predicate<JsonNode> fits, String kind,
                                            Function<JsonNode, T> value) {
        JsonNode found = row.get(column);
        if (found == null || found.isNull()) {
            return Optional.empty();
        }
        if (!fits.test(found)) {
            throw new IllegalArgumentException("column " + column + " is not " + kind);
        }
        return Optional.of(value.apply(found));
    }

    private static IllegalArgumentException missing(String column) {
        return new IllegalArgumentException("column " + column + " is missing or null");
    }
}
