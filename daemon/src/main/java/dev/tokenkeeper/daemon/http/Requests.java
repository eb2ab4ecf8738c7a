package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import io.javalin.http.Context;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Reading requests and writing answers the same way on every route: JSON in, JSON out, one error shape. */
final class Requests {

    private Requests() {
    }

    static CredentialId id(Context ctx) {
        return credentialId(ctx.pathParam("id"));
    }

    /**
     * @param raw a credential id from a request
     * @return it parsed
     * @throws ApiException (400) when it is too long; {@link CredentialId#parse} says when it is malformed
     */
    static CredentialId credentialId(String raw) {
        if (raw.length() > 200) {
            throw new ApiException(400, "bad_request", "credential id too long");
        }
        return CredentialId.parse(raw);
    }

    static JsonNode body(Context ctx) {
        String text = ctx.body();
        if (text.isBlank()) {
            throw new ApiException(400, "bad_request", "request body is empty: send a JSON object");
        }
        try {
            JsonNode node = Json.MAPPER.readTree(text);
            if (node == null || !node.isObject()) {
                throw new ApiException(400, "bad_request", "request body must be a JSON object");
            }
            return node;
        } catch (StreamConstraintsException e) {
            throw new ApiException(400, "bad_json", "request body exceeds the JSON limits (nesting at most "
                    + Json.MAX_NESTING_DEPTH + " levels, strings at most " + Json.MAX_STRING_LENGTH
                    + " characters): send a flat JSON object");
        } catch (JsonProcessingException e) {
            JsonLocation where = e.getLocation();
            throw new ApiException(400, "bad_json", "request body is not valid JSON"
                    + (where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")"));
        }
    }

    static Optional<String> text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        return node != null && node.isTextual() && !node.asText().isBlank() ? Optional.of(node.asText()) : Optional.empty();
    }

    static long minValidity(Context ctx) {
        return intParam(ctx, "minValidity", 60, 0, 30 * 24 * 3600);
    }

    static int intParam(Context ctx, String name, int defaultValue, int min, int max) {
        String raw = ctx.queryParam(name);
        if (raw == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value < min || value > max) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ApiException(400, "bad_request", name + " must be a whole number from " + min + " to " + max);
        }
    }

    static Instant instant(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new ApiException(400, "bad_request", "since must be an ISO-8601 instant, e.g. 2026-01-01T00:00:00Z");
        }
    }

    static String printable(String text) {
        String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    static void json(Context ctx, Object value) {
        try {
            ctx.contentType("application/json").result(Json.MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON for " + value.getClass().getSimpleName(), e);
        }
    }

    static void error(Context ctx, int status, String code, String message) {
        ctx.status(status);
        json(ctx, new Views.ErrorView(code, message == null ? code : message));
    }
}
