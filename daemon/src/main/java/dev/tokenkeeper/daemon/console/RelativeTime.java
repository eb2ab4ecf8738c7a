package dev.tokenkeeper.daemon.console;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/** Times as people read them: {@code 2026-11-25 23:40 UTC (in 1 h 12 min)}. */
final class RelativeTime {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private RelativeTime() {
    }

    static String absolute(Instant at) {
        return TIME.format(at);
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
