package dev.tokenkeeper.provider.vinted.upstream;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Reads a {@code Retry-After} header: delay seconds or an HTTP date. */
public final class RetryAfter {

    /** Longer requests are treated as a day: nothing sensible waits longer without a human. */
    static final Duration LONGEST = Duration.ofDays(1);

    private RetryAfter() {
    }

    /**
     * @param header the header value
     * @param now    the time the answer arrived
     * @return the delay (zero or more, at most a day), or empty when the value is neither form
     */
    public static Optional<Duration> parse(String header, Instant now) {
        String text = header.strip();
        Duration delay;
        try {
            delay = Duration.ofSeconds(Long.parseLong(text));
        } catch (NumberFormatException notSeconds) {
            try {
                delay = Duration.between(now, ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
        if (delay.isNegative()) {
            return Optional.of(Duration.ZERO);
        }
        return Optional.of(delay.compareTo(LONGEST) > 0 ? LONGEST : delay);
    }
}
