package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Optional;

/**
 * The parts of a PostgREST error body ({@code {"code","message","details","hint"}}) that may go
 * into a message. {@code details} is never kept: for constraint violations it lists the row's
 * values, sealed secret included.
 *
 * @param code    PostgREST's or PostgreSQL's error code, e.g. {@code PGRST301}, {@code 42501}; may be empty
 * @param message the error's description, shortened; may be empty
 */
record PostgrestError(String code, String message) {

    private static final int MAX_MESSAGE = 200;

    /**
     * @param json the mapper
     * @param body an error body, or anything else a server or gateway answered
     * @return the code and message, empty when the body is not a JSON object
     */
    static PostgrestError parse(ObjectMapper json, byte[] body) {
        try {
            JsonNode node = json.readTree(body);
            if (node != null && node.isObject()) {
                return new PostgrestError(text(node, "code"), text(node, "message"));
            }
        } catch (IOException e) {
            // Not JSON: an HTML page from a proxy, for example.
        }
        return new PostgrestError("", "");
    }

    /** @return whether the code is one of {@code codes} */
    boolean is(String... codes) {
        for (String candidate : codes) {
            if (candidate.equals(code)) {
                return true;
            }
        }
        return false;
    }

    /** @return {@code "code message"}, or empty when the body had neither */
    Optional<String> summary() {
        String joined = (code + " " + message).trim();
        return joined.isEmpty() ? Optional.empty() : Optional.of(joined);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return "";
        }
        String text = value.isValueNode() ? value.asText() : value.toString();
        String cut = text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE) + "..." : text;
        return cut.codePoints()
                .map(c -> Character.isISOControl(c) ? ' ' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }
}
