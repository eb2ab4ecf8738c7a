package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.refresh.CredentialNotFoundException;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import io.javalin.config.RoutesConfig;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.tokenkeeper.daemon.http.Requests.json;
import static dev.tokenkeeper.daemon.http.Requests.printable;

/**
 * {@code GET /api/v1/report}: per credential, refreshes, failures and success rate over a window.
 *
 * @param credentials the credential operations
 */
record ReportRoutes(CredentialService credentials) implements RouteGroup {

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/api/v1/report", ctx -> json(ctx, report(ctx.queryParam("since"))));
    }

    /**
     * One credential's line of {@code GET /api/v1/report}.
     *
     * @param id                the credential
     * @param status            its status now
     * @param refreshes         successful refreshes in the window
     * @param failures          failed refreshes in the window (transient + permanent)
     * @param transientFailures failures a retry may fix
     * @param permanentFailures failures that need a human
     * @param rejected          tokens found rejected (validation or a consumer's 401)
     * @param imports           imports in the window
     * @param successRate       refreshes / (refreshes + failures), null when there was no attempt
     * @param lastError         the newest failure's detail in the window, else the credential's last error
     * @param lastErrorAt       when that failure happened, if in the window
     * @param lastRefreshAt     the newest refresh in the window, else the credential's last refresh or import
     * @param truncated         true when the window held more events than were read
     */
    record CredentialReport(String id, String status, int refreshes, int failures, int transientFailures,
                            int permanentFailures, int rejected, int imports, Double successRate, String lastError,
                            Instant lastErrorAt, Instant lastRefreshAt, boolean truncated) {
    }

    /** The answer of {@code GET /api/v1/report}. */
    record ReportView(Instant since, Instant until, List<CredentialReport> credentials) {
    }

    /** The most history events read per credential for a report. */
    private static final int REPORT_EVENT_LIMIT = 100_000;

    private ReportView report(String sinceText) {
        Instant until = credentials.clock().instant();
        Instant since = since(sinceText == null || sinceText.isBlank() ? "7d" : sinceText.strip(), until);
        List<CredentialReport> lines = new ArrayList<>();
        for (StoredCredential credential : credentials.all()) {
            List<RefreshEvent> events;
            try {
                events = credentials.history(credential.id(), since, REPORT_EVENT_LIMIT);
            } catch (CredentialNotFoundException deletedMeanwhile) {
                continue;
            }
            int refreshes = 0;
            int transientFailures = 0;
            int permanentFailures = 0;
            int rejected = 0;
            int imports = 0;
            String lastError = null;
            Instant lastErrorAt = null;
            Instant lastRefreshAt = null;
            for (RefreshEvent event : events) {
                switch (event.outcome()) {
                    case REFRESHED -> {
                        refreshes++;
                        lastRefreshAt = event.at();
                    }
                    case TRANSIENT_FAILURE, PERMANENT_FAILURE -> {
                        if (event.outcome() == RefreshOutcome.TRANSIENT_FAILURE) {
                            transientFailures++;
                        } else {
                            permanentFailures++;
                        }
                        lastError = event.detail();
                        lastErrorAt = event.at();
                    }
                    case REJECTED -> rejected++;
                    case IMPORTED -> imports++;
                    default -> {
                        // Validations are not refresh attempts.
                    }
                }
            }
            int failures = transientFailures + permanentFailures;
            Double rate = refreshes + failures == 0 ? null : (double) refreshes / (refreshes + failures);
            lines.add(new CredentialReport(credential.id().toString(), credential.status().wireName(), refreshes, failures,
                    transientFailures, permanentFailures, rejected, imports, rate,
                    lastError != null ? lastError : credential.lastError().orElse(null), lastErrorAt,
                    lastRefreshAt != null ? lastRefreshAt : credential.lastRefreshAt().orElse(null),
                    events.size() >= REPORT_EVENT_LIMIT));
        }
        return new ReportView(since, until, lines);
    }

    /** @return the start of a report window: an ISO instant, an ISO duration, or {@code 7d}, {@code 12h}, {@code 30m}, {@code 2w} */
    static Instant since(String text, Instant now) {
        Matcher windowMatch = Pattern.compile("(\\d{1,6})([smhdw])").matcher(text);
        try {
            if (windowMatch.matches()) {
                long amount = Long.parseLong(windowMatch.group(1));
                Duration window = switch (windowMatch.group(2)) {
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    case "d" -> Duration.ofDays(amount);
                    default -> Duration.ofDays(amount * 7);
                };
                return now.minus(window);
            }
            if (text.startsWith("P") || text.startsWith("p")) {
                return now.minus(Duration.parse(text));
            }
            return Instant.parse(text);
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new ApiException(400, "bad_request", "since must be a window such as 7d, 12h, 30m or 2w, or an"
                    + " ISO-8601 instant such as 2026-01-01T00:00:00Z, not '" + printable(text) + "'");
        }
    }
}
