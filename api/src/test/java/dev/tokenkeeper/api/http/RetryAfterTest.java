package dev.tokenkeeper.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** {@link RetryAfter}: both forms of RFC 9110, junk, and the one-day cap. */
class RetryAfterTest {

    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

    @Test
    void readsSeconds() {
        assertEquals(Optional.of(Duration.ofSeconds(120)), RetryAfter.parse(" 120 ", NOW));
        assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("0", NOW));
    }

    @Test
    void readsAnHttpDate() {
        assertEquals(Optional.of(Duration.ofSeconds(90)), RetryAfter.parse("Sat, 01 Mar 2025 12:01:30 GMT", NOW));
    }

    @Test
    void aDateInThePastMeansNow() {
        assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("Sat, 01 Mar 2025 11:00:00 GMT", NOW));
    }

    @Test
    void junkIsIgnored() {
        assertEquals(Optional.empty(), RetryAfter.parse("soon", NOW));
        assertEquals(Optional.empty(), RetryAfter.parse("-5", NOW));
        assertEquals(Optional.empty(), RetryAfter.parse("+5", NOW));
        assertEquals(Optional.empty(), RetryAfter.parse("1.5", NOW));
        assertEquals(Optional.empty(), RetryAfter.parse("", NOW));
        assertEquals(Optional.empty(), RetryAfter.parse("\u0661\u0662\u0660", NOW), "digits other than ASCII");
    }

    @Test
    void aWaitLongerThanADayIsCutToADay() {
        assertEquals(Optional.of(Duration.ofDays(1)), RetryAfter.parse("86400", NOW));
        assertEquals(Optional.of(Duration.ofDays(1)), RetryAfter.parse("86401", NOW));
        assertEquals(Optional.of(Duration.ofDays(1)), RetryAfter.parse("99999999", NOW));
        assertEquals(Optional.of(Duration.ofDays(1)), RetryAfter.parse("99999999999999999999", NOW),
                "past a long: still a wait, cut to a day");
        assertEquals(Optional.of(Duration.ofDays(1)), RetryAfter.parse("Thu, 01 Mar 2035 12:00:00 GMT", NOW));
    }

    @Test
    void readsTheHeaderOfAnAnswer() {
        HttpHeaders headers = HttpHeaders.of(Map.of("retry-after", List.of("30")), (name, value) -> true);
        assertEquals(Optional.of(Duration.ofSeconds(30)), RetryAfter.of(headers, NOW));
        assertEquals(Optional.empty(), RetryAfter.of(HttpHeaders.of(Map.of(), (name, value) -> true), NOW));
    }
}
