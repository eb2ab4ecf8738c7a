package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

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
        JsonNode value = row.get(column);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("column " + column + " is not text");
        }
        return Optional.of(value.textValue());
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
        JsonNode value = row.get(column);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException("column " + column + " is not a whole number");
        }
        return Optional.of(value.longValue());
    }

    private static IllegalArgumentException missing(String column) {
        return new IllegalArgumentException("column " + column + " is missing or null");
    }
}
