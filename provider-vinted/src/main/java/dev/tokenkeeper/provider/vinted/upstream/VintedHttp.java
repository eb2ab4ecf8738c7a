package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.api.http.CappedBody;
import dev.tokenkeeper.api.http.ClientOnFirstUse;
import dev.tokenkeeper.api.http.RetryAfter;
import dev.tokenkeeper.provider.vinted.session.SessionCookies;
import dev.tokenkeeper.provider.vinted.session.SetCookie;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Sends browser-like requests to the Vinted site with a session's cookies. Cookies are handled by
 * hand (the client has no cookie handler): the caller decides which {@code Set-Cookie} to keep.
 * Redirects are not followed, so no {@code Set-Cookie} is lost on the way. Thread-safe.
 */
public final class VintedHttp {

    /** Bodies are read up to this many bytes; the rest is dropped. */
    public static final int BODY_LIMIT = CappedBody.ONE_MIB;

    private final VintedSettings settings;
    private final Clock clock;
    private final ClientOnFirstUse client;

    /**
     * @param settings where and how to send
     * @param clock    stamps the answers
     */
    public VintedHttp(VintedSettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        boolean plain = settings.baseUrl().getScheme().equalsIgnoreCase("http");
        this.client = new ClientOnFirstUse(HttpClient.newBuilder()
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                // Browsers speak HTTP/2 over TLS; over plain http (tests) an h2c upgrade is pointless.
                .version(plain ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2));
    }

    /**
     * {@code GET path} as a browser navigating to a page would send it.
     *
     * @param path    the path on the site
     * @param cookies the session
     * @return the answer
     * @throws IOException when no answer came (connection failure, timeout)
     */
    public UpstreamAnswer navigate(String path, SessionCookies cookies) throws IOException {
        HttpRequest.Builder request = base(path, cookies)
                .GET()
                .header("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8")
                .header("Sec-Fetch-Site", "none")
                .header("Sec-Fetch-Mode", "navigate")
                .header("Sec-Fetch-User", "?1")
                .header("Sec-Fetch-Dest", "document")
                .header("Upgrade-Insecure-Requests", "1");
        return send(request.build());
    }

    /**
     * A same-origin {@code fetch()} from a page of the site, as the Vinted web app sends it.
     *
     * @param method  {@code GET} or {@code POST} (with an empty body)
     * @param path    the path on the site
     * @param referer the page the call is made from (a path)
     * @param cookies the session
     * @param extra   more headers, e.g. {@code X-Csrf-Token}
     * @return the answer
     * @throws IOException when no answer came (connection failure, timeout)
     */
    public UpstreamAnswer fetch(String method, String path, String referer, SessionCookies cookies,
                                Map<String, String> extra) throws IOException {
        HttpRequest.Builder request = base(path, cookies)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("Accept", "application/json, text/plain, */*")
                .header("Origin", settings.baseUrl().toString())
                .header("Referer", settings.baseUrl() + referer)
                .header("Sec-Fetch-Site", "same-origin")
                .header("Sec-Fetch-Mode", "cors")
                .header("Sec-Fetch-Dest", "empty");
        extra.forEach(request::header);
        return send(request.build());
    }

    private HttpRequest.Builder base(String path, SessionCookies cookies) {
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.resolve(path))
                .timeout(settings.timeout())
                .header("User-Agent", settings.userAgent())
                .header("Accept-Language", settings.acceptLanguage());
        if (!cookies.isEmpty()) {
            request.header("Cookie", cookies.header());
        }
        return request;
    }

    private UpstreamAnswer send(HttpRequest request) throws IOException {
        HttpResponse<CappedBody> response;
        try {
            // The request timeout covers the headers only; this bounds the body too.
            response = CappedBody.send(client.get(), request, BODY_LIMIT, settings.timeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for vinted");
        }
        Instant now = clock.instant();
        List<SetCookie> cookies = response.headers().allValues("set-cookie").stream()
                .map(header -> SetCookie.parse(header, now))
                .flatMap(Optional::stream)
                .toList();
        return new UpstreamAnswer(response.statusCode(), cookies,
                response.headers().firstValue("content-type").orElse(""),
                RetryAfter.of(response.headers(), now),
                response.body().text(),
                now,
                response.headers().firstValue("location").orElse(""));
    }
}
