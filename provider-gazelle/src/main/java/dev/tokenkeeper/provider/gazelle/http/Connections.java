package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.http.OnFirstUse;

import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection;
import org.apache.hc.core5.io.CloseMode;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.channels.SocketChannel;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The blocking HTTP/1.1 connections {@link UpstreamClient} sends over, kept open between exchanges per
 * host: httpcore5's connection (request writing, response parsing, framing) over sockets this class opens.
 *
 * <p>Apache's full client put a chain of executors, a route planner and a leasing pool around every exchange:
 * in a due storm on PostgreSQL (issue 26) that was a third of an exchange's CPU, for features a token POST does
 * not use (redirects, retries, authentication, cookies, proxies). TLS is the JDK's: the default context,
 * built at the first {@code https} connection (it loads every certificate of the trust store), with the host
 * name checked against the certificate ({@code HTTPS} endpoint identification) and sent as SNI.
 */
final class Connections {

    /**
     * Idle connections kept per upstream host: more than any refresh worker count, so that a worker never
     * connects anew while another's connection sits idle.
     */
    static final int PER_HOST = 512;

    /**
     * A pooled connection idle this long is checked for a close by the server before it carries a POST:
     * a POST is never re-sent (it may carry a refresh token that rotates), so it must not go out on a
     * connection the server has already dropped.
     */
    static final Duration CHECK_AFTER_IDLE = Duration.ofMillis(500);

    /** How long an idle connection is kept when the server does not say (its Keep-Alive header). */
    static final Duration KEEP_IDLE = Duration.ofSeconds(30);

    private final Duration connectTimeout;
    private final OnFirstUse<SSLSocketFactory> tls;
    private final Map<Route, LinkedBlockingDeque<Idle>> idle = new ConcurrentHashMap<>();

    /**
     * @param connectTimeout how long connecting (and a TLS handshake) may take
     * @param context        the TLS context for {@code https} hosts, asked for at the first one
     */
    Connections(Duration connectTimeout, Supplier<SSLContext> context) {
        this.connectTimeout = connectTimeout;
        this.tls = new OnFirstUse<>(() -> context.get().getSocketFactory());
    }

    /** Where a connection goes: connections are only ever reused for the same scheme, host and port. */
    record Route(boolean secure, String host, int port) {

        // Written out: a record's generated equals and hashCode go through method handles, which the launcher's
        // first-tier-only JIT leaves slow, and a route is looked up for every exchange.
        @Override
        public boolean equals(Object other) {
            return other instanceof Route that && secure == that.secure && port == that.port && host.equals(that.host);
        }

        @Override
        public int hashCode() {
            return (host.hashCode() * 31 + port) * 2 + (secure ? 1 : 0);
        }

