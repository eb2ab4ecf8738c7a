package dev.tokenkeeper.daemon.signin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DevTools protocol connection to a browser over {@link WebSocket}: commands out, their answers
 * matched by id, events ignored. Messages are never logged or quoted (some carry what is typed into a
 * page); an error names the command only.
 */
final class DevTools implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> waiting = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private DevTools(WebSocket socket) {
        this.socket = socket;
    }

    /**
     * @param address the browser's DevTools WebSocket address
     * @param timeout how long connecting may take
     * @return the connection
     * @throws SignInException when it cannot connect in time
     */
    static DevTools connect(URI address, Duration timeout) {
        Listener listener = new Listener();
        try {
            WebSocket socket = HttpClient.newBuilder().connectTimeout(timeout).build().newWebSocketBuilder()
                    .connectTimeout(timeout).buildAsync(address, listener).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            DevTools devTools = new DevTools(socket);
            listener.owner = devTools;
            return devTools;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignInException("interrupted while connecting to the browser");
        } catch (ExecutionException | TimeoutException e) {
            throw new SignInException("cannot connect to the browser's DevTools port within " + timeout.toSeconds() + " s");
        }
    }

    /**
     * Sends a command and waits for its answer.
     *
     * @param session the target's session id, or empty for the browser itself
     * @param method  the command, e.g. {@code Page.navigate}
     * @param params  its parameters
     * @param timeout how long the answer may take
     * @return the answer's {@code result}
     * @throws SignInException on an error answer, a closed connection or no answer in time
     */
    JsonNode call(Optional<String> session, String method, ObjectNode params, Duration timeout) {
        int id = ids.incrementAndGet();
        ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
        message.set("params", params);
        session.ifPresent(value -> message.put("sessionId", value));
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        waiting.put(id, answer);
        try {
            if (closed) {
                throw new SignInException("the browser closed the DevTools connection");
            }
            socket.sendText(message.toString(), true).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            JsonNode reply = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.has("error")) {
                // Chromium's error messages name the problem, not the parameters.
                throw new SignInException("the browser refused " + method + ": " + reply.path("error").path("message").asText());
            }
            return reply.path("result");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignInException("interrupted while the browser ran " + method);
        } catch (ExecutionException e) {
            throw new SignInException("the browser's DevTools connection failed during " + method);
        } catch (TimeoutException e) {
            throw new SignInException("the browser did not answer " + method + " within " + timeout.toSeconds() + " s");
        } finally {
            waiting.remove(id);
        }
    }

    /** @return a new parameters object */
    static ObjectNode params() {
        return JSON.createObjectNode();
    }

    private void received(String text) {
        JsonNode message;
        try {
            message = JSON.readTree(text);
        } catch (IOException e) {
            return;
        }
        JsonNode id = message.get("id");
        if (id != null) {
            CompletableFuture<JsonNode> answer = waiting.get(id.asInt());
            if (answer != null) {
                answer.complete(message);
            }
        }
    }

    private void ended() {
        closed = true;
        waiting.values().forEach(answer -> answer.completeExceptionally(new IOException("connection closed")));
    }

    @Override
    public void close() {
        closed = true;
        socket.abort();
    }

    /** Collects a message's frames and hands whole messages over. */
    private static final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();
        private volatile DevTools owner;

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                DevTools current = owner;
                if (current != null) {
                    current.received(text);
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            DevTools current = owner;
            if (current != null) {
                current.ended();
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            DevTools current = owner;
            if (current != null) {
                current.ended();
            }
        }
    }
}
