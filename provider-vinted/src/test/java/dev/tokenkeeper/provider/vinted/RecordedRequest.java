package dev.tokenkeeper.provider.vinted;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One request {@link FakeVinted} received, recorded on arrival.
 *
 * @param at       when it arrived (by the fake's clock)
 * @param endpoint the route it hit
 * @param method   the HTTP method
 * @param path     the path and query
 * @param headers  lower-case header name to first value, without {@code cookie} and {@code authorization}
 * @param cookies  the names (not values) of the cookies it carried
 */
public record RecordedRequest(Instant at, FakeEndpoint endpoint, String method, String path,
                              Map<String, String> headers, Set<String> cookies) {

    /** Copies the collections. */
    public RecordedRequest {
        headers = Map.copyOf(headers);
        cookies = Set.copyOf(cookies);
    }

    /**
     * @param name a header name, any case
     * @return its first value, if sent
     */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }
}
