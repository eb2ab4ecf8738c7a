package dev.tokenkeeper.daemon.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The pool Quartz runs the ticks on. Quartz's own pool, started and at once given a job and stopped,
 * can leave a worker that never ran its first loop on its busy list, and its stop then never returns:
 * here the same sequence, many times, runs every job and every stop returns.
 */
class TickThreadsTest {

    @Test
    void aJobHandedOverAsThePoolStartsRunsAndTheStopThatFollowsReturns() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        int rounds = 300;
        for (int round = 0; round < rounds; round++) {
            TickThreads threads = started(2, Duration.ofSeconds(5));
            assertTrue(threads.runInThread(ran::incrementAndGet));
            Thread stop = new Thread(() -> threads.shutdown(true));
            stop.start();
            stop.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(stop.isAlive(), "the stop of round " + round + " did not return");
            assertEquals(round + 1, ran.get(), "round " + round + "'s job did not run before its stop returned");
        }
    }

    @Test
    void aJobWaitsForAFreeThreadAndAStopEndsTheWait() throws Exception {
        TickThreads threads = started(1, Duration.ofSeconds(5));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch secondRan = new CountDownLatch(1);
        assertTrue(threads.runInThread(() -> await(release)));
        Thread second = new Thread(() -> threads.runInThread(secondRan::countDown));
        second.start();
        assertFalse(secondRan.await(200, TimeUnit.MILLISECONDS), "ran while the only thread was busy");
        release.countDown();
        assertTrue(secondRan.await(10, TimeUnit.SECONDS), "ran once the thread was free");
        second.join(10_000);
        assertEquals(1, threads.blockForAvailableThreads());

        CountDownLatch hold = new CountDownLatch(1);
        assertTrue(threads.runInThread(() -> await(hold)));
        Thread blocked = new Thread(threads::blockForAvailableThreads);
        blocked.start();
        threads.shutdown(false);
        blocked.join(10_000);
        assertFalse(blocked.isAlive(), "a wait for a free thread ends when the pool stops");
        hold.countDown();
    }

    @Test
    void anInterruptedWaitForAThreadKeepsWaitingWithoutSpinningAndKeepsTheFlag() throws Exception {
        TickThreads threads = started(1, Duration.ofSeconds(5));
        CountDownLatch release = new CountDownLatch(1);
        assertTrue(threads.runInThread(() -> await(release)));
        AtomicInteger free = new AtomicInteger(-1);
        AtomicBoolean flagKept = new AtomicBoolean();
        Thread waiting = new Thread(() -> {
            free.set(threads.blockForAvailableThreads());
            flagKept.set(Thread.currentThread().isInterrupted());
        });
        waiting.start();
        Thread.sleep(100);
        waiting.interrupt();
        // A wait that spins on its interrupt is RUNNABLE whenever looked at; one that waits is parked. Its state, not
        // the JVM's CPU, is what is sampled: the JVM's CPU also counts its compiler and collector, which under load
        // (stress-ng beside the suite) used 220 ms of 500 with no spinning at all.
        int runnable = 0;
        for (int i = 0; i < 50; i++) {
            Thread.sleep(10);
            if (waiting.getState() == Thread.State.RUNNABLE) {
                runnable++;
            }
        }
        assertTrue(waiting.isAlive(), "still waiting for the busy thread");
        assertTrue(runnable <= 5, "the interrupted wait was running in " + runnable + " of 50 looks, not waiting");
        release.countDown();
        waiting.join(10_000);
        assertEquals(1, free.get());
        assertTrue(flagKept.get(), "the interrupt is not swallowed");
    }

    @Test
    void theStopWaitsForARunningJobOnlyForItsBound() throws Exception {
        TickThreads threads = started(1, Duration.ofMillis(300));
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        threads.runInThread(() -> {
            started.countDown();
            await(never);
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        long start = System.nanoTime();
        threads.shutdown(true);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis >= 250 && millis < 5_000, "stopped after " + millis + " ms");
        never.countDown();
    }

    private static TickThreads started(int size, Duration stopWait) {
        TickThreads threads = new TickThreads(size, "tick-test", stopWait);
        threads.initialize();
        return threads;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
