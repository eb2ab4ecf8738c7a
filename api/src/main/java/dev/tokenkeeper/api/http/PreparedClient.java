package dev.tokenkeeper.api.http;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A JDK {@link HttpClient} built on a thread of its own, started when this is made. Building one
 * sets up TLS (the JDK's security providers, its CA certificates) and starts the client's selector
 * thread: about a tenth of a second of CPU that a plugin's {@code configure} would otherwise spend on
 * the thread starting the daemon, before it answers {@code /healthz}. Made at configure time, the
 * client is ready long before the first request; a request made earlier waits in {@link #get()},
 * before its own deadline starts. Thread-safe: every caller gets the same client.
 */
public final class PreparedClient {

    /** Far longer than a build takes on a loaded machine; only a broken JDK set-up waits this long. */
    private static final Duration BUILD_LIMIT = Duration.ofSeconds(60);

    private final CompletableFuture<HttpClient> client = new CompletableFuture<>();

    /**
     * Starts building the client.
     *
     * @param builder the client's settings, not to be changed by the caller after this
     */
    public PreparedClient(HttpClient.Builder builder) {
        Objects.requireNonNull(builder, "builder");
        Thread thread = new Thread(() -> {
            try {
                client.complete(builder.build());
            } catch (RuntimeException | Error e) {
                client.completeExceptionally(e);
            }
        }, "http-client-setup");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * @return the client, once built (waits for the build when it is still running)
     * @throws IllegalStateException when the build failed or did not finish within a minute
     */
    public HttpClient get() {
        try {
            return client.get(BUILD_LIMIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the HTTP client was being set up", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the HTTP client could not be set up: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the HTTP client was not set up within " + BUILD_LIMIT.toSeconds() + " s");
        }
    }
}
