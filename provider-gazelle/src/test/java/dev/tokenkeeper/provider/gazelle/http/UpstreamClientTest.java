package dev.tokenkeeper.provider.gazelle.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link UpstreamClient} against a real server that misbehaves. */
class UpstreamClientTest {

    private final ScriptedServer server = ScriptedServer.start();
    private final UpstreamClient client = new UpstreamClient(Duration.ofSeconds(1), Duration.ofSeconds(1));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void postsTheBodyAndReturnsStatusHeadersAndBody() throws Exception {
        server.answering(exchange -> {
            exchange.getResponseHeaders().set("X-Seen", exchange.getRequestHeaders().getFirst("Content-Type"));
            ScriptedServer.send(exchange, 201, "application/json", "{\"ok\":true}");
        });
        UpstreamResponse response = client.post(server.url("/x"), "application/x-www-form-urlencoded",
                Map.of("Accept", "application/json"), "a=b");

        assertEquals(201, response.status());
        assertEquals("application/x-www-form-urlencoded", response.header("X-Seen").orElseThrow());
        assertEquals("{\"ok\":true}", response.body().text());
        assertFalse(response.body().truncated());
        assertEquals("a=b", server.requestBodies().get(0));
    }

    @Test
    void exchangesStartNoThreadOfTheirOwn() throws Exception {
        server.answering(exchange -> ScriptedServer.send(exchange, 200, "application/json", "{}"));
        client.post(server.url("/x"), "application/json", Map.of(), "{}");
        Set<String> before = threadNames();
        for (int i = 0; i < 40; i++) {
            assertEquals(200, client.post(server.url("/x"), "application/json", Map.of(), "{}").status());
        }
        Set<String> started = threadNames();
        started.removeAll(before);
        started.remove("scripted-server");
        // The JDK client handed each exchange between its selector and its pool's threads (a third of a
        // daemon's CPU in a due storm): an exchange runs on its caller's thread, the deadline timer excepted.
        assertEquals(Set.of(), started);
        assertTrue(before.contains("gazelle-deadlines"), before.toString());
    }

    @Test
    void aConnectionTheServerClosedWhileIdleIsNotUsedForTheNextPost() throws Exception {
        // Real servers drop keep-alive connections after a few idle seconds. A POST is never re-sent (it may
        // carry a rotating refresh token), so it must not go out on a connection the server already closed.
        try (ClosingServer closing = new ClosingServer()) {
            assertEquals(200, client.post(closing.url(), "text/plain", Map.of(), "one").status());
            Thread.sleep(Connections.CHECK_AFTER_IDLE.toMillis() + 500);
            assertEquals(200, client.post(closing.url(), "text/plain", Map.of(), "two").status());
            assertEquals(List.of("one", "two"), closing.bodies());
        }
    }

    @Test
    void aPostThatGotNoAnswerIsNotSentAgain() throws Exception {
        try (ClosingServer silent = new ClosingServer()) {
            silent.answerNothing();
            assertThrows(UpstreamUnreachableException.class,
                    () -> client.post(silent.url(), "text/plain", Map.of(), "refresh_token=once"));
            Thread.sleep(200);
            assertEquals(List.of("refresh_token=once"), silent.bodies());
        }
    }

    @Test
    void aConnectionIsKeptForTheNextPostUnlessTheServerSaysItKeepsItNoLonger() throws Exception {
        try (ClosingServer keeping = new ClosingServer()) {
            keeping.keepOpen("");
            for (int i = 0; i < 3; i++) {
                assertEquals(200, client.post(keeping.url(), "text/plain", Map.of(), "kept " + i).status());
            }
            assertEquals(1, keeping.connections());
        }
        try (ClosingServer brief = new ClosingServer()) {
            brief.keepOpen("Keep-Alive: timeout=0\r\n");
            for (int i = 0; i < 3; i++) {
                assertEquals(200, client.post(brief.url(), "text/plain", Map.of(), "brief " + i).status());
            }
            assertEquals(3, brief.connections());
            assertEquals(List.of("brief 0", "brief 1", "brief 2"), brief.bodies());
        }
    }

    /**
     * Answers each request on its own connection and closes it 50 ms later, as a server with a short
     * keep-alive does, without saying so in a header; or reads a request and closes without an answer; or
     * keeps each connection open for more requests, one at a time.
     */
    private static final class ClosingServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<String> bodies = new CopyOnWriteArrayList<>();
        private final Thread acceptor = new Thread(this::serve, "closing-server");
        private volatile boolean answer = true;
        private volatile String keepOpen;
        private final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();

