package dev.tokenkeeper.daemon.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@code since} of {@code GET /api/v1/report}. */
class ReportWindowTest {

    private static final Instant NOW = Instant.parse("2026-03-10T12:00:00Z");

    @Test
    void acceptsShortWindowsIsoDurationsAndInstants() {
        assertEquals(NOW.minus(Duration.ofDays(7)), ReportRoutes.since("7d", NOW));
        assertEquals(NOW.minus(Duration.ofHours(12)), ReportRoutes.since("12h", NOW));
        assertEquals(NOW.minus(Duration.ofMinutes(30)), ReportRoutes.since("30m", NOW));
        assertEquals(NOW.minus(Duration.ofDays(14)), ReportRoutes.since("2w", NOW));
        assertEquals(NOW.minus(Duration.ofHours(1)), ReportRoutes.since("PT1H", NOW));
        assertEquals(Instant.parse("2026-01-01T00:00:00Z"), ReportRoutes.since("2026-01-01T00:00:00Z", NOW));
    }

    @Test
    void rejectsAnythingElseWithA400() {
        ApiException e = assertThrows(ApiException.class, () -> ReportRoutes.since("last week", NOW));
        assertEquals(400, e.status());
    }
}
