package dev.tokenkeeper.provider.gazelle.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reads a {@code Retry-After} header: a number of seconds or an HTTP date (RFC 9110). */
public final class RetryAfter {

    private static final Pattern SECONDS = Pattern.compile("\\d{1,9}");

    private RetryAfter() {
    }

    /**
     * @param response the upstream's answer
     * @param now      the current time, to turn an HTTP date into a wait
     * @return how long to wait; zero for a date in the past; empty when absent or unreadable
     */
    public static Optional<Duration> of(UpstreamResponse response, Instant now) {
        return response.header("Retry-After").flatMap(value -> parse(value, now));
    }

    /**
     * @param value the header value
     * @param now   the current time
     * @return how long to wait; zero for a date in the past; empty when unreadable
     */
    public static Optional<Duration> parse(String value, Instant now) {
        String text = value.strip();
        if (SECONDS.matcher(text).matches()) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(text)));
        }
        try {
            Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration wait = Duration.between(now, at);
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
