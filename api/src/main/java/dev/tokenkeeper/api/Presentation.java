package dev.tokenkeeper.api;

import java.util.Map;
import java.util.Objects;

/**
 * How a consumer uses the current token: the bare access token and the HTTP headers to send
 * (for example {@code Authorization: Bearer ...} or a {@code Cookie:} header).
 *
 * @param token   the bare access token
 * @param headers header name to value, ready to send
 */
public record Presentation(String token, Map<String, String> headers) {

    /** Copies the headers. */
    public Presentation {
        Objects.requireNonNull(token, "token");
        headers = Map.copyOf(headers);
    }

    /** @return the header names only, never the values */
    @Override
    public String toString() {
        return "Presentation[headers=" + headers.keySet() + ", values hidden]";
    }
}
