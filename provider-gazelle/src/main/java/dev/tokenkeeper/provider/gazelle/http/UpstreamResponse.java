package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.http.CappedBody;
import dev.tokenkeeper.api.http.OnFirstUse;

import java.net.http.HttpHeaders;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What an upstream answered: status, headers and the (capped) body. The headers are gathered into
 * {@link HttpHeaders} when first asked for: only a failed answer's are read (its {@code Retry-After}),
 * and gathering every answer's cost a due storm about 3 µs per refresh (issue 26).
 */
public final class UpstreamResponse {

    private final int status;
    private final OnFirstUse<HttpHeaders> headers;
    private final CappedBody body;

    /**
     * @param status  the HTTP status
     * @param headers the response headers
     * @param body    the body, at most {@link UpstreamClient#BODY_LIMIT} bytes
     */
    public UpstreamResponse(int status, HttpHeaders headers, CappedBody body) {
        this(status, given(headers), body);
    }

    private static Supplier<HttpHeaders> given(HttpHeaders headers) {
        Objects.requireNonNull(headers, "headers");
        return () -> headers;
    }

    /**
     * @param headers gathers the response headers, at most once, when first asked for
     */
    UpstreamResponse(int status, Supplier<HttpHeaders> headers, CappedBody body) {
        this.status = status;
        this.headers = new OnFirstUse<>(headers);
        this.body = Objects.requireNonNull(body, "body");
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return the response headers */
    public HttpHeaders headers() {
        return headers.get();
    }

    /** @return the body, at most {@link UpstreamClient#BODY_LIMIT} bytes */
    public CappedBody body() {
        return body;
    }

    /**
     * @param name a header name (case-insensitive)
     * @return its first value, if present
     */
    public Optional<String> header(String name) {
        return headers().firstValue(name);
    }

    /** @return the status and body size only; headers and body may carry tokens */
    @Override
    public String toString() {
        return "UpstreamResponse[status=" + status + ", " + body + "]";
    }
}
