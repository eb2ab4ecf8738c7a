package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.http.CappedBody;

import java.net.http.HttpHeaders;
import java.util.Objects;
import java.util.Optional;

/**
 * What an upstream answered: status, headers and the (capped) body.
 *
 * @param status  the HTTP status
 * @param headers the response headers
 * @param body    the body, at most {@link UpstreamClient#BODY_LIMIT} bytes
 */
public record UpstreamResponse(int status, HttpHeaders headers, CappedBody body) {

    /** Rejects nulls. */
    public UpstreamResponse {
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
    }

    /**
     * @param name a header name (case-insensitive)
     * @return its first value, if present
     */
    public Optional<String> header(String name) {
        return headers.firstValue(name);
    }

    /** @return the status and body size only; headers and body may carry tokens */
    @Override
    public String toString() {
        return "UpstreamResponse[status=" + status + ", " + body + "]";
    }
}
