package dev.tokenkeeper.provider.gazelle.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The deadlines' thread: a due deadline fires, a disarmed one never does, and a sleeping thread wakes for a new one. */
class DeadlinesTest {

    @Test
    void anArmedDeadlineFiresAtItsTimeAndADisarmedOneNever() throws Exception {
        Deadlines deadlines = new Deadlines();
        CountDownLatch fired = new CountDownLatch(1);
        AtomicInteger disarmedRan = new AtomicInteger();
        long armedAt = System.nanoTime();
        deadlines.arm(fired::countDown, Duration.ofMillis(200));
        deadlines.arm(disarmedRan::incrementAndGet, Duration.ofMillis(100)).disarm();
        assertTrue(fired.await(5, TimeUnit.SECONDS), "the deadline fired");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - armedAt);
        assertTrue(tookMillis >= 200, "not before its time: " + tookMillis + " ms");
        Thread.sleep(300);
        assertEquals(0, disarmedRan.get(), "a disarmed deadline ran");
        assertEquals(0, deadlines.armedCount());
    }

    @Test
    void theThreadThatSleptForWantOfDeadlinesWakesForTheNextOne() throws Exception {
        Deadlines deadlines = new Deadlines();
        for (int round = 0; round < 20; round++) {
            // Long enough for the thread to find nothing armed and go to sleep.
            Thread.sleep(round % 4 == 0 ? 120 : round);
            CountDownLatch fired = new CountDownLatch(1);
            deadlines.arm(fired::countDown, Duration.ofMillis(5));
            assertTrue(fired.await(5, TimeUnit.SECONDS), "round " + round + ": the deadline fired");
        }
    }

    @Test
    void anAbortThatThrowsLeavesTheOthersToFire() throws Exception {
        Deadlines deadlines = new Deadlines();
        CountDownLatch fired = new CountDownLatch(1);
        deadlines.arm(() -> {
            throw new IllegalStateException("closing failed");
        }, Duration.ofMillis(10));
        Thread.sleep(120);
        deadlines.arm(fired::countDown, Duration.ofMillis(10));
        assertTrue(fired.await(5, TimeUnit.SECONDS));
    }
}
