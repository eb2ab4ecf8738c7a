package dev.tokenkeeper.daemon.socketclient;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;

/**
 * {@link UnixHttpClient}'s exchange over TCP, for a plain {@code http://} address: one request per
 * connection, the answer read to its end, connecting bounded by its own timeout and the whole
 * exchange by one deadline. The CLI uses it instead of the JDK's HttpClient, whose start (its selector
 * thread, its TLS defaults, its asynchronous pipeline) cost a command such as {@code status} about a
 * fifth of a second of CPU, a third of all it spent, for two small requests on loopback.
 */
public final class TcpHttpClient {

    private final URI base;
    private final Duration connectTimeout;
    private final Duration timeout;

    /**
     * @param base           {@code http://host:port}, where the daemon listens
     * @param connectTimeout the bound on connecting
     * @param timeout        the bound on one whole exchange, connecting included
     */
    public TcpHttpClient(URI base, Duration connectTimeout, Duration timeout) {
        if (!"http".equals(base.getScheme()) || base.getHost() == null || base.getPort() < 0) {
            throw new IllegalArgumentException("not an http://host:port address: " + base);
        }
        this.base = base;
        this.connectTimeout = connectTimeout;
        this.timeout = timeout;
    }

    /**
     * @param method  GET, POST, PUT or DELETE
     * @param target  the path and query, e.g. {@code /api/v1/credentials}
     * @param headers extra headers (no Host, Content-Length or Connection)
     * @param body    the body, or null
     * @return the answer
     * @throws ConnectException               when nothing listens at the address
     * @throws HttpConnectTimeoutException    when connecting takes longer than its timeout
     * @throws java.net.http.HttpTimeoutException when the exchange does not finish within the timeout
     * @throws IOException                    when the answer cannot be read
     */
    public UnixHttpClient.Response send(String method, String target, Map<String, String> headers, String body)
            throws IOException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        InetSocketAddress address = new InetSocketAddress(base.getHost(), base.getPort());
        if (address.isUnresolved()) {
            throw new ConnectException("cannot resolve " + base.getHost());
        }
        try (SocketChannel channel = SocketChannel.open(); Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            if (!channel.connect(address)) {
                long connectBy = Math.min(deadline, start + connectTimeout.toNanos());
                channel.register(selector, SelectionKey.OP_CONNECT);
                while (!channel.finishConnect()) {
                    if (System.nanoTime() >= connectBy) {
                        throw new HttpConnectTimeoutException("could not connect to " + base.getRawAuthority() + " within "
                                + connectTimeout.toSeconds() + " s");
                    }
                    UnixHttpClient.await(selector, connectBy);
                }
            }
            return UnixHttpClient.exchange(channel, selector, base.getRawAuthority(), method, target, headers, body, deadline);
        }
    }
}
