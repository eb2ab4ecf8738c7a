package dev.tokenkeeper.provider.gazelle.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import javax.net.ssl.SSLContext;

/**
 * A real HTTP server on 127.0.0.1 that answers every request with one scripted answer, for the odd
 * upstream behaviours {@code FakeGazelle} has no mode for (huge bodies, echoing errors, redirects).
 */
public final class ScriptedServer implements AutoCloseable {

    /** Writes one answer. */
    @FunctionalInterface
    public interface Answer {
        /**
         * @param exchange the exchange to answer
         * @throws IOException when the client went away
         */
        void write(HttpExchange exchange) throws IOException;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "scripted-server");
        thread.setDaemon(true);
        return thread;
    });
    private final List<String> requestBodies = new CopyOnWriteArrayList<>();
    private volatile Answer answer = exchange -> send(exchange, 200, "text/plain", "ok");

    private ScriptedServer(SSLContext tls) throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            server = HttpServer.create(loopback, 0);
        } else {
            HttpsServer https = HttpsServer.create(loopback, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try {
                requestBodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                answer.write(exchange);
            } catch (IOException | RuntimeException e) {
                // client gone
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** @return a started server */
    public static ScriptedServer start() {
        try {
            return new ScriptedServer(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param tls the server's TLS context (its certificate)
     * @return a started HTTPS server
     */
    public static ScriptedServer startTls(SSLContext tls) {
        try {
            return new ScriptedServer(tls);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param answer how to answer every request from now on
     * @return this server
     */
    public ScriptedServer answering(Answer answer) {
        this.answer = answer;
        return this;
    }

    /**
     * @param path a path
     * @return {@code http://127.0.0.1:<port><path>}
     */
    public URI url(String path) {
        return url("127.0.0.1", path);
    }

    /**
     * @param host the host name to put in the URL (the server listens on 127.0.0.1)
     * @param path a path
     * @return {@code http(s)://<host>:<port><path>}
     */
    public URI url(String host, String path) {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return URI.create(scheme + "://" + host + ":" + server.getAddress().getPort() + path);
    }

    /** @return the bodies received, oldest first */
    public List<String> requestBodies() {
        return List.copyOf(requestBodies);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /**
     * Sends a whole answer.
     *
     * @param exchange    the exchange
     * @param status      the status
     * @param contentType the content type
     * @param body        the body
     * @throws IOException when the client went away
     */
    public static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
