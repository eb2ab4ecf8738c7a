package dev.tokenkeeper.bench.load;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load driver counts what a real local server answered: 200s as requests, anything else as errors. */
class LoadDriverTest {

    @Test
    void countsAnswersAndErrorsOfARealServer() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        AtomicInteger served = new AtomicInteger();
        byte[] ok = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
        server.createContext("/ok", exchange -> {
            served.incrementAndGet();
            exchange.sendResponseHeaders(200, ok.length);
            exchange.getResponseBody().write(ok);
            exchange.close();
        });
        server.createContext("/missing", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            LoadDriver.Result good = LoadDriver.run(port, "/ok", List.of("X-Test: 1"), 2, Duration.ofMillis(300));
            assertTrue(good.requests() > 0, "no request was answered");
            assertEquals(0, good.errors());
            assertEquals(good.requests(), good.latencies().length);
            assertTrue(served.get() >= good.requests(), "the driver counted more answers than the server gave");
            LoadDriver.Result bad = LoadDriver.run(port, "/missing", List.of(), 1, Duration.ofMillis(200));
            assertEquals(0, bad.requests());
            assertTrue(bad.errors() > 0, "404 answers were not counted as errors");
        } finally {
            server.stop(0);
        }
    }
}
