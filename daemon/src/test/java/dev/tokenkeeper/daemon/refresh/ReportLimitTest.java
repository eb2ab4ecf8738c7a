package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.config.Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ReportLimitTest {

    private static final CredentialId A = CredentialId.parse("gazelle:a");
    private static final CredentialId B = CredentialId.parse("gazelle:b");

    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final ReportLimit limit = new ReportLimit(clock, Duration.ofMinutes(1));

    @Test
    void aReportRefreshesTheNextIsCheckedThenTheRestWaitUntilTheIntervalIsOver() {
        assertInstanceOf(ReportLimit.Turn.Refresh.class, limit.take(A));
        clock.advance(Duration.ofSeconds(1));
        ReportLimit.Turn.Check check = assertInstanceOf(ReportLimit.Turn.Check.class, limit.take(A));
        assertEquals(Duration.ofSeconds(59), check.retryAfter());
        for (int second = 2; second < 60; second++) {
            clock.setTo(Instant.parse("2030-01-01T00:00:00Z").plusSeconds(second));
            ReportLimit.Turn.Wait wait = assertInstanceOf(ReportLimit.Turn.Wait.class, limit.take(A), "at " + second + " s");
            assertEquals(Duration.ofSeconds(60 - second), wait.retryAfter(), "Retry-After at " + second + " s");
        }
        clock.setTo(Instant.parse("2030-01-01T00:01:00Z"));
        assertInstanceOf(ReportLimit.Turn.Refresh.class, limit.take(A), "the interval is over");
        assertInstanceOf(ReportLimit.Turn.Check.class, limit.take(A), "the last check is a minute old");
        assertInstanceOf(ReportLimit.Turn.Wait.class, limit.take(A));
    }

    @Test
    void eachCredentialHasItsOwnLimit() {
        assertInstanceOf(ReportLimit.Turn.Refresh.class, limit.take(A));
        assertInstanceOf(ReportLimit.Turn.Check.class, limit.take(A));
        assertInstanceOf(ReportLimit.Turn.Refresh.class, limit.take(B), "reports of a spend nothing of b");
    }

    @Test
    void aDeletedCredentialStartsAfresh() {
        limit.take(A);
        limit.take(A);
        limit.forget(A);
        assertInstanceOf(ReportLimit.Turn.Refresh.class, limit.take(A));
    }

    @Test
    void tenMinutesOfAReportEveryHundredMillisecondsCostAtMostTenRefreshesAndTenChecks() {
        Map<Class<?>, Integer> turns = new ConcurrentHashMap<>();
        for (int tick = 0; tick < 6_000; tick++) {
            turns.merge(limit.take(A).getClass(), 1, Integer::sum);
            clock.advance(Duration.ofMillis(100));
        }
        assertEquals(10, turns.get(ReportLimit.Turn.Refresh.class), "turns: " + turns);
        assertEquals(10, turns.get(ReportLimit.Turn.Check.class), "turns: " + turns);
        assertEquals(5_980, turns.get(ReportLimit.Turn.Wait.class), "turns: " + turns);
    }

    @Test
    void twentyConcurrentReportsGetOneRefreshAndOneCheck() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Callable<ReportLimit.Turn>> reports = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                reports.add(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return limit.take(A);
                });
            }
            List<Future<ReportLimit.Turn>> futures = new ArrayList<>();
            reports.forEach(report -> futures.add(pool.submit(report)));
            start.countDown();
            AtomicInteger refreshes = new AtomicInteger();
            AtomicInteger checks = new AtomicInteger();
            for (Future<ReportLimit.Turn> future : futures) {
                ReportLimit.Turn turn = future.get(10, TimeUnit.SECONDS);
                if (turn instanceof ReportLimit.Turn.Refresh) {
                    refreshes.incrementAndGet();
                } else if (turn instanceof ReportLimit.Turn.Check) {
                    checks.incrementAndGet();
                }
            }
            assertEquals(1, refreshes.get());
            assertEquals(1, checks.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anIntervalOfNothingIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ReportLimit(clock, Duration.ZERO));
    }

    @Test
    void retryAfterIsInWholeSecondsRoundedUp() {
        assertEquals(1, new TooManyReportsException("x", Duration.ofMillis(1)).retryAfterSeconds());
        assertEquals(2, new TooManyReportsException("x", Duration.ofMillis(1_001)).retryAfterSeconds());
        assertEquals(59, new TooManyReportsException("x", Duration.ofSeconds(59)).retryAfterSeconds());
    }


    @Test
    void theIntervalComesFromItsSettingInSecondsAndIsAMinuteUnlessSet() {
        MutableClock time = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"));
        assertEquals(Duration.ofMinutes(1), ReportLimit.from(Settings.of(Map.of(), Map.of()), time)
                .interval());
        assertEquals(Duration.ofMillis(2500), ReportLimit.from(Settings.of(
                Map.of(ReportLimit.SETTING, "2.5"), Map.of()), time).interval());
    }
}