        static Route of(URI uri) {
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http")) {
                throw new IllegalArgumentException("not an http or https URL (scheme " + scheme + ")");
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("the URL names no host");
            }
            boolean secure = scheme.equals("https");
            String host = uri.getHost();
            // URI keeps an IPv6 literal's brackets; a socket address wants the bare address.
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return new Route(secure, host, uri.getPort() >= 0 ? uri.getPort() : secure ? 443 : 80);
        }
    }

    private record Idle(DefaultBHttpClientConnection connection, long since, long keepNanos) {
    }

    /** A connection could not be made; the message names no request content. */
    static final class ConnectFailed extends IOException {
        private static final long serialVersionUID = 1L;
        private final boolean timedOut;

        ConnectFailed(IOException cause, boolean timedOut) {
            super(cause.getMessage(), cause);
            this.timedOut = timedOut;
        }

        boolean timedOut() {
            return timedOut;
        }
    }

    /**
     * @param route where to
     * @return an open connection: the most recently used idle one that is still good, or a new one
     * @throws ConnectFailed when no new connection could be made
     */
    DefaultBHttpClientConnection take(Route route) throws ConnectFailed {
        LinkedBlockingDeque<Idle> kept = idle.get(route);
        if (kept != null) {
            for (Idle next = kept.pollFirst(); next != null; next = kept.pollFirst()) {
                long idleNanos = System.nanoTime() - next.since();
                if (idleNanos < next.keepNanos() && stillGood(next.connection(), idleNanos)) {
                    return next.connection();
                }
                next.connection().close(CloseMode.IMMEDIATE);
            }
        }
        return connect(route);
    }

    /**
     * Keeps a connection whose exchange ended cleanly for the next one.
     *
     * @param route      where it goes
     * @param connection the connection
     * @param keep       how long the server will keep it open idle (its Keep-Alive header), at most {@link #KEEP_IDLE}
     */
    void keep(Route route, DefaultBHttpClientConnection connection, Duration keep) {
        if (keep.isZero() || keep.isNegative()) {
            connection.close(CloseMode.IMMEDIATE);
            return;
        }
        LinkedBlockingDeque<Idle> kept = idle.computeIfAbsent(route, r -> new LinkedBlockingDeque<>(PER_HOST));
        long now = System.nanoTime();
        // Newest first, so that the oldest gather at the back, where each keep closes one the server has dropped.
        Idle oldest = kept.peekLast();
        if (oldest != null && now - oldest.since() >= oldest.keepNanos() && kept.removeLastOccurrence(oldest)) {
            oldest.connection().close(CloseMode.IMMEDIATE);
        }
        if (!kept.offerFirst(new Idle(connection, now, Math.min(keep.toNanos(), KEEP_IDLE.toNanos())))) {
            connection.close(CloseMode.IMMEDIATE);
        }
    }

    private static boolean stillGood(DefaultBHttpClientConnection connection, long idleNanos) {
        if (!connection.isOpen()) {
            return false;
        }
        if (idleNanos < CHECK_AFTER_IDLE.toNanos()) {
            return true;
        }
        try {
            return !connection.isStale();
        } catch (IOException e) {
            return false;
        }
    }

    private DefaultBHttpClientConnection connect(Route route) throws ConnectFailed {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(route.host());
        } catch (IOException e) {
            throw new ConnectFailed(e, false);
        }
        ConnectFailed failed = null;
        // Each address in turn, as a browser does for a host with several (IPv6 and IPv4, say).
        for (InetAddress address : addresses) {
            // A channel's socket, not a plain one: a timed read on a plain socket (httpcore5's check of an idle
            // connection reads with a 1 ms timeout) switches it to non-blocking for good, and every later read of
            // an answer then costs a failed read, a poll and a second read; a channel's socket goes back to
            // blocking after each timed read. Connecting is bounded by closing it, not by a timed connect, and
            // the exchange's own deadline bounds its reads the same way.
            Socket socket;
            try {
                socket = SocketChannel.open().socket();
            } catch (IOException e) {
                throw new ConnectFailed(e, false);
            }
            AtomicBoolean late = new AtomicBoolean();
            Deadlines.Armed deadline = Deadlines.SHARED.arm(() -> {
                late.set(true);
                closeQuietly(socket);
            }, connectTimeout);
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(address, route.port()));
                DefaultBHttpClientConnection connection = new DefaultBHttpClientConnection(Http1Config.DEFAULT);
                if (route.secure()) {
                    connection.bind(handshake(socket, route), socket);
                } else {
                    connection.bind(socket);
                }
                deadline.disarm();
                if (late.get()) {
                    throw new SocketTimeoutException("connect timed out");
                }
                return connection;
            } catch (IOException e) {
                deadline.disarm();
                closeQuietly(socket);
                failed = new ConnectFailed(e, late.get() || e instanceof SocketTimeoutException);
            }
        }
        throw failed == null ? new ConnectFailed(new IOException("no address for " + route.host()), false) : failed;
    }

    private SSLSocket handshake(Socket socket, Route route) throws IOException {
        SSLSocket tlsSocket = (SSLSocket) tls.get().createSocket(socket, route.host(), route.port(), true);
        SSLParameters parameters = tlsSocket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        tlsSocket.setSSLParameters(parameters);
        tlsSocket.startHandshake();
        return tlsSocket;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already failing; the first error is the one to report
        }
    }

    /** @return the JDK's default TLS context (its trust store), for {@code https} hosts */
    static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no default TLS context", e);
        }
    }
}
