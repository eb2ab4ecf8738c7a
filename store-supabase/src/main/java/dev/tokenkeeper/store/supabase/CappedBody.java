package dev.tokenkeeper.store.supabase;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * An answer's body read without blocking a thread, up to a size limit: past the limit the
 * connection is dropped and {@link #truncated()} says so. Read through {@code sendAsync}, so the
 * caller's deadline covers the body as well as the headers.
 *
 * @param bytes     the first bytes of the body, at most the limit
 * @param truncated whether the body went on past the limit
 */
record CappedBody(byte[] bytes, boolean truncated) {

    /**
     * @param limit the most bytes to keep
     * @return a body handler that keeps at most {@code limit} bytes
     */
    static HttpResponse.BodyHandler<CappedBody> handler(int limit) {
        return responseInfo -> new Subscriber(limit);
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
