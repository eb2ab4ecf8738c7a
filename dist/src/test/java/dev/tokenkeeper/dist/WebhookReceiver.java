package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local webhook receiver on a free port, with a secret path like Slack's. It can fail the first
 * N requests with 500, and records every request with the status it answered.
 */
final class WebhookReceiver implements AutoCloseable {

    /**
     * One request.
     *
     * @param at     when it arrived
     * @param path   the path posted to
     * @param body   the raw body
     * @param status what was answered
     */
    record Request(Instant at, String path, String body, int status) {
        JsonNode json() {
            try {
                return DaemonProcess.JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        boolean delivered() {
            return status >= 200 && status < 300;
        }

        String event() {
            return json().path("event").asText();
        }
    }

    private final HttpServer server;
    private final String secret;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger failures = new AtomicInteger();

    WebhookReceiver() throws IOException {
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        secret = "whsecret" + HexFormat.of().formatHex(random);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int status = failures.getAndUpdate(left -> Math.max(0, left - 1)) > 0 ? 500 : 200;
            requests.add(new Request(Instant.now(), exchange.getRequestURI().getPath(), body, status));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    /** @param count how many of the next requests get 500 */
    WebhookReceiver failNext(int count) {
        failures.set(count);
        return this;
    }

    /** @return the webhook URL; its path holds the secret */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/services/T000/B000/" + secret;
    }

    /** @return the secret part of the URL, which must never be printed */
    String secret() {
        return secret;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** @return the requests of one event kind answered 2xx */
    List<Request> delivered(String event) {
        return requests.stream().filter(Request::delivered).filter(r -> r.event().equals(event)).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
