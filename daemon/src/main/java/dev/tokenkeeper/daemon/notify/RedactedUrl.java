package dev.tokenkeeper.daemon.notify;

import java.net.URI;

/**
 * A webhook URL as it may be shown: scheme, host and port only. Slack's, Discord's and ntfy's URLs
 * carry their secret in the path (or a user and password, or the query), so all of those are hidden.
 */
final class RedactedUrl {

    private RedactedUrl() {
    }

    static String of(URI uri) {
        String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
        boolean more = (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
                || uri.getRawQuery() != null || uri.getRawFragment() != null;
        return uri.getScheme() + "://" + uri.getHost() + port + (more ? "/***" : "/");
    }

    /** Removes every spelling of the URL (and its path) from a message that may quote it. */
    static String scrub(String message, URI uri) {
        if (message == null) {
            return "";
        }
        String out = message.replace(uri.toString(), of(uri));
        if (uri.getRawPath() != null && uri.getRawPath().length() > 1) {
            out = out.replace(uri.getRawPath(), "/***");
        }
        return out.length() > 200 ? out.substring(0, 200) + "..." : out;
    }
}
