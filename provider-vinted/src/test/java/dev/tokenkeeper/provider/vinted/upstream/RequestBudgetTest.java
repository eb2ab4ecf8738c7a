package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.api.contract.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestBudgetTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private final RequestBudget budget = new RequestBudget(3, Duration.ofMinutes(5), clock);

    @Test
    void slidesOverTheWindow() {
        assertEquals(Optional.empty(), budget.tryAcquire(1));
        clock.advance(Duration.ofMinutes(1));
        assertEquals(Optional.empty(), budget.tryAcquire(2));
        assertEquals(Optional.of(Duration.ofMinutes(4)), budget.tryAcquire(1));
        assertEquals(Optional.of(Duration.ofMinutes(5)), budget.tryAcquire(2), "the second slot frees with the 1-minute pair");
        clock.advance(Duration.ofMinutes(4));
        assertEquals(Optional.empty(), budget.tryAcquire(1));
        assertEquals(3, budget.used());
    }

    @Test
    void allOrNothingAndUnusedSlotsComeBack() {
        assertEquals(Optional.empty(), budget.tryAcquire(2));
        assertEquals(Optional.of(Duration.ofMinutes(5)), budget.tryAcquire(2));
        assertEquals(2, budget.used(), "a refused request takes nothing");
        budget.giveBack(1);
        assertEquals(Optional.empty(), budget.tryAcquire(2));
        assertEquals(Optional.of(Duration.ofMinutes(5)), budget.tryAcquire(4), "more than the limit never fits");
    }

    @Test
    void grantsExactlyTheLimitToConcurrentCallers() throws Exception {
        RequestBudget shared = new RequestBudget(25, Duration.ofMinutes(5), clock);
        AtomicInteger granted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < 200; i++) {
            pool.execute(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (shared.tryAcquire(1).isEmpty()) {
                    granted.incrementAndGet();
                }
            });
        }
        go.countDown();
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        assertEquals(25, granted.get());
    }
}
