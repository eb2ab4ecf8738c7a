package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.StoredCredential;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A credential's last seven days as an SVG drawn on the server: one lane each for refreshes
 * (circles), failures (crosses) and expiries (triangles: a consumer's 401, or the access token
 * running out), so the picture reads without colour. A text summary goes with it.
 */
final class HistoryChart {

    static final Duration WINDOW = Duration.ofDays(7);
    private static final int WIDTH = 700;
    private static final int LEFT = 80;
    private static final int RIGHT = 10;
    private static final int HEIGHT = 130;
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("EEE d").withZone(ZoneOffset.UTC)
            .withLocale(Locale.ENGLISH);

    /** How an event is drawn. */
    enum Lane {
        REFRESH("refreshes", 30), FAILURE("failures", 62), EXPIRY("expiries", 94);

        final String label;
        final int y;

        Lane(String label, int y) {
            this.label = label;
            this.y = y;
        }
    }

    /** One mark on the chart. */
    record Mark(Instant at, Lane lane, String what) {
    }

    private HistoryChart() {
    }

    static List<Mark> marks(StoredCredential credential, List<RefreshEvent> events, Instant now) {
        List<Mark> marks = new ArrayList<>();
        Instant from = now.minus(WINDOW);
        for (RefreshEvent e : events) {
            if (e.at().isBefore(from) || e.at().isAfter(now)) {
                continue;
            }
            Lane lane = lane(e.outcome());
            if (lane != null) {
                marks.add(new Mark(e.at(), lane, e.outcome().wireName()));
            }
        }
        credential.accessExpiresAt().filter(t -> !t.isBefore(from) && !t.isAfter(now))
                .ifPresent(t -> marks.add(new Mark(t, Lane.EXPIRY, "access token expired")));
        return marks;
    }

    private static Lane lane(RefreshOutcome outcome) {
        return switch (outcome) {
            case REFRESHED, IMPORTED -> Lane.REFRESH;
            case TRANSIENT_FAILURE, PERMANENT_FAILURE -> Lane.FAILURE;
            case REJECTED -> Lane.EXPIRY;
            case VALIDATED -> null;
        };
    }

    static void render(Html html, List<Mark> marks, Instant now) {
        long refreshes = marks.stream().filter(m -> m.lane() == Lane.REFRESH).count();
        long failures = marks.stream().filter(m -> m.lane() == Lane.FAILURE).count();
        long expiries = marks.stream().filter(m -> m.lane() == Lane.EXPIRY).count();
        String summary = refreshes + " refreshes, " + failures + " failures, " + expiries + " expiries in the last 7 days";
        Instant from = now.minus(WINDOW);
        html.raw("<figure class=\"chart\"><svg role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 ")
                .text(WIDTH).raw(" ").text(HEIGHT).raw("\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">")
                .raw("<title id=\"chart-title\">").text(summary).raw("</title>");
        for (int day = 0; day <= 7; day++) {
            Instant t = from.plus(Duration.ofDays(day));
            int x = x(t, from);
            html.raw("<line class=\"grid\"").attr("x1", x).attr("x2", x).raw(" y1=\"12\" y2=\"108\"/>");
            if (day < 7) {
                html.raw("<text class=\"axis\"").attr("x", x + 2).raw(" y=\"124\">").text(DAY.format(t)).raw("</text>");
            }
        }
        for (Lane lane : Lane.values()) {
            html.raw("<text class=\"lane\" x=\"4\"").attr("y", lane.y + 4).raw(">").text(lane.label).raw("</text>");
            html.raw("<line class=\"lane-line\"").attr("x1", LEFT).attr("x2", WIDTH - RIGHT)
                    .attr("y1", lane.y).attr("y2", lane.y).raw("/>");
        }
        for (Mark mark : marks) {
            int x = x(mark.at(), from);
            int y = mark.lane().y;
            String title = mark.what() + " at " + RelativeTime.absolute(mark.at());
            switch (mark.lane()) {
                case REFRESH -> html.raw("<circle class=\"mark refresh\"").attr("cx", x).attr("cy", y).raw(" r=\"4\">");
                case FAILURE -> html.raw("<path class=\"mark failure\"").attr("d", "M" + (x - 4) + " " + (y - 4) + " L"
                        + (x + 4) + " " + (y + 4) + " M" + (x - 4) + " " + (y + 4) + " L" + (x + 4) + " " + (y - 4)).raw(">");
                case EXPIRY -> html.raw("<path class=\"mark expiry\"").attr("d", "M" + x + " " + (y - 5) + " L" + (x + 5)
                        + " " + (y + 4) + " L" + (x - 5) + " " + (y + 4) + " Z").raw(">");
            }
            html.raw("<title>").text(title).raw("</title>")
                    .raw(mark.lane() == Lane.REFRESH ? "</circle>" : "</path>");
        }
        html.raw("</svg><figcaption>").text(summary).raw("</figcaption></figure>");
    }

    private static int x(Instant t, Instant from) {
        double fraction = (double) Duration.between(from, t).toMillis() / WINDOW.toMillis();
        return LEFT + (int) Math.round(Math.max(0, Math.min(1, fraction)) * (WIDTH - LEFT - RIGHT));
    }
}
