package dev.tokenkeeper.api.http;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads a {@code Retry-After} header (RFC 9110, section 10.2.3): delay-seconds (ASCII digits) or an
 * HTTP date. A date in the past means now; anything else (a sign, a fraction, words) is ignored, as
 * if the header were absent. A wait longer than {@link #LONGEST} is cut to it.
 */
public final class RetryAfter {

    /**
     * The longest wait taken from an upstream: a day. The daemon honours {@code Retry-After} even past
     * its own back-off cap, so the header alone decides when a credential is tried again; a day is
     * longer than any rate-limit window an upstream really asks for, yet one wrong or hostile header
     * (a year, a date far ahead) cannot park a credential past its expiry without a failure a human sees.
     */
    public static final Duration LONGEST = Duration.ofDays(1);

    private static final Pattern SECONDS = Pattern.compile("[0-9]+");
    /** More digits than this is more than a day whatever they say, and would overflow a {@code long}. */
    private static final int MAX_DIGITS = 18;

    private RetryAfter() {
    }

    /**
     * @param headers an answer's headers
     * @param now     the time the answer arrived, to turn an HTTP date into a wait
     * @return how long to wait (zero to {@link #LONGEST}); empty when absent or unreadable
     */
    public static Optional<Duration> of(HttpHeaders headers, Instant now) {
        return headers.firstValue("Retry-After").flatMap(value -> parse(value, now));
    }

    /**
     * @param value the header's value
     * @param now   the time the answer arrived, to turn an HTTP date into a wait
     * @return how long to wait (zero to {@link #LONGEST}); empty when the value is neither form
     */
    public static Optional<Duration> parse(String value, Instant now) {
        String text = value.strip();
        Duration wait;
        if (SECONDS.matcher(text).matches()) {
            wait = text.length() > MAX_DIGITS ? LONGEST : Duration.ofSeconds(Long.parseLong(text));
        } else {
            try {
                wait = Duration.between(now, ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        if (wait.isNegative()) {
            return Optional.of(Duration.ZERO);
        }
        return Optional.of(wait.compareTo(LONGEST) > 0 ? LONGEST : wait);
    }
}
