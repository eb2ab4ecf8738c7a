package dev.tokenkeeper.api.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A response body read up to a size limit, without blocking a thread: what is past the limit is not
 * read, the connection is dropped, and {@link #truncated()} says so. The status and headers of a
 * huge error page stay usable. {@link #send} reads headers and body under one deadline, which the
 * JDK's request timeout alone does not (it covers the headers only, so a body that trickles a byte
 * at a time would hold the caller for ever).
 *
 * @param bytes     the first bytes of the body, at most the limit
 * @param truncated whether the body went on past the limit
 */
public record CappedBody(byte[] bytes, boolean truncated) {

    /** A limit that fits any token endpoint's or API's answer: 1 MiB. */
    public static final int ONE_MIB = 1 << 20;

    /**
     * @param bytes     the first bytes of the body, at most the limit
     * @param truncated whether the body went on past the limit
     */
    public CappedBody {
        Objects.requireNonNull(bytes, "bytes");
    }

    /**
     * Sends a request and reads the whole answer, headers and body, within one deadline.
     *
     * @param client   the client to send with
     * @param request  the request; its own {@link HttpRequest#timeout() timeout} still bounds the headers
     * @param limit    the most body bytes to keep; the connection is dropped past it
     * @param deadline how long the whole exchange may take, body included
     * @return the answer, whatever its status
     * @throws DeadlineExceededException when the whole answer did not arrive within {@code deadline}
     *                                   (the exchange is cancelled)
     * @throws IOException               when no answer came (connection refused or reset, the request's
     *                                   own timeout, TLS); a failure that is not an {@code IOException}
     *                                   comes wrapped in one, as its cause
     * @throws InterruptedException      when the calling thread was interrupted (the exchange is cancelled)
     */
    public static HttpResponse<CappedBody> send(HttpClient client, HttpRequest request, int limit, Duration deadline)
            throws IOException, InterruptedException {
        Objects.requireNonNull(deadline, "deadline");
        CompletableFuture<HttpResponse<CappedBody>> exchange = client.sendAsync(request, handler(limit));
        try {
            return exchange.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new DeadlineExceededException(deadline);
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("the request failed: "
                    + (cause == null ? "unknown error" : cause.getClass().getSimpleName()), cause);
        }
    }

    /**
     * @param limit the most bytes to keep, zero or more
     * @return a body handler that keeps at most {@code limit} bytes and then drops the connection
     */
    public static HttpResponse.BodyHandler<CappedBody> handler(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be zero or more, not " + limit);
        }
        return responseInfo -> new Subscriber(limit);
    }

    /** @return the body decoded as UTF-8 (a truncated body may end in a cut character) */
    public String text() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** @return the size only, never the content */
    @Override
    public String toString() {
        return "CappedBody[" + bytes.length + " bytes" + (truncated ? ", truncated" : "") + "]";
    }

    private static final class Subscriber implements HttpResponse.BodySubscriber<CappedBody> {

        private final int limit;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final CompletableFuture<CappedBody> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        Subscriber(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<CappedBody> getBody() {
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
            boolean overflow = false;
            for (ByteBuffer buffer : buffers) {
                int take = Math.min(limit - out.size(), buffer.remaining());
                byte[] chunk = new byte[take];
                buffer.get(chunk);
                out.write(chunk, 0, take);
                overflow |= buffer.hasRemaining();
            }
            if (overflow) {
                subscription.cancel();
                result.complete(new CappedBody(out.toByteArray(), true));
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            result.complete(new CappedBody(out.toByteArray(), false));
        }
    }
}
