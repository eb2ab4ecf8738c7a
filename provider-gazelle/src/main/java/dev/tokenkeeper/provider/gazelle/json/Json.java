package dev.tokenkeeper.provider.gazelle.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads JSON as Jackson trees, or a flat object's fields as a stream. Jackson's own messages quote the
 * input, which may be a token, so callers report only {@link #describe(JsonProcessingException) a location}.
 */
public final class Json {

    /** Token endpoints answer flat objects; a deep document is hostile, whatever its source. */
    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(32)
                            .maxStringLength(1024 * 1024)
                            .maxNumberLength(64)
                            .build())
                    .build())
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {
    }

    /**
     * @param text JSON text
     * @return the tree; a {@code MissingNode} for empty text
     * @throws JsonProcessingException when the text is not JSON
     */
    public static JsonNode read(String text) throws JsonProcessingException {
        return MAPPER.readTree(text);
    }

    /**
     * @param bytes a UTF-8 body
     * @return the body as an object, or empty when it is not a JSON object
     */
    public static Optional<ObjectNode> object(byte[] bytes) {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            return node instanceof ObjectNode object ? Optional.of(object) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Reads a flat object's properties without building its tree (a token answer is read for every refresh):
     * the same document is accepted as by {@link #object}, and where a name appears twice the last value counts.
     *
     * @param bytes  a UTF-8 body
     * @param wanted the names to keep
     * @return each wanted property present: a {@link String} for a string, a {@link Double} for a number, and
     *         {@link Boolean#FALSE} for anything else; empty when the body is not a JSON object
     */
    public static Optional<Map<String, Object>> fields(byte[] bytes, Set<String> wanted) {
        try (JsonParser parser = MAPPER.createParser(bytes)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            Map<String, Object> kept = new HashMap<>();
            for (JsonToken token = parser.nextToken(); token == JsonToken.FIELD_NAME; token = parser.nextToken()) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value == null) {
                    return Optional.empty();
                }
                Object read = switch (value) {
                    case VALUE_STRING -> parser.getText();
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
                    default -> {
                        parser.skipChildren();
                        yield Boolean.FALSE;
                    }
                };
                if (wanted.contains(name)) {
                    kept.put(name, read);
                }
            }
            return parser.nextToken() == null ? Optional.of(kept) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * @param value a property read by {@link #fields}, possibly absent
     * @return the text if it is a string that is not blank
     */
    public static Optional<String> fieldText(Object value) {
        return value instanceof String text && !text.isBlank() ? Optional.of(text) : Optional.empty();
    }

    /**
     * @param value a property read by {@link #fields}, possibly absent
     * @return the value if it is a number
     */
    public static Optional<Double> fieldNumber(Object value) {
        return value instanceof Double number ? Optional.of(number) : Optional.empty();
    }

    /**
     * @param value a JSON object's property, possibly null or missing
     * @return the text if it is a string that is not blank
     */
    public static Optional<String> text(JsonNode value) {
        return value != null && value.isTextual() && !value.asText().isBlank()
                ? Optional.of(value.asText()) : Optional.empty();
    }

    /**
     * @param value a JSON object's property, possibly null or missing
     * @return the value if it is a number
     */
    public static Optional<Double> number(JsonNode value) {
        return value != null && value.isNumber() ? Optional.of(value.asDouble()) : Optional.empty();
    }

    /**
     * @param error a parse failure
     * @return where it happened, e.g. {@code line 1, column 7}, without quoting the input
     */
    public static String describe(JsonProcessingException error) {
        var location = error.getLocation();
        return location == null ? "unreadable"
                : "line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /**
     * @param value a JSON value
     * @return its kind for a message: {@code an object}, {@code a string}, {@code null}, ...
     */
    public static String kind(JsonNode value) {
        JsonNodeType type = value == null ? JsonNodeType.MISSING : value.getNodeType();
        switch (type) {
            case OBJECT: return "an object";
            case ARRAY: return "an array";
            case STRING: return "a string";
            case NUMBER: return "a number";
            case BOOLEAN: return "a boolean";
            case NULL: return "null";
            default: return "nothing";
        }
    }
}
