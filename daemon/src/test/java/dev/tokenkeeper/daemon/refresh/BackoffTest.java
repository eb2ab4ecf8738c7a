package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.daemon.config.RefreshPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private final Backoff backoff = new Backoff(new RefreshPolicy(Duration.ofSeconds(60), Duration.ofSeconds(300),
            Duration.ofSeconds(30), Duration.ofSeconds(900), Duration.ofSeconds(1), Duration.ofSeconds(120)), new Random(3));

    @Test
    void delaysGrowAndStayUnderTheCap() {
        for (int failures = 1; failures <= 12; failures++) {
            long ceiling = Math.min(900_000, 30_000L << (failures - 1));
            Duration delay = backoff.delay(failures, Optional.empty(), NOW, Optional.empty());
            assertTrue(delay.toMillis() >= ceiling / 2 && delay.toMillis() <= ceiling,
                    "attempt " + failures + ": " + delay + " not in [" + ceiling / 2 + ", " + ceiling + "] ms");
        }
    }

    @Test
    void retriesBeforeTheTokenExpires() {
        Duration delay = backoff.delay(10, Optional.empty(), NOW, Optional.of(NOW.plusSeconds(100)));
        assertTrue(delay.compareTo(Duration.ofSeconds(50)) <= 0, delay.toString());
    }

    @Test
    void honoursRetryAfterEvenBeyondTheCap() {
        assertEquals(Duration.ofHours(1), backoff.delay(1, Optional.of(Duration.ofHours(1)), NOW, Optional.empty()));
    }

    @Test
    void neverShorterThanTheMinimumInterval() {
        Duration delay = backoff.delay(1, Optional.empty(), NOW, Optional.of(NOW.plusMillis(10)));
        assertEquals(Duration.ofSeconds(1), delay);
    }

    @Test
    void theLongestDrawReachesTheCeilingItself() {
        Backoff highest = new Backoff(backoff.policy(), new HighestDraw());
        assertEquals(Duration.ofSeconds(30), highest.delay(1, Optional.empty(), NOW, Optional.empty()));
        assertEquals(Duration.ofSeconds(60), highest.delay(2, Optional.empty(), NOW, Optional.empty()));
    }

    @Test
    void aTokenExpiringThisMomentDoesNotCutTheDelay() {
        // Nothing is left to save: the plain backoff applies, not half of no time (the minimum interval).
        Duration delay = backoff.delay(1, Optional.empty(), NOW, Optional.of(NOW));
        assertTrue(delay.compareTo(Duration.ofSeconds(15)) >= 0, delay.toString());
    }
}
