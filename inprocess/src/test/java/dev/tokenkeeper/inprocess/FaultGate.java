package dev.tokenkeeper.inprocess;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on 127.0.0.1 in front of an imitation: forwards every request as it came and
 * the answer as it came back, records the arrival of each refresh request ({@code POST} to the
 * refresh path) on the clock it is given (the test's, which the daemon reads too), and answers the
 * next refresh requests itself when a {@link Play} is armed. None of its own answers reaches the
 * imitation, so none of them spends a refresh token.
 */
final class FaultGate implements AutoCloseable {

    /** What the gate does instead of forwarding. */
    enum Play {
        /** Holds the request until the gate closes: the answer never comes. */
        HANG,
        /** Holds the request until {@link #releaseHeld()}, then forwards it: a slow upstream. */
        HOLD,
        /** 200 with {@code Content-Length}, half the body, then the connection closes. */
        RESET_MID_BODY,
        /** 500 with a JSON error body. */
        STATUS_500,
        /** 502 with an nginx HTML page. */
        STATUS_502,
        /** 200 {@code {}} with {@code Set-Cookie} headers that hold no {@code name=value} pair. */
        GARBAGE_SET_COOKIE,
        /** 200 with {@code "access_token"} as a JSON object instead of text. */
        UNREADABLE_ACCESS_TOKEN_JSON,
        /** 200 {@code {}} setting {@code access_token_web} to a value that is not a JWT. */
        UNREADABLE_ACCESS_TOKEN_COOKIE
    }

    private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "expect", "host",
            "upgrade", "transfer-encoding", "keep-alive", "date");

    private final URI upstream;
    private final String refreshPath;
    private final Clock clock;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "fault-gate");
        thread.setDaemon(true);
        return thread;
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final CountDownLatch held = new CountDownLatch(1);
    // Guarded by this.
    private final Deque<Play> armed = new ArrayDeque<>();
    private final List<Instant> refreshAttempts = new ArrayList<>();

    FaultGate(URI upstream, String refreshPath, Clock clock) {
        this.upstream = upstream;
        this.refreshPath = refreshPath;
        this.clock = clock;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the fault gate on 127.0.0.1", e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    synchronized void failNext(int times, Play play) {
        for (int i = 0; i < times; i++) {
            armed.addLast(play);
        }
    }

    synchronized void clear() {
        armed.clear();
    }

    /** @return when each refresh request arrived, oldest first (faulted and forwarded alike) */
    synchronized List<Instant> refreshAttempts() {
        return List.copyOf(refreshAttempts);
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            boolean refresh = exchange.getRequestMethod().equals("POST")
                    && exchange.getRequestURI().getPath().equals(refreshPath);
            Play play = null;
            if (refresh) {
                synchronized (this) {
                    refreshAttempts.add(clock.instant());
                    play = armed.pollFirst();
                }
            }
            if (play == Play.HOLD) {
                held.await();
                forward(exchange, body);
            } else if (play != null) {
                play(exchange, play);
            } else {
                forward(exchange, body);
            }
        } catch (IOException | RuntimeException e) {
            // The client gave up or the imitation dropped the connection: closing the exchange
            // without an answer drops this connection too.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void play(HttpExchange exchange, Play play) throws IOException, InterruptedException {
        switch (play) {
            case HANG -> closed.await();
            case RESET_MID_BODY -> {
                byte[] whole = ("{\"error\":\"none\",\"padding\":\"" + "x".repeat(200) + "\"}").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                exchange.sendResponseHeaders(200, whole.length);
                OutputStream out = exchange.getResponseBody();
                out.write(whole, 0, whole.length / 2);
                out.flush();
                // Closing a fixed-length body before it is complete closes the connection.
            }
            case STATUS_500 -> respond(exchange, 500, "application/json; charset=utf-8",
                    "{\"error\":\"internal_server_error\",\"message\":\"Something went wrong\"}");
            case STATUS_502 -> respond(exchange, 502, "text/html",
                    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
                            + "</center><hr><center>nginx</center></body></html>");
            case GARBAGE_SET_COOKIE -> {
                for (String garbage : List.of("=; Path=/", "access_token_web; HttpOnly", ";refresh_token_web=",
                        "%%%~~~ ;;; ==")) {
                    exchange.getResponseHeaders().add("Set-Cookie", garbage);
                }
                respond(exchange, 200, "application/json; charset=utf-8", "{}");
            }
            case UNREADABLE_ACCESS_TOKEN_JSON -> respond(exchange, 200, "application/json; charset=utf-8",
                    "{\"access_token\":{\"value\":\"not-a-token\"},\"token_type\":\"Bearer\",\"expires_in\":3600}");
            case UNREADABLE_ACCESS_TOKEN_COOKIE -> {
                exchange.getResponseHeaders().add("Set-Cookie",
                        "access_token_web=not-a-jwt; path=/; max-age=7200; secure; HttpOnly; SameSite=Lax");
                respond(exchange, 200, "application/json; charset=utf-8", "{}");
            }
            default -> throw new IllegalArgumentException(play.name());
        }
    }

    private void forward(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
        String query = exchange.getRequestURI().getRawQuery();
        HttpRequest.Builder request = HttpRequest.newBuilder(upstream.resolve(exchange.getRequestURI().getRawPath()
                        + (query == null ? "" : "?" + query)))
                .timeout(Duration.ofSeconds(30))
                .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(value -> request.header(name, value));
            }
        });
        HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        response.headers().map().forEach((name, values) -> {
            if (!name.startsWith(":") && !NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                exchange.getResponseHeaders().put(name, new ArrayList<>(values));
            }
        });
        byte[] answer = response.body();
        exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
        if (answer.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Lets the requests {@link Play#HOLD} holds go on to the imitation. */
    void releaseHeld() {
        held.countDown();
    }

    @Override
    public void close() {
        closed.countDown();
        held.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
