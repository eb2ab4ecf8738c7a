package dev.tokenkeeper.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** {@link OnFirstUse}: nothing built before the first call, one value whatever the threads. */
class OnFirstUseTest {

    @Test
    void buildsAtTheFirstCallOnceForEveryThread() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        OnFirstUse<Object> value = new OnFirstUse<>(() -> {
            builds.incrementAndGet();
            try {
                // Widens the window in which a second thread could build another.
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Object();
        });
        assertEquals(0, builds.get(), "built before anyone asked");

        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Object>> asked = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                asked.add(pool.submit(() -> {
                    go.await();
                    return value.get();
                }));
            }
            go.countDown();
            Object first = asked.get(0).get(10, TimeUnit.SECONDS);
            for (Future<Object> each : asked) {
                assertSame(first, each.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, builds.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aBuildThatGivesNothingIsRefusedAndTriedAgainNextTime() {
        AtomicInteger builds = new AtomicInteger();
        OnFirstUse<String> value = new OnFirstUse<>(() -> builds.incrementAndGet() == 1 ? null : "built");
        NullPointerException error = assertThrows(NullPointerException.class, value::get);
        assertTrue(error.getMessage().contains("built on first use"), error.getMessage());
        assertEquals("built", value.get());
    }
}
