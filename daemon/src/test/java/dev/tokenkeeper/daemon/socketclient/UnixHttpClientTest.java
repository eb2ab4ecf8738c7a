package dev.tokenkeeper.daemon.socketclient;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The minimal client against a Unix-socket server that answers fixed bytes. */
class UnixHttpClientTest {

    @TempDir
    Path temp;

    /**
     * Serves one connection: reads the request head (and a Content-Length body), answers
     * {@code answer}, and closes unless {@code keepOpen}.
     */
    private CompletableFuture<String> serveOnce(Path socket, String answer, boolean keepOpen) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return serveOnce(server, answer, keepOpen);
    }

    private CompletableFuture<String> serveOnce(ServerSocketChannel server, String answer, boolean keepOpen) {
        return CompletableFuture.supplyAsync(() -> {
            try (server; SocketChannel client = server.accept()) {
                ByteArrayOutputStream request = new ByteArrayOutputStream();
                ByteBuffer buffer = ByteBuffer.allocate(4096);
                while (!complete(request.toString(StandardCharsets.ISO_8859_1))) {
                    buffer.clear();
                    if (client.read(buffer) < 0) {
                        break;
                    }
                    request.write(buffer.array(), 0, buffer.position());
                }
                if (answer != null) {
                    client.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8)));
                }
                if (keepOpen || answer == null) {
                    // hold the connection until the client gives up
                    client.read(ByteBuffer.allocate(1));
                }
                return request.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "failed: " + e;
            }
        });
    }

    /** @param request the bytes so far, one char per byte */
    private static boolean complete(String request) {
        int end = request.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        var length = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(request);
        return !length.find() || request.length() - end - 4 >= Integer.parseInt(length.group(1));
    }

    @Test
    void readsAContentLengthAnswerAndSendsAWellFormedRequest() throws Exception {
        Path socket = temp.resolve("a.sock");
        var seen = serveOnce(socket, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"id\":\"é\"}", false);
        var answer = new UnixHttpClient(socket, Duration.ofSeconds(10))
                .send("POST", "/api/v1/x?y=1", Map.of("Authorization", "Bearer t"), "{\"a\":\"ü\"}");
        assertEquals(201, answer.status());
        assertEquals("{\"id\":\"é\"}", answer.body());
        assertEquals("application/json", answer.headers().get("content-type"));
        String request = seen.get(10, TimeUnit.SECONDS);
        assertTrue(request.startsWith("POST /api/v1/x?y=1 HTTP/1.1\r\n"), request);
        assertTrue(request.contains("\r\nHost: localhost\r\n"), request);
        assertTrue(request.contains("\r\nConnection: close\r\n"), request);
        assertTrue(request.contains("\r\nContent-Length: 10\r\n"), request);
        assertTrue(request.contains("\r\nAuthorization: Bearer t\r\n"), request);
        assertTrue(request.endsWith("\r\n\r\n{\"a\":\"ü\"}"), request);
    }

    @Test
    void readsAChunkedAnswer() throws Exception {
        Path socket = temp.resolve("c.sock");
        serveOnce(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n", false);
        var answer = new UnixHttpClient(socket, Duration.ofSeconds(10)).send("GET", "/healthz", Map.of(), null);
        assertEquals(200, answer.status());
        assertEquals("hello, world", answer.body());
    }

    @Test
    void aCompleteAnswerDoesNotWaitForTheServerToClose() throws Exception {
        Path socket = temp.resolve("k.sock");
        serveOnce(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", true);
        long start = System.nanoTime();
        var answer = new UnixHttpClient(socket, Duration.ofSeconds(20)).send("GET", "/", Map.of(), null);
        assertEquals("{}", answer.body());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(15).toNanos(), "waited for the close");
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        Path socket = temp.resolve("s.sock");
        serveOnce(socket, null, true);
        long start = System.nanoTime();
        assertThrows(HttpTimeoutException.class,
                () -> new UnixHttpClient(socket, Duration.ofMillis(500)).send("GET", "/", Map.of(), null));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs >= 400 && tookMs < 10_000, "took " + tookMs + " ms");
    }

    @Test
    void aTruncatedAnswerIsAnError() throws Exception {
        Path socket = temp.resolve("t.sock");
        serveOnce(socket, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", false);
        IOException e = assertThrows(IOException.class,
                () -> new UnixHttpClient(socket, Duration.ofSeconds(10)).send("GET", "/", Map.of(), null));
        assertTrue(e.getMessage().contains("ended inside its body"), e.getMessage());
    }

    @Test
    void overTcpTheRequestNamesTheHostAndPortAndTheAnswerIsRead() throws Exception {
        ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        var seen = serveOnce(server, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n", true);
        var answer = new TcpHttpClient(URI.create("http://127.0.0.1:" + port), Duration.ofSeconds(5), Duration.ofSeconds(20))
                .send("DELETE", "/api/v1/x", Map.of("Accept", "application/json"), null);
        assertEquals(200, answer.status());
        assertEquals("[]", answer.body());
        String request = seen.get(10, TimeUnit.SECONDS);
        assertTrue(request.startsWith("DELETE /api/v1/x HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n"), request);
        assertTrue(request.contains("\r\nAccept: application/json\r\n"), request);
    }

    @Test
    void overTcpAServerThatNeverAnswersTimesOut() throws Exception {
        ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        serveOnce(server, null, true);
        long start = System.nanoTime();
        assertThrows(HttpTimeoutException.class, () -> new TcpHttpClient(URI.create("http://127.0.0.1:" + port),
                Duration.ofSeconds(5), Duration.ofMillis(500)).send("GET", "/", Map.of(), null));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs >= 400 && tookMs < 10_000, "took " + tookMs + " ms");
    }

    @Test
    void overTcpNothingListeningIsAConnectException() throws Exception {
        int port;
        try (ServerSocketChannel closed = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            port = ((InetSocketAddress) closed.getLocalAddress()).getPort();
        }
        assertThrows(ConnectException.class, () -> new TcpHttpClient(URI.create("http://127.0.0.1:" + port),
                Duration.ofSeconds(5), Duration.ofSeconds(5)).send("GET", "/", Map.of(), null));
    }

    @Test
    void noSocketIsAConnectException() {
        assertThrows(ConnectException.class, () -> new UnixHttpClient(temp.resolve("none.sock"), Duration.ofSeconds(5))
                .send("GET", "/", Map.of(), null));
    }

    @Test
    void aStaleSocketFileIsAConnectException() throws Exception {
        Path socket = temp.resolve("stale.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
        }
        assertThrows(ConnectException.class, () -> new UnixHttpClient(socket, Duration.ofSeconds(5))
                .send("GET", "/", Map.of(), null));
    }
}
