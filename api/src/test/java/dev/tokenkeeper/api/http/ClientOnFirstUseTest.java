package dev.tokenkeeper.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.reflect.Proxy;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * {@link ClientOnFirstUse}: nothing built before the first call, then one client with the builder's
 * settings. (Once whatever the threads is {@link OnFirstUse}'s promise, raced in its own test.)
 */
class ClientOnFirstUseTest {

    @Test
    void buildsAtTheFirstCallOnceWithTheBuildersSettings() {
        AtomicInteger builds = new AtomicInteger();
        HttpClient.Builder real = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
        HttpClient.Builder counting = (HttpClient.Builder) Proxy.newProxyInstance(
                HttpClient.Builder.class.getClassLoader(), new Class<?>[] {HttpClient.Builder.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("build")) {
                        builds.incrementAndGet();
                    }
                    return method.invoke(real, args);
                });
        ClientOnFirstUse client = new ClientOnFirstUse(counting);
        assertEquals(0, builds.get(), "built before anyone asked");

        HttpClient first = client.get();
        assertSame(first, client.get());
        assertEquals(1, builds.get());
        assertEquals(Duration.ofSeconds(3), first.connectTimeout().orElseThrow());
    }
}
