package dev.tokenkeeper.daemon.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * The loopback end of an OAuth 2 authorization-code flow (RFC 8252): a plain socket on
 * {@code 127.0.0.1} that waits for the browser's {@code GET /callback?code=..&state=..}. Just
 * enough HTTP/1.1 for one request per connection; other paths get 404 and the wait goes on.
 */
final class LoopbackRedirect implements AutoCloseable {

    /** The path the upstream redirects to. */
    static final String PATH = "/callback";
    private static final int MAX_HEAD_BYTES = 16 * 1024;
    private static final int READ_TIMEOUT_MILLIS = 5_000;

    private final ServerSocket server;

    private LoopbackRedirect(ServerSocket server) {
        this.server = server;
    }

    /**
     * @param port the port, 0 for any free one
     * @return the listening endpoint
     * @throws IllegalArgumentException when the port cannot be bound (the message says what to do)
     */
    static LoopbackRedirect open(int port) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 8);
            return new LoopbackRedirect(socket);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot listen on 127.0.0.1:" + port + " for the redirect ("
                    + e.getMessage() + "): pick another --port, or 0 for any free port");
        }
    }

    /** @return {@code http://127.0.0.1:<port>/callback} */
    URI redirectUri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + PATH);
    }

    /**
     * A redirect that arrived; answer it with {@link #answer}.
     *
     * @param params the query parameters, decoded (first value of each)
     * @param socket the browser's connection, still open
     */
    record Callback(Map<String, String> params, Socket socket) {

        /** @return a parameter */
        Optional<String> param(String name) {
            return Optional.ofNullable(params.get(name));
        }

        /**
         * Sends a small HTML page and closes the connection.
         *
         * @param status  the HTTP status
         * @param title   the page title
         * @param message one sentence (escaped here)
         */
        void answer(int status, String title, String message) {
            try (socket) {
                respond(socket, status, title, message);
            } catch (IOException e) {
                // The browser went away; the terminal has the outcome anyway.
            }
        }

        @Override
        public String toString() {
            return "Callback[" + params.keySet() + "]";
        }
    }

    /**
     * Waits for {@code GET /callback}.
     *
     * @param timeout how long to wait in all
     * @return the callback, with its connection open for the answer
     * @throws TimeoutException when none arrived in time
     * @throws IOException      when the listening socket fails
     */
    Callback await(Duration timeout) throws TimeoutException, IOException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            long left = Duration.between(Instant.now(), deadline).toMillis();
            if (left <= 0) {
                throw new TimeoutException();
            }
            server.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
            Socket socket;
            try {
                socket = server.accept();
            } catch (SocketTimeoutException e) {
                throw new TimeoutException();
            }
            Optional<Callback> callback = read(socket);
            if (callback.isPresent()) {
                return callback.get();
            }
        }
    }

    /** @return the callback, or empty when the connection carried something else (answered and closed) */
    private static Optional<Callback> read(Socket socket) {
        try {
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            String requestLine = head(socket.getInputStream());
            String[] parts = requestLine.split(" ");
            if (parts.length != 3 || !parts[2].startsWith("HTTP/")) {
                respondAndClose(socket, 400, "Bad request", "This is tokenkeeper's authorization redirect listener.");
                return Optional.empty();
            }
            URI target = URI.create(parts[1]);
            if (!PATH.equals(target.getRawPath())) {
                respondAndClose(socket, 404, "Not found", "This is tokenkeeper's authorization redirect listener.");
                return Optional.empty();
            }
            if (!parts[0].equals("GET")) {
                respondAndClose(socket, 405, "Method not allowed", "The redirect must be a GET request.");
                return Optional.empty();
            }
            return Optional.of(new Callback(query(target.getRawQuery()), socket));
        } catch (IOException | IllegalArgumentException e) {
            closeQuietly(socket);
            return Optional.empty();
        }
    }

    /** Reads the request head and returns its first line. */
    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            bytes.write(b);
            if (bytes.size() > MAX_HEAD_BYTES) {
                throw new IOException("request head too large");
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = bytes.toString(StandardCharsets.ISO_8859_1);
        int newline = text.indexOf("\r\n");
        return newline < 0 ? text.strip() : text.substring(0, newline);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return Collections.unmodifiableMap(params);
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.putIfAbsent(name, value);
        }
        return Collections.unmodifiableMap(params);
    }

    private static void respondAndClose(Socket socket, int status, String title, String message) {
        try (socket) {
            respond(socket, status, title, message);
        } catch (IOException e) {
            // Nothing to do for a client that went away.
        }
    }

    private static void respond(Socket socket, int status, String title, String message) throws IOException {
        String body = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title></head>"
                + "<body><h1>" + escape(title) + "</h1><p>" + escape(message) + "</p></body></html>\n";
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason(status) + "\r\n"
                + "Content-Type: text/html; charset=utf-8\r\n"
                + "Content-Length: " + content.length + "\r\n"
                + "Cache-Control: no-store\r\n"
                + "Referrer-Policy: no-referrer\r\n"
                + "Connection: close\r\n\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(content);
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            default -> "Error";
        };
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already gone.
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing a listening socket does not fail in a way that matters here.
        }
    }
}
