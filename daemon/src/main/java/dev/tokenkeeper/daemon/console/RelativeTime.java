package dev.tokenkeeper.daemon.console;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.LocalDateTime;
import java.util.Optional;

/** Times as people read them: {@code 2026-11-25 23:40 UTC (in 1 h 12 min)}. */
final class RelativeTime {

    private RelativeTime() {
    }

    /** @return {@code 2026-11-25 23:40:00 UTC} */
    static String absolute(Instant at) {
        return format(at, ' ', " UTC");
    }

    /** @return {@code 2026-11-25T23:40:00Z}, whole seconds, for {@code datetime} attributes and scripts */
    static String iso(Instant at) {
        return format(at, 'T', "Z");
    }

    // By hand rather than with DateTimeFormatter: an overview formats a few hundred times per page,
    // and the formatter was most of the page's cost.
    private static String format(Instant at, char separator, String suffix) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(at.getEpochSecond(), 0, ZoneOffset.UTC);
        StringBuilder out = new StringBuilder(24);
        int year = t.getYear();
        if (year < 1000 || year > 9999) {
            return at.toString();
        }
        out.append(year).append('-');
        pad(out, t.getMonthValue()).append('-');
        pad(out, t.getDayOfMonth()).append(separator);
        pad(out, t.getHour()).append(':');
        pad(out, t.getMinute()).append(':');
        pad(out, t.getSecond());
        return out.append(suffix).toString();
    }

    private static StringBuilder pad(StringBuilder out, int value) {
        return out.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }

    /** @return "in 1 h 12 min", "3 min ago", "now" */
    static String relative(Instant at, Instant now) {
        Duration d = Duration.between(now, at);
        boolean future = !d.isNegative();
        String span = span(d.abs());
        if (span.isEmpty()) {
            return "now";
        }
        return future ? "in " + span : span + " ago";
    }

    static String both(Optional<Instant> at, Instant now, String whenUnknown) {
        return at.map(t -> absolute(t) + " (" + relative(t, now) + ")").orElse(whenUnknown);
    }

    static String span(Duration d) {
        long seconds = d.toSeconds();
        long days = seconds / 86_400;
        long hours = seconds % 86_400 / 3600;
        long minutes = seconds % 3600 / 60;
        if (days > 0) {
            return days + " d" + (hours > 0 ? " " + hours + " h" : "");
        }
        if (hours > 0) {
            return hours + " h" + (minutes > 0 ? " " + minutes + " min" : "");
        }
        if (minutes > 0) {
            return minutes + " min";
        }
        return seconds > 0 ? seconds + " s" : "";
    }
}
