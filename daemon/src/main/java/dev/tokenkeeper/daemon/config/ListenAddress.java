package dev.tokenkeeper.daemon.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Where the control API listens, from {@code TOKENKEEPER_LISTEN} ({@code host:port}).
 *
 * @param host the host or address to bind
 * @param port the TCP port (0 picks a free one)
 */
public record ListenAddress(String host, int port) {

    /** The default: loopback only. */
    public static final ListenAddress DEFAULT = new ListenAddress("127.0.0.1", 8787);

    /**
     * @param text {@code host:port}, {@code [v6]:port} or {@code :port}
     * @return the address
     * @throws ConfigurationException when it cannot be read
     */
    public static ListenAddress parse(String text) {
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

    /** @return true when the host resolves to a loopback address only */
    public boolean isLoopback() {
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
