package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.contract.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.ValidationResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The request budget keeps the provider under the burst that raises Vinted's anti-bot wall; counted at the fake. */
class VintedBudgetTest {

    @TempDir
    Path state;

    private final MutableClock clock = MutableClock.startingNow();
    private FakeVinted fake;

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void anExhaustedBudgetSendsNothingAndSaysWhenASlotFrees() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider("VINTED_MAX_REQUESTS_PER_5_MIN", "4");
        SecretMaterial secret = imported(provider, fake.newSession());

        for (int i = 0; i < 3; i++) {
            assertInstanceOf(ValidationResult.Accepted.class, provider.validate(secret));
            clock.advance(Duration.ofSeconds(10));
        }
        // One slot left: a refresh needs two and sends nothing rather than half.
        RefreshResult.TransientFailure refresh = assertInstanceOf(RefreshResult.TransientFailure.class,
                provider.refresh(secret));
        assertEquals(FailureKind.RATE_LIMITED, refresh.kind());
        assertEquals(Duration.ofSeconds(270), refresh.retryAfter().orElseThrow());
        assertTrue(refresh.reason().contains("VINTED_MAX_REQUESTS_PER_5_MIN"), refresh.reason());
        assertEquals(3, fake.requestCount());

        assertInstanceOf(ValidationResult.Accepted.class, provider.validate(secret));
        ValidationResult.Inconclusive full = assertInstanceOf(ValidationResult.Inconclusive.class, provider.validate(secret));
        assertEquals(FailureKind.RATE_LIMITED, full.kind());
        assertEquals(Duration.ofSeconds(270), full.retryAfter().orElseThrow());
        assertEquals(4, fake.requestCount());

        clock.advance(Duration.ofSeconds(280)); // the first two requests leave the window
        assertInstanceOf(RefreshResult.Refreshed.class, provider.refresh(secret));
        assertEquals(6, fake.requestCount());
    }

    @Test
    void theDefaultBudgetStaysUnderTheWallWhateverTheDaemonAsks() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider();
        List<SecretMaterial> sessions = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sessions.add(imported(provider, fake.newSession()));
        }
        for (int minute = 0; minute < 15; minute++) {
            for (int i = 0; i < sessions.size(); i++) {
                RefreshResult result = provider.refresh(sessions.get(i));
                if (result instanceof RefreshResult.Refreshed refreshed) {
                    sessions.set(i, refreshed.issued().secret());
                }
                provider.validate(sessions.get(i));
            }
            clock.advance(Duration.ofMinutes(1));
        }
        assertEquals(0, fake.blockedCount(), "the wall never went up");
        assertEquals(0, fake.reuseCount());
        List<java.time.Instant> times = fake.requestTimes();
        for (java.time.Instant at : times) {
            long inWindow = times.stream().filter(t -> !t.isBefore(at) && t.isBefore(at.plus(Duration.ofMinutes(5)))).count();
            assertTrue(inWindow <= 10, "more than 10 requests in 5 minutes from " + at);
        }
        assertTrue(fake.requestCount() >= 20, "the budget is used, not just refused: " + fake.requestCount());
    }

    @Test
    void withoutABudgetBelowTheThresholdTheWallGoesUpAndTheProviderStopsAtTheFirst403() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider("VINTED_MAX_REQUESTS_PER_5_MIN", "100");
        SecretMaterial secret = imported(provider, fake.newSession());
        List<ValidationResult> results = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            results.add(provider.validate(secret));
        }
        assertEquals(21, fake.requestCount(), "20 served, 1 walled, then silence");
        assertEquals(1, fake.blockedCount());
        ValidationResult.Inconclusive last = assertInstanceOf(ValidationResult.Inconclusive.class, results.get(39));
        assertEquals(FailureKind.BLOCKED, last.kind());
    }

    @Test
    void concurrentCallersShareOneBudget() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider();
        SecretMaterial secret = imported(provider, fake.newSession());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<ValidationResult>> calls = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                calls.add(() -> provider.validate(secret));
            }
            int accepted = 0;
            for (Future<ValidationResult> result : pool.invokeAll(calls)) {
                accepted += result.get() instanceof ValidationResult.Accepted ? 1 : 0;
            }
            assertEquals(10, accepted);
            assertEquals(10, fake.requestCount());
        } finally {
            pool.shutdownNow();
        }
    }

    private VintedProvider provider(String... settings) {
        VintedProvider provider = new VintedProvider();
        provider.configure(VintedContexts.forFake(fake, clock, state, settings));
        return provider;
    }

    private static SecretMaterial imported(VintedProvider provider, String browser) throws Exception {
        return provider.importSecret(new SecretInput.CookieHeader(browser)).issued().secret();
    }
}
