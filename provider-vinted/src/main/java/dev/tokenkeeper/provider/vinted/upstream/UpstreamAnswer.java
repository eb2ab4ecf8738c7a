package dev.tokenkeeper.provider.vinted.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.provider.vinted.session.SetCookie;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What Vinted answered to one request: status, cookies set, the (capped) body and when it arrived.
 * The body may hold secrets or personal data: it is read here, never logged or echoed.
 *
 * @param status      the HTTP status
 * @param setCookies  the {@code Set-Cookie} headers, parsed, in order
 * @param contentType the {@code Content-Type}, or empty
 * @param retryAfter  the {@code Retry-After} delay, if any
 * @param body        the body as text, at most {@link VintedHttp#BODY_LIMIT} bytes of it
 * @param receivedAt  when the answer arrived
 * @param location    the {@code Location} of a redirect, or empty
 */
public record UpstreamAnswer(int status,
                             List<SetCookie> setCookies,
                             String contentType,
                             Optional<Duration> retryAfter,
                             String body,
                             Instant receivedAt,
                             String location) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Copies the cookie list; rejects nulls. */
    public UpstreamAnswer {
        setCookies = List.copyOf(setCookies);
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(retryAfter, "retryAfter");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(receivedAt, "receivedAt");
        Objects.requireNonNull(location, "location");
    }

    /**
     * An answer that is not a redirect.
     *
     * @param status      the HTTP status
     * @param setCookies  the {@code Set-Cookie} headers
     * @param contentType the {@code Content-Type}
     * @param retryAfter  the {@code Retry-After} delay
     * @param body        the body
     * @param receivedAt  when it arrived
     */
    public UpstreamAnswer(int status, List<SetCookie> setCookies, String contentType, Optional<Duration> retryAfter,
                          String body, Instant receivedAt) {
        this(status, setCookies, contentType, retryAfter, body, receivedAt, "");
    }

    /** @return true for a redirect to DataDome's captcha ({@code captcha-delivery.com}): the anti-bot wall */
    public boolean redirectsToCaptcha() {
        if (status < 300 || status >= 400 || location.isBlank()) {
            return false;
        }
        try {
            String host = URI.create(location.strip()).getHost();
            return host != null && (host.equalsIgnoreCase("captcha-delivery.com")
                    || host.toLowerCase(Locale.ROOT).endsWith(".captcha-delivery.com"));
        } catch (IllegalArgumentException e) {
            return location.toLowerCase(Locale.ROOT).contains("captcha-delivery.com");
        }
    }

    /** @return true when the body is an anti-bot challenge page (DataDome's captcha, Cloudflare's challenge) */
    public boolean isChallengePage() {
        if (!isHtml()) {
            return false;
        }
        String lower = body.toLowerCase(Locale.ROOT);
        return lower.contains("captcha-delivery.com") || lower.contains("cf-chl") || lower.contains("challenge-platform");
    }

    /** @return the body as JSON, if it is JSON */
    public Optional<JsonNode> json() {
        String trimmed = body.strip();
        if (!(trimmed.startsWith("{") || trimmed.startsWith("["))) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(JSON.readTree(trimmed));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** @return the numeric {@code code} of a Vinted JSON error body ({@code 100}, {@code 106}), if any */
    public OptionalInt errorCode() {
        return json().map(node -> node.path("code"))
                .filter(JsonNode::canConvertToInt)
                .map(code -> OptionalInt.of(code.asInt()))
                .orElse(OptionalInt.empty());
    }

    /** @return the {@code message_code} of a Vinted JSON error body, if any */
    public Optional<String> messageCode() {
        return json().map(node -> node.path("message_code")).filter(JsonNode::isTextual).map(JsonNode::asText);
    }

    /** @return true when the body says the session is not authenticated ({@code code 100}) */
    public boolean invalidAuthentication() {
        return errorCode().orElse(-1) == 100 || messageCode().filter("invalid_authentication_token"::equals).isPresent();
    }

    /** @return true when the body complains about the CSRF token */
    public boolean mentionsCsrf() {
        return body.toLowerCase(Locale.ROOT).contains("csrf");
    }

    /** @return true when the body is an HTML page */
    public boolean isHtml() {
        return contentType.toLowerCase(Locale.ROOT).contains("html")
                || body.stripLeading().toLowerCase(Locale.ROOT).startsWith("<");
    }

    /**
     * @param name a cookie name
     * @return true when the answer set that cookie to a new value
     */
    public boolean sets(String name) {
        return setCookies.stream().anyMatch(cookie -> cookie.name().equals(name) && !cookie.deletes());
    }

    /** @return the status only; the body and cookies stay hidden */
    @Override
    public String toString() {
        return "UpstreamAnswer[" + status + ", " + setCookies.size() + " cookies set, body hidden]";
    }
}
