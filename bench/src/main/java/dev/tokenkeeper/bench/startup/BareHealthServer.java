package dev.tokenkeeper.bench.startup;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The start-up baseline: a JVM with the launcher's flags that does nothing but answer
 * {@code GET /healthz} with the JDK's HTTP server. What the daemon costs above this is its own.
 */
public final class BareHealthServer {

    private BareHealthServer() {
    }

    /**
     * @param args the port
     * @throws IOException when the port cannot be bound
     */
    public static void main(String[] args) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                Integer.parseInt(args[0])), 64);
        byte[] ok = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
        server.createContext("/healthz", exchange -> {
            exchange.sendResponseHeaders(200, ok.length);
            exchange.getResponseBody().write(ok);
            exchange.close();
        });
        server.start();
    }
}
