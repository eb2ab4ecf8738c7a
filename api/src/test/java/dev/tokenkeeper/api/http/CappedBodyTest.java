package dev.tokenkeeper.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link CappedBody} against a real HTTP server on 127.0.0.1 that misbehaves. */
class CappedBodyTest {

    /** The deadline of the trickle test: short, so that the test is quick. */
    private static final Duration DEADLINE = Duration.ofSeconds(1);
    /** The deadline of answers that do arrive: generous, for a loaded machine. */
    private static final Duration AMPLE = Duration.ofSeconds(20);

    /** Writes one answer. */
    private interface Answer {
        void write(HttpExchange exchange) throws IOException;
    }

    private final ExecutorService executor = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "capped-body-server");
        thread.setDaemon(true);
        return thread;
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(AMPLE).build();
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
        executor.shutdownNow();
    }

    @Test
    void aSmallBodyIsReadWhole() throws Exception {
        URI url = serve(exchange -> send(exchange, 201, "{\"ok\":true}".getBytes(StandardCharsets.UTF_8)));

        HttpResponse<CappedBody> response = CappedBody.send(client, get(url), CappedBody.ONE_MIB, AMPLE);

        assertEquals(201, response.statusCode());
        assertEquals("{\"ok\":true}", response.body().text());
        assertFalse(response.body().truncated());
    }

    @Test
    void aBodyOfExactlyTheLimitIsNotTruncated() throws Exception {
        URI url = serve(exchange -> send(exchange, 200, filled(1000)));

        CappedBody body = CappedBody.send(client, get(url), 1000, AMPLE).body();

        assertEquals(1000, body.bytes().length);
        assertFalse(body.truncated());
    }

    @Test
    void aBodyLargerThanTheLimitIsCutAndTheStatusKept() throws Exception {
        URI url = serve(exchange -> {
            exchange.sendResponseHeaders(503, 0); // chunked, no length announced
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 3 * 1024; i++) {
                    out.write(filled(1024));
                }
            }
        });

        HttpResponse<CappedBody> response = CappedBody.send(client, get(url), CappedBody.ONE_MIB, AMPLE);

        assertEquals(503, response.statusCode());
        assertTrue(response.body().truncated());
        assertEquals(CappedBody.ONE_MIB, response.body().bytes().length);
    }

    @Test
    void aBodyThatTricklesPastTheDeadlineTimesOut() throws Exception {
        URI url = serve(exchange -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            // A byte every 100 ms for 20 s: far past the 1 s deadline, even on a loaded machine.
            for (int i = 0; i < 200; i++) {
                out.write('x');
                out.flush();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
            out.close();
        });
        // The request's own timeout (headers only) is generous: the deadline is what ends the wait.
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30)).GET().build();
        long start = System.nanoTime();

        DeadlineExceededException error = assertThrows(DeadlineExceededException.class,
                () -> CappedBody.send(client, request, CappedBody.ONE_MIB, DEADLINE));

        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertTrue(millis < 10_000, "gave up after " + millis + " ms");
        assertEquals(DEADLINE, error.deadline());
        assertEquals("no complete answer within 1 s", error.getMessage());
    }

    @Test
    void noAnswerIsAnIOException() throws Exception {
        URI url = serve(exchange -> exchange.close());
        server.stop(0);

        assertThrows(IOException.class, () -> CappedBody.send(client, get(url), CappedBody.ONE_MIB, AMPLE));
    }

    @Test
    void toStringShowsTheSizeNeverTheContent() {
        CappedBody body = new CappedBody("secret-token-value".getBytes(StandardCharsets.UTF_8), true);

        assertEquals("CappedBody[18 bytes, truncated]", body.toString());
    }

    @Test
    void aNegativeLimitIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> CappedBody.handler(-1));
    }

    private URI serve(Answer answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try {
                answer.write(exchange);
            } catch (IOException | RuntimeException e) {
                // the client went away, as it should past its limit or deadline
            } finally {
                exchange.close();
            }
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private static HttpRequest get(URI url) {
        return HttpRequest.newBuilder(url).timeout(AMPLE).GET().build();
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static byte[] filled(int size) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) 'x');
        return bytes;
    }
}
