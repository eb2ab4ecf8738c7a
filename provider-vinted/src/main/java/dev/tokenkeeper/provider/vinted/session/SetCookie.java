package dev.tokenkeeper.provider.vinted.session;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code Set-Cookie} response header, reduced to what a session needs: the name, the value, and
 * whether it deletes the cookie ({@code Max-Age=0}, an {@code Expires} in the past, or an empty value).
 * Path, domain and flags are ignored: every cookie comes from the one Vinted site.
 *
 * @param name    the cookie name
 * @param value   the new value (empty for a deletion)
 * @param deletes true when the header removes the cookie
 */
public record SetCookie(String name, String value, boolean deletes) {

    /** Rejects nulls. */
    public SetCookie {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }

    /**
     * Parses a {@code Set-Cookie} header value.
     *
     * @param header the header value, e.g. {@code access_token_web=eyJ...; Path=/; Max-Age=7200; HttpOnly}
     * @param now    the time against which {@code Expires} is compared
     * @return the cookie, or empty when the header has no {@code name=value} pair
     */
    public static Optional<SetCookie> parse(String header, Instant now) {
        String[] parts = header.split(";");
        int eq = parts[0].indexOf('=');
        if (eq <= 0) {
            return Optional.empty();
        }
        String name = parts[0].substring(0, eq).trim();
        String value = parts[0].substring(eq + 1).trim();
        if (name.isEmpty()) {
            return Optional.empty();
        }
        Optional<Long> maxAge = Optional.empty();
        Optional<Instant> expires = Optional.empty();
        for (int i = 1; i < parts.length; i++) {
            String attribute = parts[i].trim();
            int aeq = attribute.indexOf('=');
            String key = (aeq < 0 ? attribute : attribute.substring(0, aeq)).trim().toLowerCase(Locale.ROOT);
            String argument = aeq < 0 ? "" : attribute.substring(aeq + 1).trim();
            if (key.equals("max-age")) {
                maxAge = seconds(argument);
            } else if (key.equals("expires")) {
                expires = date(argument);
            }
        }
        // Max-Age wins over Expires (RFC 6265 section 5.3).
        boolean deletes = value.isEmpty()
                || (maxAge.isPresent() ? maxAge.get() <= 0 : expires.filter(at -> !at.isAfter(now)).isPresent());
        return Optional.of(new SetCookie(name, deletes ? "" : value, deletes));
    }

    /** @return the name only, never the value */
    @Override
    public String toString() {
        return "SetCookie[" + name + (deletes ? ", deletes" : ", value hidden") + "]";
    }

    private static Optional<Long> seconds(String argument) {
        try {
            return Optional.of(Long.parseLong(argument));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> date(String text) {
        // RFC 1123, and the older "Thu, 01-Jan-1970 00:00:00 GMT" form some servers still send.
        try {
            return Optional.of(ZonedDateTime.parse(text.replace('-', ' '), DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
