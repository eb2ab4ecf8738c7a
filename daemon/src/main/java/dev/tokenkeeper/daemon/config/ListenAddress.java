package dev.tokenkeeper.daemon.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the control API listens, from {@code TOKENKEEPER_LISTEN}: {@code host:port}, or
 * {@code unix:<path>} for a Unix domain socket (then host is {@code localhost}, the name clients such
 * as {@code curl --unix-socket} send in {@code Host}, and port is 0).
 *
 * @param host   the host or address to bind
 * @param port   the TCP port (0 picks a free one)
 * @param socket the Unix-domain-socket file, or null for TCP
 */
public record ListenAddress(String host, int port, Path socket) {

    /** The prefix of the Unix-domain-socket form. */
    public static final String UNIX_PREFIX = "unix:";

    /**
     * @param host the host or address to bind
     * @param port the TCP port
     */
    public ListenAddress(String host, int port) {
        this(host, port, null);
    }

    /** The default: loopback only. */
    public static final ListenAddress DEFAULT = new ListenAddress("127.0.0.1", 8787);

    /**
     * @param text {@code host:port}, {@code [v6]:port} or {@code :port}
     * @return the address
     * @throws ConfigurationException when it cannot be read
     */
    public static ListenAddress parse(String text) {
        if (text.startsWith(UNIX_PREFIX)) {
            String path = text.substring(UNIX_PREFIX.length());
            if (path.isEmpty() || !path.startsWith("/")) {
                throw new ConfigurationException("TOKENKEEPER_LISTEN='" + text
                        + "' needs an absolute socket path, e.g. unix:/run/tokenkeeper/tokenkeeper.sock");
            }
            return new ListenAddress("localhost", 0, Path.of(path).normalize());
        }
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigurationException("TOKENKEEPER_LISTEN='" + text + "' needs host:port, e.g. 127.0.0.1:8787");
        }
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new ListenAddress(host.isEmpty() ? "127.0.0.1" : host, port);
        } catch (NumberFormatException e) {
            throw new ConfigurationException("TOKENKEEPER_LISTEN='" + text + "' has no valid port (0-65535)");
        }
    }

    /** @return the socket file when this is a Unix-domain-socket address */
    public Optional<Path> unixSocket() {
        return Optional.ofNullable(socket);
    }

    /** @return {@code unix:<path>} or {@code host:port}, as written in {@code TOKENKEEPER_LISTEN} */
    public String display() {
        return socket != null ? UNIX_PREFIX + socket : host + ":" + port;
    }

    /** @return true when the host resolves to a loopback address only */
    public boolean isLoopback() {
        if (socket != null) {
            return true;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** @return the base URL a client on this machine uses */
    public String baseUrl() {
        String h = host.equals("0.0.0.0") ? "127.0.0.1" : host.equals("::") ? "[::1]" : host.contains(":") ? "[" + host + "]" : host;
        return "http://" + h + ":" + port;
    }
}
