package dev.tokenkeeper.provider.vinted.upstream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A local HTTP server answering each path with a fixed reply, for corner cases the Vinted imitation
 * does not produce on its own (huge pages, odd {@code Set-Cookie} combinations).
 */
final class ScriptedServer implements AutoCloseable {

    /** A canned answer. */
    record Reply(int status, String contentType, List<String> setCookies, String body) {
    }

    private final HttpServer server;
    private final Map<String, Reply> replies = new ConcurrentHashMap<>();

    ScriptedServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.start();
    }

    ScriptedServer on(String path, Reply reply) {
        replies.put(path, reply);
        return this;
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            Reply reply = replies.getOrDefault(exchange.getRequestURI().getPath(), new Reply(404, "text/plain", List.of(), "no"));
            exchange.getResponseHeaders().set("Content-Type", reply.contentType());
            reply.setCookies().forEach(c -> exchange.getResponseHeaders().add("Set-Cookie", c));
            byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
