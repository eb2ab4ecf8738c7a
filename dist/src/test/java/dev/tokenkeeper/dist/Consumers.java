package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * API clients asking the daemons for tokens, credentials and lists, and reporting tokens as
 * rejected, until {@link #stop()}. A client skips a daemon that is not running (killed by the test).
 */
final class Consumers implements AutoCloseable {

    /**
     * Shares of the requests in percent (the rest reports the current token as rejected) and
     * whether reads may reuse a pooled connection (a long run with a connection per request would
     * use up the ephemeral ports); a report always has a connection of its own, since the JDK
     * client retries only GETs on a pooled connection the daemon closed at that moment.
     */
    record Mix(int token, int credential, int list, boolean pooledReads) {
    }

    /** 200 clients for a minute: pooled reads, one request in ten a report. */
    static final Mix LOAD_MIX = new Mix(70, 10, 10, true);
    /** Around a kill and a database restart: a connection per request, one in twenty a report. */
    static final Mix POSTGRES_MIX = new Mix(75, 10, 10, false);

    final AtomicLong requests = new AtomicLong();
    final AtomicLong serverErrors = new AtomicLong();
    final AtomicLong transportFailures = new AtomicLong();
    final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    final List<String> errorSamples = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    // Both pools are shut down by stop(): their threads are not daemons, and a test leaves none behind.
    private final ExecutorService httpThreads = Executors.newFixedThreadPool(16);
    private final ExecutorService clients;

    private Consumers(int clients) {
        this.clients = Executors.newFixedThreadPool(clients);
    }

    static Consumers start(List<DaemonProcess> daemons, int credentials, FakeGazelle gazelle, int clients, Mix mix)
            throws IOException {
        Consumers load = new Consumers(clients);
        Map<DaemonProcess, String> tokens = new HashMap<>();
        for (DaemonProcess daemon : daemons) {
            tokens.put(daemon, daemon.adminToken());
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).executor(load.httpThreads).build();
        IntStream.range(0, clients).forEach(c -> load.clients.submit(() -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (load.running.get()) {
                DaemonProcess daemon = daemons.get(random.nextInt(daemons.size()));
                if (!daemon.process().isAlive()) {
                    continue;
                }
                String account = "c" + random.nextInt(credentials);
                String path = "/api/v1/credentials/gazelle:" + account;
                int op = random.nextInt(100);
                try {
                    HttpRequest.Builder request;
                    if (op < mix.token()) {
                        request = read(mix, daemon.baseUrl() + path + "/token");
                    } else if (op < mix.token() + mix.credential()) {
                        request = read(mix, daemon.baseUrl() + path);
                    } else if (op < mix.token() + mix.credential() + mix.list()) {
                        request = read(mix, daemon.baseUrl() + "/api/v1/credentials");
                    } else {
                        // A consumer reports the token it holds (maybe already replaced) as rejected.
                        String current = gazelle.currentAccessToken(account);
                        request = DaemonProcess.freshConnection(URI.create(daemon.baseUrl() + path + "/rejected"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + current + "\"}"));
                    }
                    HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30))
                            .header("Authorization", "Bearer " + tokens.get(daemon)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    load.requests.incrementAndGet();
                    load.statuses.computeIfAbsent(response.statusCode(), s -> new AtomicLong()).incrementAndGet();
                    if (response.statusCode() >= 500) {
                        load.serverErrors.incrementAndGet();
                        if (load.errorSamples.size() < 5) {
                            load.errorSamples.add(response.statusCode() + " " + response.body());
                        }
                    }
                } catch (InterruptedException stopped) {
                    return null;
                } catch (IOException | RuntimeException e) {
                    if (daemon.process().isAlive()) {
                        load.transportFailures.incrementAndGet();
                    }
                }
            }
            return null;
        }));
        return load;
    }

    private static HttpRequest.Builder read(Mix mix, String url) {
        URI uri = URI.create(url);
        return (mix.pooledReads() ? HttpRequest.newBuilder(uri) : DaemonProcess.freshConnection(uri)).GET();
    }

    /** Ends the clients and the HTTP client's threads; a second call does nothing. */
    void stop() throws InterruptedException {
        running.set(false);
        clients.shutdown();
        try {
            assertTrue(clients.awaitTermination(60, TimeUnit.SECONDS), "the clients stopped");
        } finally {
            httpThreads.shutdownNow();
        }
    }

    void assertEveryAnswerBelow500() {
        assertEquals(0, serverErrors.get(), "5xx answers: " + statuses + " e.g. " + errorSamples);
        assertEquals(0, transportFailures.get(), "requests that got no answer");
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
