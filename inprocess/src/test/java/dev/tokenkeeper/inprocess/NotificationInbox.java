package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A webhook on 127.0.0.1 that keeps every notification's JSON body, for {@code TOKENKEEPER_NOTIFY_URL}. */
final class NotificationInbox implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final List<JsonNode> received = new ArrayList<>();

    NotificationInbox() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/hook", exchange -> {
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            synchronized (received) {
                received.add(body);
                received.notifyAll();
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** @return the notifications of that event received so far, in order */
    List<JsonNode> events(String event) {
        synchronized (received) {
            return received.stream().filter(body -> body.path("event").asText().equals(event)).toList();
        }
    }

    /**
     * Waits (bounded, in wall time: a delivery is a real HTTP call) until {@code count} notifications
     * of that event have arrived.
     */
    List<JsonNode> await(String event, int count, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        synchronized (received) {
            while (events(event).size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + count + " '" + event + "' notifications within " + patience
                            + ", got " + received.stream().map(body -> body.path("event").asText()).toList());
                }
                received.wait(Math.max(1, left / 1_000_000));
            }
            return events(event);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
