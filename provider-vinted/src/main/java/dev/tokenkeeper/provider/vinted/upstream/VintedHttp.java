package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.provider.vinted.session.SessionCookies;
import dev.tokenkeeper.provider.vinted.session.SetCookie;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends browser-like requests to the Vinted site with a session's cookies. Cookies are handled by
 * hand (the client has no cookie handler): the caller decides which {@code Set-Cookie} to keep.
 * Redirects are not followed, so no {@code Set-Cookie} is lost on the way. Thread-safe.
 */
public final class VintedHttp {

    /** Bodies are read up to this many bytes; the rest is dropped. */
    public static final int BODY_LIMIT = 1 << 20;

    private final VintedSettings settings;
    private final Clock clock;
    private final HttpClient client;

    /**
     * @param settings where and how to send
     * @param clock    stamps the answers
     */
    public VintedHttp(VintedSettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        boolean plain = settings.baseUrl().getScheme().equalsIgnoreCase("http");
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                // Browsers speak HTTP/2 over TLS; over plain http (tests) an h2c upgrade is pointless.
                .version(plain ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2)
                .build();
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
        CompletableFuture<HttpResponse<byte[]>> pending =
                client.sendAsync(request, info -> new CappedBody(BODY_LIMIT));
        HttpResponse<byte[]> response;
        try {
            // The request timeout covers the headers only; this bounds the body too.
            response = pending.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            throw new HttpTimeoutException("no complete answer within " + settings.timeout().toSeconds() + " s");
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for vinted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("request to vinted failed: " + e.getCause().getClass().getSimpleName());
        }
        Instant now = clock.instant();
        List<SetCookie> cookies = response.headers().allValues("set-cookie").stream()
                .map(header -> SetCookie.parse(header, now))
                .flatMap(Optional::stream)
                .toList();
        return new UpstreamAnswer(response.statusCode(), cookies,
                response.headers().firstValue("content-type").orElse(""),
                response.headers().firstValue("retry-after").flatMap(value -> RetryAfter.parse(value, now)),
                new String(response.body(), StandardCharsets.UTF_8),
                now,
                response.headers().firstValue("location").orElse(""));
    }

    /** Collects a body up to a limit, then stops reading. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {

        private final int limit;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        CappedBody(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                int take = Math.min(buffer.remaining(), limit - bytes.size());
                byte[] chunk = new byte[take];
                buffer.get(chunk);
                bytes.write(chunk, 0, take);
                if (bytes.size() >= limit) {
                    subscription.cancel();
                    result.complete(bytes.toByteArray());
                    return;
                }
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            result.complete(bytes.toByteArray());
        }
    }
}
