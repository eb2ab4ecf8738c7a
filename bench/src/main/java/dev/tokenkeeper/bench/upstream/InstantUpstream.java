package dev.tokenkeeper.bench.upstream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A Gazelle token endpoint imitation on 127.0.0.1 that answers every refresh-token grant with a
 * canned, rotated token JSON, after an optional fixed delay. It counts what a benchmark needs to
 * know: requests, the peak number in flight, and per credential how often and when it was refreshed.
 *
 * <p>A credential is recognised by its refresh token: {@code <key>} at first, {@code <key>~<n>}
 * after each rotation, so {@code <key>} names the credential across rotations.
 */
public final class InstantUpstream implements AutoCloseable {

    static {
        // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's
        // delayed ACK: every exchange then stalls ~40 ms, and the "instant" upstream is not instant.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final long delayNanos;
    private final long expiresInSeconds;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rotation = new AtomicLong();
    private final Map<String, AtomicInteger> refreshesByKey = new ConcurrentHashMap<>();
    private final Map<String, Long> firstArrivalMillis = new ConcurrentHashMap<>();
    private final Map<String, Long> lastArrivalMillis = new ConcurrentHashMap<>();
    private final Set<String> presented = ConcurrentHashMap.newKeySet();
    private final AtomicLong presentedTwice = new AtomicLong();
    private final AtomicLongArrayLog arrivals = new AtomicLongArrayLog();

    private InstantUpstream(int threads, Duration delay, long expiresInSeconds) throws IOException {
        this.delayNanos = delay.toNanos();
        this.expiresInSeconds = expiresInSeconds;
        this.executor = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "instant-upstream");
            thread.setDaemon(true);
            return thread;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.createContext("/oauth/token", this::answer);
        // Answered on the pool even without a delay: on the server's one dispatcher thread every caller waited
        // whenever that thread waited for a core (four daemons' workers spent half their time there in a storm).
        server.setExecutor(executor);
        server.start();
    }

    /**
     * @param threads          handler threads (at least the callers' concurrency, so the imitation never queues)
     * @param delay            how long each answer takes
     * @param expiresInSeconds the {@code expires_in} of issued tokens
     * @return the started imitation
     * @throws IOException when no loopback port can be bound
     */
    public static InstantUpstream start(int threads, Duration delay, long expiresInSeconds) throws IOException {
        return new InstantUpstream(threads, delay, expiresInSeconds);
    }

    /** @return the token URL ({@code GAZELLE_OAUTH_TOKEN_URL}) */
    public URI tokenUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/oauth/token");
    }

    private void answer(HttpExchange exchange) throws IOException {
        int now = inFlight.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
        try (exchange) {
            long arrived = System.currentTimeMillis();
            arrivals.add(System.nanoTime());
            requests.incrementAndGet();
            String form;
            try (InputStream in = exchange.getRequestBody()) {
                form = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String refreshToken = field(form, "refresh_token");
            String key = refreshToken.contains("~") ? refreshToken.substring(0, refreshToken.indexOf('~')) : refreshToken;
            refreshesByKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            firstArrivalMillis.putIfAbsent(key, arrived);
            lastArrivalMillis.put(key, arrived);
            if (!presented.add(refreshToken)) {
                presentedTwice.incrementAndGet();
            }
            if (delayNanos > 0) {
                long until = System.nanoTime() + delayNanos;
                for (long left = delayNanos; left > 0; left = until - System.nanoTime()) {
                    LockSupport.parkNanos(left);
                }
            }
            long n = rotation.incrementAndGet();
            byte[] body = ("{\"access_token\":\"at-" + n + "\",\"refresh_token\":\"" + key + "~" + n
                    + "\",\"token_type\":\"Bearer\",\"expires_in\":" + expiresInSeconds + ",\"created_at\":"
                    + (System.currentTimeMillis() / 1000) + "}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static String field(String form, String name) {
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return "";
    }

    /** @return requests answered so far */
    public long requests() {
        return requests.get();
    }

    /** @return the most requests ever in flight at once */
    public int peakConcurrency() {
        return peak.get();
    }

    /** Forgets the counters (not the rotation number). */
    public void reset() {
        peak.set(0);
        requests.set(0);
        refreshesByKey.clear();
        firstArrivalMillis.clear();
        lastArrivalMillis.clear();
        presented.clear();
        presentedTwice.set(0);
        arrivals.clear();
    }

    /** @return refreshes seen per credential key */
    public Map<String, AtomicInteger> refreshesByKey() {
        return refreshesByKey;
    }

    /** @return when (epoch millis) each credential key was first refreshed */
    public Map<String, Long> firstArrivalMillis() {
        return firstArrivalMillis;
    }

    /** @return when (epoch millis) each credential key was last refreshed */
    public Map<String, Long> lastArrivalMillis() {
        return lastArrivalMillis;
    }

    /**
     * @return how many requests presented a refresh token that an earlier request had already
     *         presented (a real upstream would refuse it: the token was spent)
     */
    public long presentedTwice() {
        return presentedTwice.get();
    }

    /** @return the most requests that arrived within any one second */
    public int peakPerSecond() {
        long[] times = arrivals.sorted();
        int best = 0;
        int start = 0;
        for (int end = 0; end < times.length; end++) {
            while (times[end] - times[start] >= 1_000_000_000L) {
                start++;
            }
            best = Math.max(best, end - start + 1);
        }
        return best;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An append-only log of nano times, cheap to add to from many threads. */
    private static final class AtomicLongArrayLog {
        private long[] values = new long[1024];
        private int size;

        synchronized void add(long value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        synchronized void clear() {
            size = 0;
        }

        synchronized long[] sorted() {
            long[] copy = Arrays.copyOf(values, size);
            Arrays.sort(copy);
            return copy;
        }
    }
}