        ClosingServer() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        void answerNothing() {
            answer = false;
        }

        void keepOpen(String extraHeaders) {
            keepOpen = extraHeaders;
        }

        int connections() {
            return connections.get();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/token");
        }

        List<String> bodies() {
            return bodies;
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket connection = socket.accept()) {
                    connections.incrementAndGet();
                    connection.setSoTimeout(5_000);
                    InputStream in = connection.getInputStream();
                    if (keepOpen != null) {
                        answerEach(connection);
                        continue;
                    }
                    int length = 0;
                    for (String line = line(in); !line.isEmpty(); line = line(in)) {
                        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    bodies.add(new String(in.readNBytes(length), StandardCharsets.US_ASCII));
                    if (answer) {
                        OutputStream out = connection.getOutputStream();
                        out.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        Thread.sleep(50);
                    }
                } catch (IOException | InterruptedException | RuntimeException e) {
                    if (socket.isClosed()) {
                        return;
                    }
                }
            }
        }

        private void answerEach(Socket connection) {
            try {
                InputStream in = connection.getInputStream();
                while (true) {
                    int length = -1;
                    for (String line = line(in); !line.isEmpty(); line = line(in)) {
                        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    if (length < 0) {
                        return;
                    }
                    bodies.add(new String(in.readNBytes(length), StandardCharsets.US_ASCII));
                    connection.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + keepOpen
                            + "Content-Length: 2\r\n\r\nok").getBytes(StandardCharsets.US_ASCII));
                    connection.getOutputStream().flush();
                }
            } catch (IOException | RuntimeException e) {
                // the client closed the connection
            }
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .collect(Collectors.toCollection(HashSet::new));
    }

    @Test
    void aBodyThatTricklesPastTheDeadlineTimesOut() {
        server.answering(exchange -> {
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
        long start = System.nanoTime();
        UpstreamUnreachableException error = assertThrows(UpstreamUnreachableException.class,
                () -> client.post(server.url("/slow"), "text/plain", Map.of(), ""));
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertTrue(error.getMessage().contains("within 1 s"), error.getMessage());
        assertTrue(millis < 12_000, "took " + millis + " ms");
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        server.answering(exchange -> {
            exchange.getResponseHeaders().set("Location", "/elsewhere");
            ScriptedServer.send(exchange, 307, "text/plain", "moved");
        });
        assertEquals(307, client.post(server.url("/token"), "text/plain", Map.of(), "secret=1").status());
        assertEquals(1, server.requestBodies().size());
    }

    @Test
    void aConnectionNeverAcceptedEndsAtTheConnectTimeout() throws Exception {
        // A listener that never accepts, its queue filled: the kernel drops further handshakes, so a connect waits.
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> queued = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket waiting = new Socket();
                    try {
                        waiting.connect(full.getLocalSocketAddress(), 200);
                        queued.add(waiting);
                    } catch (IOException e) {
                        waiting.close();
                        break;
                    }
                }
                UpstreamClient patient = new UpstreamClient(Duration.ofSeconds(1), Duration.ofSeconds(30));
                long start = System.nanoTime();
                UpstreamUnreachableException error = assertThrows(UpstreamUnreachableException.class,
                        () -> patient.post(URI.create("http://127.0.0.1:" + full.getLocalPort() + "/token"),
                                "text/plain", Map.of(), "refresh_token=never-sent"));
                long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(error.getMessage().startsWith("could not connect to 127.0.0.1:"), error.getMessage());
                assertTrue(error.getMessage().contains("within 1 s"), error.getMessage());
                assertTrue(millis >= 900 && millis < 10_000, "took " + millis + " ms");
            } finally {
                for (Socket waiting : queued) {
                    waiting.close();
                }
            }
        }
    }

    @Test
    void aRefusedConnectionIsDescribedInOneLine() {
        server.close();
        UpstreamUnreachableException error = assertThrows(UpstreamUnreachableException.class,
                () -> client.post(server.url("/token"), "text/plain", Map.of(), ""));
        assertTrue(error.getMessage().startsWith("could not connect to 127.0.0.1:"), error.getMessage());
        assertFalse(error.getMessage().contains("\n"));
    }
}
