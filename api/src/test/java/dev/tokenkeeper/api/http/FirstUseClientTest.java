package dev.tokenkeeper.api.http;

import org.junit.jupiter.api.Test;

import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class FirstUseClientTest {

    @Test
    void nothingIsBuiltUntilTheFirstGetAndThenOnlyOnce() {
        CountingBuilder builder = new CountingBuilder();
        FirstUseClient client = new FirstUseClient(builder.connectTimeout(Duration.ofSeconds(3)));
        assertEquals(0, builder.builds.get());

        HttpClient first = client.get();
        assertSame(first, client.get());
        assertEquals(1, builder.builds.get());
        assertEquals(Duration.ofSeconds(3), first.connectTimeout().orElseThrow());
    }

    @Test
    void callersAtOnceShareOneClient() throws Exception {
        CountingBuilder builder = new CountingBuilder();
        FirstUseClient client = new FirstUseClient(builder);
        int callers = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<HttpClient>> got = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                Callable<HttpClient> call = () -> {
                    go.await();
                    return client.get();
                };
                got.add(pool.submit(call));
            }
            go.countDown();
            HttpClient one = got.get(0).get(10, TimeUnit.SECONDS);
            for (Future<HttpClient> each : got) {
                assertSame(one, each.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, builder.builds.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /** The JDK's builder, counting its builds. */
    private static final class CountingBuilder implements HttpClient.Builder {
        private final HttpClient.Builder jdk = HttpClient.newBuilder();
        private final AtomicInteger builds = new AtomicInteger();

        @Override
        public HttpClient build() {
            builds.incrementAndGet();
            return jdk.build();
        }

        @Override
        public HttpClient.Builder cookieHandler(CookieHandler cookieHandler) {
            jdk.cookieHandler(cookieHandler);
            return this;
        }

        @Override
        public HttpClient.Builder connectTimeout(Duration duration) {
            jdk.connectTimeout(duration);
            return this;
        }

        @Override
        public HttpClient.Builder sslContext(SSLContext sslContext) {
            jdk.sslContext(sslContext);
            return this;
        }

        @Override
        public HttpClient.Builder sslParameters(SSLParameters sslParameters) {
            jdk.sslParameters(sslParameters);
            return this;
        }

        @Override
        public HttpClient.Builder executor(Executor executor) {
            jdk.executor(executor);
            return this;
        }

        @Override
        public HttpClient.Builder followRedirects(HttpClient.Redirect policy) {
            jdk.followRedirects(policy);
            return this;
        }

        @Override
        public HttpClient.Builder version(HttpClient.Version version) {
            jdk.version(version);
            return this;
        }

        @Override
        public HttpClient.Builder priority(int priority) {
            jdk.priority(priority);
            return this;
        }

        @Override
        public HttpClient.Builder proxy(ProxySelector proxySelector) {
            jdk.proxy(proxySelector);
            return this;
        }

        @Override
        public HttpClient.Builder authenticator(Authenticator authenticator) {
            jdk.authenticator(authenticator);
            return this;
        }
    }
}
