package dev.tokenkeeper.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.reflect.Proxy;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** {@link ClientOnFirstUse}: nothing built before the first call, one client whatever the threads. */
class ClientOnFirstUseTest {

    @Test
    void buildsAtTheFirstCallOnceForEveryThread() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        HttpClient.Builder real = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
        HttpClient.Builder counting = (HttpClient.Builder) Proxy.newProxyInstance(
                HttpClient.Builder.class.getClassLoader(), new Class<?>[] {HttpClient.Builder.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("build")) {
                        builds.incrementAndGet();
                        // Widens the window in which a second thread could build another.
                        Thread.sleep(50);
                    }
                    return method.invoke(real, args);
                });
        ClientOnFirstUse client = new ClientOnFirstUse(counting);
        assertEquals(0, builds.get(), "built before anyone asked");

        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<HttpClient>> asked = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                asked.add(pool.submit(() -> {
                    go.await();
                    return client.get();
                }));
            }
            go.countDown();
            HttpClient first = asked.get(0).get(10, TimeUnit.SECONDS);
            for (Future<HttpClient> each : asked) {
                assertSame(first, each.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, builds.get());
            assertEquals(Duration.ofSeconds(3), first.connectTimeout().orElseThrow());
        } finally {
            pool.shutdownNow();
        }
    }
}
