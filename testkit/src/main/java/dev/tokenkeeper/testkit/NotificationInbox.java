package dev.tokenkeeper.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A webhook on 127.0.0.1, for {@code TOKENKEEPER_NOTIFY_URL}, with a secret path like Slack's (which
 * must never be printed). It keeps every request with the status it answered, and can answer the
 * next ones with 500. Deliveries are real HTTP calls on the daemon's threads: the waits here are
 * bounded, in wall time.
 */
public final class NotificationInbox implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One request.
     *
     * @param at     when it arrived (wall time)
     * @param path   the path posted to
     * @param body   the raw body
     * @param status what was answered
     */
    public record Request(Instant at, String path, String body, int status) {
        /** @return the body as JSON */
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** @return whether it was answered 2xx */
        public boolean delivered() {
            return status >= 200 && status < 300;
        }

        /** @return the notification's event */
        public String event() {
            return json().path("event").asText();
        }
    }

    private final HttpServer server;
    private final String secret;
    private final List<Request> received = new ArrayList<>();
    private int failures;

    /** Starts the webhook on a free port of 127.0.0.1; close it when done. */
    public NotificationInbox() {
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        secret = "whsecret" + HexFormat.of().formatHex(random);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int status;
            synchronized (received) {
                status = failures > 0 ? 500 : 200;
                failures = Math.max(0, failures - 1);
                received.add(new Request(Instant.now(), exchange.getRequestURI().getPath(), body, status));
                received.notifyAll();
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    /** @return the webhook URL; its path holds the secret */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/services/T000/B000/" + secret;
    }

    /** @return the secret part of the URL, which must never be printed */
    public String secret() {
        return secret;
    }

    /**
     * @param count how many of the next requests get 500
     * @return this
     */
    public NotificationInbox failNext(int count) {
        synchronized (received) {
            failures = count;
        }
        return this;
    }

    /** @return every request so far, delivered or not, in order */
    public List<Request> requests() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /**
     * @param event the event, such as {@code expiring}
     * @return the bodies of the notifications of that event delivered (answered 2xx) so far, in order
     */
    public List<JsonNode> events(String event) {
        return requests().stream().filter(Request::delivered).filter(request -> request.event().equals(event))
                .map(Request::json).toList();
    }

    /**
     * Waits (bounded) until {@code count} notifications of that event have been delivered.
     *
     * @param event    the event, such as {@code requires_configuration}
     * @param count    how many
     * @param patience the longest wait
     * @return their bodies
     */
    public List<JsonNode> await(String event, int count, Duration patience) throws InterruptedException {
        awaitUntil(() -> events(event).size() >= count, patience, "expected " + count + " '" + event + "' notifications");
        return events(event);
    }

    /**
     * Waits (bounded) until {@code count} requests, delivered or not, have arrived.
     *
     * @param count    how many
     * @param patience the longest wait
     * @return every request so far
     */
    public List<Request> awaitRequests(int count, Duration patience) throws InterruptedException {
        awaitUntil(() -> requests().size() >= count, patience, "expected " + count + " requests");
        return requests();
    }

    /**
     * Watches for {@code quiet}: no request beyond {@code count} may arrive meanwhile (a delivery
     * raised and sent on the daemon's threads would arrive within it).
     *
     * @param count how many requests there are and must stay
     * @param quiet how long to watch
     */
    public void assertStaysAt(int count, Duration quiet) throws InterruptedException {
        long deadline = System.nanoTime() + quiet.toNanos();
        synchronized (received) {
            for (long left = quiet.toNanos(); left > 0 && received.size() <= count; left = deadline - System.nanoTime()) {
                received.wait(Math.max(1, left / 1_000_000));
            }
            if (received.size() != count) {
                throw new AssertionError("expected " + count + " webhook requests, got " + summary());
            }
        }
    }

    private void awaitUntil(BooleanSupplier done, Duration patience, String expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        synchronized (received) {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(expected + " within " + patience + ", got " + summary());
                }
                received.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private List<String> summary() {
        return requests().stream().map(request -> request.status() + " " + request.event() + " "
                + request.json().path("status").asText()).toList();
    }

    /** @return every request's path (without the secret) and body, to look for secrets in */
    public List<String> texts() {
        return requests().stream().map(request -> request.path().replace(secret, "") + request.body()).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
