package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error answer of {@link FakePostgrest}, thrown where the error is found and turned into the
 * response by the server: a status and PostgREST's {@code {"code","details","hint","message"}} body.
 */
final class PostgrestFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient ObjectNode body;

    private PostgrestFailure(int status, ObjectNode body) {
        super(status + " " + body, null, false, false);
        this.status = status;
        this.body = body;
    }

    /**
     * @param status  the HTTP status
     * @param code    PostgREST's or PostgreSQL's code
     * @param message the message
     * @param details the details, or null
     * @param hint    the hint, or null
     * @return the failure
     */
    static PostgrestFailure of(int status, String code, String message, String details, String hint) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("code", code);
        body.put("details", details);
        body.put("hint", hint);
        body.put("message", message);
        return new PostgrestFailure(status, body);
    }

    /**
     * An answer of Supabase's API gateway, which has no {@code code}.
     *
     * @param status  the HTTP status
     * @param message the message
     * @param hint    the hint, or null
     * @return the failure
     */
    static PostgrestFailure gateway(int status, String message, String hint) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("message", message);
        if (hint != null) {
            body.put("hint", hint);
        }
        return new PostgrestFailure(status, body);
    }

    /** 400 for a query string PostgREST cannot parse. */
    static PostgrestFailure parse(String what) {
        return of(400, "PGRST100", "\"failed to parse " + what + "\"", null, null);
    }

    int status() {
        return status;
    }

    ObjectNode body() {
        return body;
    }
}
