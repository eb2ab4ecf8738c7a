package dev.tokenkeeper.api.http;

import java.net.URI;
import java.util.Locale;

/**
 * Whether a configured URL may use clear-text {@code http://}: only towards this machine's
 * loopback interface (a local imitation, a sidecar proxy). Anything else carries tokens and must
 * use {@code https://}. Host names are compared literally, never resolved, so a name that a DNS
 * server points at 127.0.0.1 does not qualify.
 */
public final class PlainHttp {

    private PlainHttp() {
    }

    /**
     * @param uri an absolute URL
     * @return true for {@code https}, and for {@code http} to {@code localhost}, {@code 127.0.0.0/8}
     *         or {@code [::1]}; false otherwise
     */
    public static boolean allowed(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https")) {
            return true;
        }
        return scheme.equals("http") && isLoopback(uri.getHost());
    }

    /**
     * @param host a host as written in a URL, possibly null
     * @return whether it names the loopback interface literally
     */
    public static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
                || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }
}
