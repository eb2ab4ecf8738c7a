package dev.tokenkeeper.daemon.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.http.PlainHttp;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A {@code POST} of the event to a URL. Two body formats, chosen per URL:
 * <ul>
 *   <li>generic (default): every field of the event plus {@code text} and {@code content}, which
 *       Slack and Mattermost ({@code text}) and Discord ({@code content}) incoming webhooks take as
 *       they are;</li>
 *   <li>ntfy (host {@code ntfy.sh} or starting with {@code ntfy.}, or a URL written
 *       {@code ntfy+https://host/topic}): ntfy's JSON publishing, posted to the server's root with
 *       {@code topic} (the URL's path), {@code message}, {@code title}, {@code tags} and
 *       {@code priority}.</li>
 * </ul>
 * A user and password in the URL ({@code https://user:pass@host/...}, or {@code https://:tk_token@host/topic}
 * for an ntfy access token) are sent as HTTP Basic authentication, not in the URL.
 */
public final class WebhookChannel implements Channel {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The body formats. */
    public enum Format {
        /** The event's JSON, readable by Slack, Mattermost and Discord. */
        GENERIC,
        /** ntfy's JSON publishing. */
        NTFY
    }

    private final String name;
    private final URI uri;
    private final Format format;
    private final Duration timeout;
    /** Built at the first delivery: a JDK client starts its selector thread as soon as it is built. */
    private HttpClient http;
    private final Optional<String> authorization;

    /**
     * @param name    a stable name, e.g. {@code webhook-1}
     * @param url     the URL as configured (a {@code ntfy+} prefix picks the ntfy format)
     * @param timeout the longest a delivery may take
     * @throws IllegalArgumentException when the URL is not https, or http to this machine's loopback
     *                                  (the message shows it redacted only)
     */
    public WebhookChannel(String name, String url, Duration timeout) {
        this.name = name;
        String raw = url.trim();
        boolean ntfyPrefix = raw.regionMatches(true, 0, "ntfy+", 0, 5);
        URI parsed;
        try {
            parsed = URI.create(ntfyPrefix ? raw.substring(5) : raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TOKENKEEPER_NOTIFY_URL entry " + name + " is not a URL");
        }
        String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || parsed.getHost() == null) {
            throw new IllegalArgumentException("TOKENKEEPER_NOTIFY_URL entry " + name
                    + " must be an http:// or https:// URL with a host");
        }
        if (!PlainHttp.allowed(parsed)) {
            // The body names credentials and hosts, and a user and password in the URL go as Basic
            // authentication: the same rule as for upstream URLs.
            throw new IllegalArgumentException("TOKENKEEPER_NOTIFY_URL entry " + name + " (" + RedactedUrl.of(parsed)
                    + ") uses http:// to a host other than this machine: its credentials and events would travel in"
                    + " clear text; use https:// (http:// is accepted only for localhost, 127.0.0.1 and [::1])");
        }
        this.authorization = Optional.ofNullable(parsed.getUserInfo()).map(userInfo -> "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
        if (parsed.getRawUserInfo() != null) {
            // Only then rebuilt: everything else of the URL is sent exactly as written.
            parsed = URI.create(parsed.toString().replaceFirst("//" + Pattern.quote(parsed.getRawUserInfo()) + "@", "//"));
        }
        this.uri = parsed;
        String host = parsed.getHost().toLowerCase(Locale.ROOT);
        this.format = ntfyPrefix || host.equals("ntfy.sh") || host.startsWith("ntfy.") ? Format.NTFY : Format.GENERIC;
        if (format == Format.NTFY && topic().isEmpty()) {
            throw new IllegalArgumentException("TOKENKEEPER_NOTIFY_URL entry " + name
                    + " is an ntfy URL without a topic: write https://<server>/<topic>");
        }
        this.timeout = timeout;
    }

    /** @return the body format */
    public Format format() {
        return format;
    }

    @Override
    public String kind() {
        return "webhook";
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return name + " " + RedactedUrl.of(uri) + (format == Format.NTFY ? " (ntfy)" : "");
    }

    /**
     * @param notification the event
     * @return the body this channel posts
     */
    public String body(Notification notification) {
        if (format == Format.GENERIC) {
            return notification.toJson().toString();
        }
        ObjectNode ntfy = JSON.createObjectNode();
        ntfy.put("topic", topic());
        ntfy.put("title", "tokenkeeper: " + notification.event().wireName()
                + (notification.credential().isEmpty() ? "" : " " + notification.credential()));
        ntfy.put("message", notification.text());
        ntfy.putArray("tags").add(switch (notification.event()) {
            case RECOVERED -> "white_check_mark";
            case TEST -> "bell";
            case EXPIRING, FAILING -> "warning";
            default -> "rotating_light";
        });
        ntfy.put("priority", switch (notification.event()) {
            case REQUIRES_CONFIGURATION, EXPIRED -> 4;
            case RECOVERED, TEST -> 3;
            default -> 3;
        });
        return ntfy.toString();
    }

    /** @return where the body is posted: the URL itself, or for ntfy the server's root */
    URI target() {
        return format == Format.GENERIC ? uri : uri.resolve("/");
    }

    private String topic() {
        String path = uri.getPath() == null ? "" : uri.getPath();
        return path.replaceAll("^/+|/+$", "");
    }

    @Override
    public Delivery deliver(Notification notification) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(target())
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", "tokenkeeper")
                .POST(HttpRequest.BodyPublishers.ofString(body(notification)));
        authorization.ifPresent(value -> builder.header("Authorization", value));
        HttpRequest request = builder.build();
        try {
            HttpResponse<Void> response = client().send(request, HttpResponse.BodyHandlers.discarding());
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return new Delivery.Delivered("HTTP " + status);
            }
            if (status == 408 || status == 429 || status >= 500) {
                return new Delivery.Retry("HTTP " + status);
            }
            return new Delivery.Failed("HTTP " + status + " (check the URL)");
        } catch (HttpTimeoutException e) {
            return new Delivery.Retry("no answer within " + timeout.toSeconds() + " s");
        } catch (ConnectException e) {
            return new Delivery.Retry("cannot connect to " + RedactedUrl.of(uri));
        } catch (IOException e) {
            String message = RedactedUrl.scrub(e.getMessage(), uri);
            return new Delivery.Retry(e.getClass().getSimpleName() + (message.isBlank() ? "" : ": " + message));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Delivery.Retry("interrupted");
        }
    }

    /** @return the redacted description */
    @Override
    public String toString() {
        return describe();
    }

    private synchronized HttpClient client() {
        if (http == null) {
            http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                    .followRedirects(HttpClient.Redirect.NEVER).build();
        }
        return http;
    }
}
