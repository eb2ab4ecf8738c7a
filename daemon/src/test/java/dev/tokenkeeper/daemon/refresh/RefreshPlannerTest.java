package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.config.RefreshPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RefreshPlannerTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final RefreshPolicy POLICY = new RefreshPolicy(Duration.ofSeconds(60), Duration.ofSeconds(300),
            Duration.ofSeconds(30), Duration.ofSeconds(900), Duration.ofSeconds(1), Duration.ofSeconds(120));

    private static StoredCredential credential(Duration access, Optional<Duration> refresh) {
        return new StoredCredential(new CredentialId("gazelle", "a"), CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {1}),
                T0, Optional.of(T0.plus(access)), refresh.map(T0::plus), 1, Optional.of(T0), Optional.empty(), T0);
    }

    @Test
    void vintedSessionIsRefreshedTenPercentBeforeTheAccessTokenExpires() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(1));
        StoredCredential vinted = credential(Duration.ofHours(2), Optional.of(Duration.ofDays(7)));
        assertEquals(T0.plus(Duration.ofMinutes(108)), planner.dueAt(vinted, Duration.ofDays(1)));
    }

    @Test
    void keepAliveWinsForLongLivedTokens() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(1));
        StoredCredential gazelle = credential(Duration.ofDays(30), Optional.empty());
        assertEquals(T0.plus(Duration.ofDays(1)), planner.dueAt(gazelle, Duration.ofDays(1)));
    }

    @Test
    void marginIsAtLeastTheMinimumButNeverMoreThanHalfTheLifetime() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(1));
        assertEquals(T0.plus(Duration.ofSeconds(240)), planner.dueAt(credential(Duration.ofSeconds(300), Optional.empty()),
                Duration.ofDays(1)), "10% of 300 s is below the 60 s minimum");
        assertEquals(T0.plus(Duration.ofSeconds(2)), planner.dueAt(credential(Duration.ofSeconds(4), Optional.empty()),
                Duration.ofDays(1)), "a 4 s token is refreshed at half its life, not in a loop");
    }

    @Test
    void theMarginIsExactToTheNanosecondAndHoldsForLifetimesBeyondALongOfNanoseconds() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(1));
        StoredCredential odd = credential(Duration.ofSeconds(1000).plusNanos(7), Optional.empty());
        assertEquals(T0.plus(Duration.ofSeconds(900).plusNanos(7)), planner.dueAt(odd, Duration.ofDays(1)),
                "10% of 1000 s + 7 ns is 100 s, rounded toward zero");
        // 1,000 years of nanoseconds do not fit in a long (292 years do).
        Duration millennium = Duration.ofDays(365_000);
        StoredCredential lasting = credential(millennium, Optional.empty());
        assertEquals(T0.plus(millennium.minus(millennium.dividedBy(10))),
                planner.dueAt(lasting, millennium.multipliedBy(2)));
    }

    @Test
    void jitterOnlyMovesEarlierAndStaysWithinFivePercent() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(7));
        StoredCredential c = credential(Duration.ofHours(2), Optional.empty());
        Instant due = planner.dueAt(c, Duration.ofDays(1));
        for (int i = 0; i < 1000; i++) {
            Instant planned = planner.plan(c, Duration.ofDays(1));
            assertFalse(planned.isAfter(due));
            assertTrue(Duration.between(planned, due).compareTo(Duration.ofMinutes(108).dividedBy(20)) <= 0);
            assertTrue(planner.isDue(c, Duration.ofDays(1), planned), "a trigger fired at its plan is due");
        }
        assertFalse(planner.isDue(c, Duration.ofDays(1), T0.plus(Duration.ofMinutes(90))));
    }

    /** Vinted's defaults: a 900 s anti-bot pause, two retries. */
    private static final dev.tokenkeeper.api.RefreshTiming VINTED = new dev.tokenkeeper.api.RefreshTiming(
            Duration.ofSeconds(900), 2, Duration.ofSeconds(60));

    @Test
    void aProviderWithAFailurePauseIsRefreshedEarlyEnoughForTwoPausedRetries() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(1));
        StoredCredential vinted = credential(Duration.ofHours(2), Optional.of(Duration.ofDays(7)));
        // Three pauses before expiry: the first attempt, two retries, and a pause of room for the last one.
        assertEquals(T0.plus(Duration.ofMinutes(75)), planner.dueAt(vinted, Duration.ofDays(1), VINTED));
        // The default timing keeps the old margin (10%).
        assertEquals(T0.plus(Duration.ofMinutes(108)), planner.dueAt(vinted, Duration.ofDays(1),
                dev.tokenkeeper.api.RefreshTiming.DEFAULT));
        // Never earlier than half the lifetime; the minimum margin still applies.
        StoredCredential shortLived = credential(Duration.ofMinutes(20), Optional.empty());
        assertEquals(T0.plus(Duration.ofMinutes(10)), planner.dueAt(shortLived, Duration.ofDays(1), VINTED));
    }

    @Test
    void twoBlockedAttemptsInARowAtThePlannedRefreshStillLeaveATokenThatHasNotExpired() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(3));
        Backoff backoff = new Backoff(POLICY, new Random(3));
        StoredCredential vinted = credential(Duration.ofHours(2), Optional.of(Duration.ofDays(7)));
        Instant expiry = vinted.accessExpiresAt().orElseThrow();
        for (int run = 0; run < 200; run++) {
            Instant attempt = planner.plan(vinted, Duration.ofDays(1), VINTED);
            for (int failure = 1; failure <= 2; failure++) {
                // Blocked: the provider asks for its pause; the daemon's backoff decides the retry.
                attempt = attempt.plus(backoff.delay(failure, Optional.of(Duration.ofSeconds(900)), attempt,
                        Optional.of(expiry)));
            }
            assertTrue(attempt.isBefore(expiry.minus(Duration.ofMinutes(10))),
                    "the third attempt comes at " + attempt + ", the token expires at " + expiry);
        }
        // Today's margin (10%, 12 minutes) does not fit even one pause.
        Instant old = planner.dueAt(vinted, Duration.ofDays(1));
        assertTrue(old.plus(Duration.ofSeconds(900)).isAfter(expiry));
    }

    @Test
    void aRefreshTokenThatEndsFirstIsRefreshedTenPercentBeforeItsEnd() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(1));
        StoredCredential shortRefresh = credential(Duration.ofHours(24), Optional.of(Duration.ofHours(10)));
        assertEquals(T0.plus(Duration.ofHours(9)), planner.dueAt(shortRefresh, Duration.ofDays(30)));
    }

    @Test
    void theLongestJitterPlansTheFullJitterEarlier() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new HighestDraw());
        StoredCredential c = credential(Duration.ofHours(2), Optional.empty());
        Instant due = planner.dueAt(c, Duration.ofDays(1));
        // 5% of the 108 minutes to the due time is 324 s, above the 300 s maximum jitter.
        assertEquals(due.minusSeconds(300), planner.plan(c, Duration.ofDays(1)));
        // An hour-long token is due at 54 minutes: 5% of them, 162 s, is under the maximum.
        StoredCredential hour = credential(Duration.ofHours(1), Optional.empty());
        assertEquals(T0.plus(Duration.ofMinutes(54)).minusSeconds(162), planner.plan(hour, Duration.ofDays(1)));
    }

    @Test
    void aShortFailurePauseLeavesRoomForEachRetrysGrowingBackoff() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(1));
        dev.tokenkeeper.api.RefreshTiming shortPause = new dev.tokenkeeper.api.RefreshTiming(
                Duration.ofSeconds(1), 3, Duration.ofSeconds(60));
        // The pause after the first attempt, then the backoff ceilings 30 s, 60 s and 120 s (each above the pause).
        assertEquals(Duration.ofSeconds(1 + 30 + 60 + 120), planner.failureRoom(shortPause));
    }

    @Test
    void aCredentialIsDueFromItsEarliestJitteredPlanLessAQuarterSecondForTimersThatFireEarly() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(1));
        StoredCredential c = credential(Duration.ofHours(2), Optional.empty());
        // Due at 108 minutes, planned up to the 300 s maximum jitter earlier.
        Instant earliestPlan = T0.plus(Duration.ofMinutes(108)).minusSeconds(300);
        assertTrue(planner.isDue(c, Duration.ofDays(1), earliestPlan.minusMillis(250)));
        assertFalse(planner.isDue(c, Duration.ofDays(1), earliestPlan.minusMillis(251)));
    }

    @Test
    void aTokenImportedAlreadyExpiredIsDueAtItsExpiryNotLater() {
        RefreshPlanner planner = new RefreshPlanner(POLICY, new Random(1));
        StoredCredential expired = credential(Duration.ofMinutes(-10), Optional.empty());
        assertEquals(T0.minus(Duration.ofMinutes(10)), planner.dueAt(expired, Duration.ofDays(1)));
    }
}
