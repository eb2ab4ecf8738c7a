package com.example.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local imitation of the demo upstream: rotates refresh tokens (a spent one is refused with 400),
 * accepts only the newest access token of each chain. Port 0; {@link #close} stops it.
 */
public final class FakeDemo implements AutoCloseable {

    private static final Pattern REFRESH = Pattern.compile("\"refresh_token\"\\s*:\\s*\"([^\"]+)\"");

    private final HttpServer server;
    private final Map<String, String> accessByRefresh = new ConcurrentHashMap<>();
    private final Set<String> validAccess = ConcurrentHashMap.newKeySet();
    private final Set<String> spent = new HashSet<>();
    private final long expiresIn;
    private volatile String retryAfter;

    private FakeDemo(long expiresIn) throws IOException {
        this.expiresIn = expiresIn;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", this::token);
        server.createContext("/api/me", this::me);
        server.start();
    }

    /**
     * @param expiresIn the access-token lifetime it announces, in seconds
     * @return a started imitation
     */
    public static FakeDemo start(long expiresIn) {
        try {
            return new FakeDemo(expiresIn);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the demo imitation", e);
        }
    }

    /** @return the settings that point {@link DemoProvider} here */
    public Map<String, String> settings() {
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        return Map.of(DemoProvider.TOKEN_URL, base + "/token", DemoProvider.API_URL, base + "/api/me");
    }

    /** @return the token JSON of a new chain, as a user would paste it */
    public String newChain() {
        String access = "demo-access-" + UUID.randomUUID();
        String refresh = "demo-refresh-" + UUID.randomUUID();
        accessByRefresh.put(refresh, access);
        validAccess.add(access);
        return "{\"access_token\":\"" + access + "\",\"refresh_token\":\"" + refresh + "\",\"expires_in\":" + expiresIn + "}";
    }

    /**
     * Makes every token request answer 429 from now on, as an upstream that rate-limits does.
     *
     * @param retryAfter the {@code Retry-After} value to send (seconds or an HTTP date)
     */
    public void rateLimit(String retryAfter) {
        this.retryAfter = retryAfter;
    }

    private void token(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String limited = retryAfter;
        if (limited != null) {
            exchange.getResponseHeaders().add("Retry-After", limited);
            answer(exchange, 429, "{\"error\":\"slow_down\"}");
            return;
        }
        Matcher m = REFRESH.matcher(body);
        String old = m.find() ? m.group(1) : "";
        String oldAccess;
        synchronized (spent) {
            oldAccess = spent.add(old) ? accessByRefresh.remove(old) : null;
        }
        if (oldAccess == null) {
            answer(exchange, 400, "{\"error\":\"invalid_grant\"}");
            return;
        }
        validAccess.remove(oldAccess);
        String access = "demo-access-" + UUID.randomUUID();
        String refresh = "demo-refresh-" + UUID.randomUUID();
        accessByRefresh.put(refresh, access);
        validAccess.add(access);
        answer(exchange, 200, "{\"access_token\":\"" + access + "\",\"refresh_token\":\"" + refresh
                + "\",\"expires_in\":" + expiresIn + "}");
    }

    private void me(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        String auth = String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"));
        boolean ok = auth.startsWith("Bearer ") && validAccess.contains(auth.substring(7));
        answer(exchange, ok ? 200 : 401, ok ? "{\"ok\":true}" : "{\"error\":\"unauthorized\"}");
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
