package dev.tokenkeeper.daemon.refresh;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProviderGateTest {

    @Test
    void aCallerWhoseTurnDoesNotComeGivesUpAtItsBoundWithoutCalling() throws Exception {
        ProviderGate gate = new ProviderGate(1, 0);
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> {
            try {
                return gate.through("gazelle", Duration.ofSeconds(5), () -> {
                    inside.countDown();
                    await(release);
                    return "held";
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        AtomicInteger calls = new AtomicInteger();
        long started = System.nanoTime();
        ProviderGate.BusyException busy = assertThrows(ProviderGate.BusyException.class,
                () -> gate.through("gazelle", Duration.ofMillis(300), calls::incrementAndGet));
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(waited >= 290, "waited its bound: " + waited + " ms");
        assertEquals(0, calls.get(), "no call was made");
        assertTrue(busy.getMessage().contains("TOKENKEEPER_PROVIDER_CONCURRENCY"), busy.getMessage());
        // Another provider is not held up by this one.
        assertEquals(1, gate.through("vinted", Duration.ofMillis(300), calls::incrementAndGet));
        release.countDown();
        assertEquals("held", holder.get(10, TimeUnit.SECONDS));
        assertEquals(2, gate.through("gazelle", Duration.ofMillis(300), calls::incrementAndGet), "the slot is free again");
    }

    @Test
    void aRateLimitedCallerThatWouldStartTooLateGivesUpAtOnceAndBooksNoSlot() throws Exception {
        ProviderGate gate = new ProviderGate(8, 0.5); // one start every 2 s
        long first = System.nanoTime();
        gate.through("gazelle", Duration.ofSeconds(1), () -> 1);
        long started = System.nanoTime();
        ProviderGate.BusyException busy = assertThrows(ProviderGate.BusyException.class,
                () -> gate.through("gazelle", Duration.ofMillis(200), () -> 2));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < 1_000,
                "a start beyond the bound is known at once, not waited for");
        assertTrue(busy.getMessage().contains("TOKENKEEPER_PROVIDER_RATE_PER_SECOND"), busy.getMessage());
        gate.through("gazelle", Duration.ofSeconds(10), () -> 3);
        long third = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - first);
        assertTrue(third >= 1_900, "the third call waited for the 2 s interval: " + third + " ms");
        assertTrue(third < 3_500, "the refused caller booked no slot (booked, the third would start at 4 s): " + third + " ms");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void theGateSaysItsLimitsAndThePauseBetweenCallStarts() {
        ProviderGate limited = new ProviderGate(3, 4);
        assertEquals(3, limited.concurrency());
        assertEquals(4.0, limited.ratePerSecond());
        assertEquals(Duration.ofMillis(250), limited.interval());
        ProviderGate unlimited = new ProviderGate(0, -1);
        assertEquals(1, unlimited.concurrency(), "at least one call at a time");
        assertEquals(0.0, unlimited.ratePerSecond());
        assertEquals(Duration.ZERO, unlimited.interval(), "no rate, no pause");
    }
}
