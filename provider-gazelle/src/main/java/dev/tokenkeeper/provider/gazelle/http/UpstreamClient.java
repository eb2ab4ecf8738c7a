package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.http.CappedBody;

import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HeaderElement;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection;
import org.apache.hc.core5.http.impl.io.HttpRequestExecutor;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.http.message.MessageSupport;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

/**
 * Sends POST requests to Gazelle: a deadline on the whole exchange (headers and body), a 1 MiB cap
 * on the body, no redirects followed, never sent twice, and failures turned into one
 * {@link UpstreamUnreachableException} with a safe message.
 *
 * <p>The exchange runs on the calling thread over a blocking socket kept open between exchanges (httpcore5's
 * HTTP/1.1 connection, see {@link Connections}). The JDK's {@code HttpClient} hands every exchange between the
 * caller, its selector thread and its pool: in a due storm on PostgreSQL (issue 26) that was a third of the
 * daemon's CPU, and the same exchange here costs a fraction of it.
 */
public final class UpstreamClient {

    /** The most bytes read of any Gazelle answer: 1 MiB. */
    public static final int BODY_LIMIT = CappedBody.ONE_MIB;

    private static final String USER_AGENT = "tokenkeeper-gazelle/0.1";

    // Stateless once built: one for every exchange. It writes the request, skips 1xx answers and reads the head.
    private static final HttpRequestExecutor EXECUTOR = new HttpRequestExecutor();

    private final Connections connections;
    private final Duration connectTimeout;
    private final Duration timeout;

    /**
     * @param connectTimeout how long connecting may take
     * @param timeout        how long the whole exchange may take
     */
    public UpstreamClient(Duration connectTimeout, Duration timeout) {
        this(connectTimeout, timeout, Connections::defaultContext);
    }

    /**
     * @param connectTimeout how long connecting may take
     * @param timeout        how long the whole exchange may take
     * @param tls            the TLS context for {@code https} hosts, asked for at the first one
     */
    UpstreamClient(Duration connectTimeout, Duration timeout, Supplier<SSLContext> tls) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.connections = new Connections(connectTimeout, Objects.requireNonNull(tls, "tls"));
    }

    /**
     * Posts a body and waits for the complete answer.
     *
     * @param uri         where to
     * @param contentType the body's media type
     * @param headers     further headers (names to values)
     * @param body        the body
     * @return the answer, whatever its status
     * @throws UpstreamUnreachableException when no complete answer arrived in time
     */
    public UpstreamResponse post(URI uri, String contentType, Map<String, String> headers, String body)
            throws UpstreamUnreachableException {
        String host = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        Connections.Route route;
        try {
            route = Connections.Route.of(uri);
        } catch (IllegalArgumentException e) {
            throw new UpstreamUnreachableException("cannot call " + host + ": " + e.getMessage()
                    + "; check the Gazelle URL settings");
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        BasicClassicHttpRequest post = new BasicClassicHttpRequest("POST", uri);
        post.setHeader("Host", host);
        post.setHeader("Content-Type", contentType);
        post.setHeader("Content-Length", Integer.toString(bytes.length));
        post.setHeader("User-Agent", USER_AGENT);
        headers.forEach(post::setHeader);
        post.setEntity(new ByteArrayEntity(bytes, null));
        Exchange exchange = new Exchange();
        // The connection is taken under the deadline too: a handshake that stalls is part of the exchange.
        Deadlines.Armed deadline = Deadlines.SHARED.arm(exchange::abort, timeout);
        try {
            DefaultBHttpClientConnection connection = connections.take(route);
            if (!exchange.begin(connection)) {
                throw timedOut(host);
            }
            Answer answer = exchange(connection, post);
            if (exchange.end() && answer.reusable()) {
                connections.keep(route, connection, answer.keepAlive());
            } else {
                connection.close(CloseMode.IMMEDIATE);
            }
            return answer.response();
        } catch (IOException | HttpException | RuntimeException e) {
            exchange.fail();
            if (exchange.late()) {
                throw timedOut(host);
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new UpstreamUnreachableException("call to " + host + " was interrupted (the daemon is stopping)");
            }
            throw describe(host, e);
        } finally {
            deadline.disarm();
        }
    }

    /**
     * One exchange's connection and whether its deadline took it: the deadline's thread closes the connection,
     * which ends a read or write under way at once, and a connection it closed is never kept for the next one.
     */
    private static final class Exchange {
        private static final int CONNECTING = 0;
        private static final int SENDING = 1;
        private static final int DONE = 2;
        private static final int LATE = 3;

        private final AtomicInteger state = new AtomicInteger(CONNECTING);
        private volatile DefaultBHttpClientConnection connection;

        boolean begin(DefaultBHttpClientConnection taken) {
            connection = taken;
            if (state.compareAndSet(CONNECTING, SENDING)) {
                return true;
            }
            taken.close(CloseMode.IMMEDIATE);
            return false;
        }

        void abort() {
            int was = state.getAndUpdate(now -> now == DONE ? DONE : LATE);
            DefaultBHttpClientConnection taken = connection;
            if (was == SENDING && taken != null) {
                taken.close(CloseMode.IMMEDIATE);
            }
        }

        boolean end() {
            return state.compareAndSet(SENDING, DONE);
        }

        void fail() {
            DefaultBHttpClientConnection taken = connection;
            if (taken != null) {
                taken.close(CloseMode.IMMEDIATE);
            }
        }

        boolean late() {
            return state.get() == LATE;
        }
    }

    private record Answer(UpstreamResponse response, boolean reusable, Duration keepAlive) {
    }

    private Answer exchange(DefaultBHttpClientConnection connection, ClassicHttpRequest post)
            throws IOException, HttpException {
        HttpCoreContext context = HttpCoreContext.create();
        ClassicHttpResponse response = EXECUTOR.execute(post, connection, context);
        Header[] all = response.getHeaders();
        Supplier<HttpHeaders> headers = () -> headersOf(all);
        HttpEntity entity = response.getEntity();
        if (entity == null) {
            return whole(post, response, connection, context, headers, new byte[0]);
        }
        // Sized by the declared length: a token answer is a few hundred bytes, and a fixed 8 KiB buffer per exchange
        // was a tenth of a daemon's allocation in a due storm.
        long declared = entity.getContentLength();
        int size = declared >= 0 ? (int) Math.min(declared + 1, 8192) : 1024;
        ByteArrayOutputStream kept = new ByteArrayOutputStream(size);
        byte[] buffer = new byte[size];
        // Not closed: closing the body's stream reads the rest of it, however large, to reuse the connection.
        InputStream in = entity.getContent();
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            int room = BODY_LIMIT - kept.size();
            kept.write(buffer, 0, Math.min(n, room));
            if (n > room) {
                // Drop the connection rather than read the rest of a huge answer to reuse it.
                return new Answer(new UpstreamResponse(response.getCode(), headers,
                        new CappedBody(kept.toByteArray(), true)), false, Duration.ZERO);
            }
        }
        return whole(post, response, connection, context, headers, kept.toByteArray());
    }

    /** A body read to its end: the connection is kept if the answer's framing and headers allow. */
    private static Answer whole(ClassicHttpRequest post, ClassicHttpResponse response,
                                DefaultBHttpClientConnection connection, HttpCoreContext context,
                                Supplier<HttpHeaders> headers,
                                byte[] body) throws IOException {
        return new Answer(new UpstreamResponse(response.getCode(), headers, new CappedBody(body, false)),
                EXECUTOR.keepAlive(post, response, connection, context), keepAlive(response));
    }

    /** How long the server keeps the connection open idle, when it says so ({@code Keep-Alive: timeout=5}). */
    private static Duration keepAlive(ClassicHttpResponse response) {
        Iterator<HeaderElement> elements = MessageSupport.iterate(response, "Keep-Alive");
        while (elements.hasNext()) {
            HeaderElement element = elements.next();
            if ("timeout".equalsIgnoreCase(element.getName()) && element.getValue() != null) {
                try {
                    return Duration.ofSeconds(Math.max(0, Long.parseLong(element.getValue().trim())));
                } catch (NumberFormatException e) {
                    return Connections.KEEP_IDLE;
                }
            }
        }
        return Connections.KEEP_IDLE;
    }

    private static HttpHeaders headersOf(Header[] all) {
        Map<String, List<String>> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Header header : all) {
            byName.computeIfAbsent(header.getName(), name -> new ArrayList<>(1)).add(header.getValue());
        }
        return HttpHeaders.of(byName, (name, value) -> true);
    }

    private UpstreamUnreachableException describe(String host, Throwable cause) {
        if (cause instanceof Connections.ConnectFailed failed && failed.timedOut()) {
            return new UpstreamUnreachableException("could not connect to " + host + " within "
                    + connectTimeout.toSeconds()
                    + " s; check the network and the Gazelle URL settings");
        }
        if (cause instanceof SocketTimeoutException) {
            return timedOut(host);
        }
        if (cause instanceof Connections.ConnectFailed && cause.getCause() instanceof ConnectException) {
            return new UpstreamUnreachableException("could not connect to " + host
                    + " (connection refused or unreachable); check the network and the Gazelle URL settings");
        }
        // I/O messages describe the connection ("connection reset", "target server failed to respond"),
        // never the request body, so they are safe to pass on once made one line.
        Throwable named = cause instanceof Connections.ConnectFailed && cause.getCause() != null ? cause.getCause() : cause;
        String detail = named == null ? "unknown error"
                : named.getClass().getSimpleName()
                + (named.getMessage() == null ? "" : ": " + SafeText.oneLine(named.getMessage(), 160));
        String what = cause instanceof IOException ? "connection to " + host + " failed" : "call to " + host + " failed";
        return new UpstreamUnreachableException(what + " (" + detail + ")");
    }

    private UpstreamUnreachableException timedOut(String host) {
        return new UpstreamUnreachableException("no answer from " + host + " within " + timeout.toSeconds()
                + " s (TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS)");
    }
}
