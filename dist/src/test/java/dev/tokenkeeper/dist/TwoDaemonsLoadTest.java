package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two daemons on one store (a SQLite file; a Supabase imitation) under 200 concurrent API clients for 60 s
 * ({@code -Dtokenkeeper.load.seconds}) while 20 credentials with 10-second tokens expire and
 * refresh: zero 5xx, zero double refreshes (no refresh token presented twice at the upstream),
 * zero lost updates (each refresh moves a credential's version by exactly one). Part of the long
 * run ({@code -Psoak}); {@code -Dtest=TwoDaemonsLoadTest -Dtokenkeeper.test.excludedGroups=none} runs it alone.
 */
@Tag("load")
class TwoDaemonsLoadTest {

    @TempDir
    Path temp;

    @Test
    void twoHundredClientsTwoDaemonsOneSqliteFile() throws Exception {
        Path shared = Files.createDirectories(temp.resolve("shared"));
        run(Map.of("TOKENKEEPER_SQLITE_PATH", shared.resolve("tokens.db").toString(),
                "TOKENKEEPER_MASTER_KEY_FILE", TwoDaemonsTest.sharedKey(shared).toString()));
    }

    @Test
    void twoHundredClientsTwoDaemonsOneSupabaseStore() throws Exception {
        Path shared = Files.createDirectories(temp.resolve("shared"));
        try (dev.tokenkeeper.store.supabase.FakePostgrest supabase = dev.tokenkeeper.store.supabase.FakePostgrest.start()) {
            Map<String, String> store = new java.util.HashMap<>(supabase.settings());
            store.put("TOKENKEEPER_STORE", "supabase");
            store.put("TOKENKEEPER_MASTER_KEY_FILE", TwoDaemonsTest.sharedKey(shared).toString());
            run(store);
        }
    }

    private void run(Map<String, String> store) throws Exception {
        int seconds = Integer.getInteger("tokenkeeper.load.seconds", 60);
        int credentials = 20;
        try (FakeGazelle gazelle = FakeGazelle.start().accessLifetime(Duration.ofSeconds(10))) {
            Map<String, String> env = DaemonProcess.fastRefreshSettings();
            env.putAll(gazelle.settings());
            env.putAll(store);
            env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "10");
            env.put("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
            DaemonProcess a = new DaemonProcess(temp.resolve("a"), env);
            DaemonProcess b = new DaemonProcess(temp.resolve("b"), env);
            try (a; b) {
                a.start();
                for (int i = 0; i < credentials; i++) {
                    String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("c" + i)).toString();
                    assertEquals(201, a.call("PUT", "/api/v1/credentials/gazelle:c" + i, body).status());
                }
                b.start();
                List<DaemonProcess> daemons = List.of(a, b);
                Map<DaemonProcess, String> tokens = Map.of(a, a.adminToken(), b, b.adminToken());
                // Both pools are shut down below: their threads are not daemons, and a test leaves none behind.
                ExecutorService httpThreads = Executors.newFixedThreadPool(16);
                ExecutorService clients = Executors.newFixedThreadPool(200);
                try {
                    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                            .executor(httpThreads).build();
                    AtomicLong requests = new AtomicLong();
                    AtomicLong serverErrors = new AtomicLong();
                    List<String> errorSamples = new java.util.concurrent.CopyOnWriteArrayList<>();
                    AtomicLong otherFailures = new AtomicLong();
                    Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                    for (int c = 0; c < 200; c++) {
                        clients.submit(() -> {
                            ThreadLocalRandom random = ThreadLocalRandom.current();
                            while (System.nanoTime() < end) {
                                DaemonProcess daemon = daemons.get(random.nextInt(2));
                                String id = "gazelle:c" + random.nextInt(credentials);
                                int op = random.nextInt(100);
                                try {
                                    HttpRequest.Builder request;
                                    if (op < 70) {
                                        request = HttpRequest.newBuilder(URI.create(daemon.baseUrl() + "/api/v1/credentials/" + id + "/token")).GET();
                                    } else if (op < 80) {
                                        request = HttpRequest.newBuilder(URI.create(daemon.baseUrl() + "/api/v1/credentials/" + id)).GET();
                                    } else if (op < 90) {
                                        request = HttpRequest.newBuilder(URI.create(daemon.baseUrl() + "/api/v1/credentials")).GET();
                                    } else {
                                        // A consumer reports the token it holds (maybe already replaced) as rejected.
                                        String current = gazelle.currentAccessToken("c" + id.substring(9));
                                        // A connection of its own: the client retries only GETs on a pooled connection
                                        // the daemon closed at that moment.
                                        request = DaemonProcess.freshConnection(URI.create(daemon.baseUrl() + "/api/v1/credentials/" + id + "/rejected"))
                                                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + current + "\"}"));
                                    }
                                    HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30))
                                            .header("Authorization", "Bearer " + tokens.get(daemon)).build(),
                                            HttpResponse.BodyHandlers.ofString());
                                    requests.incrementAndGet();
                                    statuses.computeIfAbsent(response.statusCode(), s -> new AtomicLong()).incrementAndGet();
                                    if (response.statusCode() >= 500) {
                                        serverErrors.incrementAndGet();
                                        if (errorSamples.size() < 5) {
                                            errorSamples.add(response.statusCode() + " " + response.body());
                                        }
                                    }
                                } catch (InterruptedException stopped) {
                                    return null;
                                } catch (Exception e) {
                                    otherFailures.incrementAndGet();
                                }
                            }
                            return null;
                        });
                    }
                    clients.shutdown();
                    assertTrue(clients.awaitTermination(seconds + 60L, TimeUnit.SECONDS));
                    System.out.printf("two daemons, 200 clients, %d s: %d requests, statuses %s, transport failures %d, "
                            + "upstream refreshes %d, reuse %d%n", seconds, requests.get(), statuses, otherFailures.get(),
                            gazelle.refreshRequestCount(), gazelle.reuseCount());
                    assertEquals(0, serverErrors.get(), "5xx answers: " + statuses + " e.g. " + errorSamples);
                    assertEquals(0, otherFailures.get(), "requests that got no answer");
                    assertEquals(0, gazelle.reuseCount(), "a refresh token was spent twice (double refresh)");
                    assertTrue(gazelle.refreshRequestCount() >= credentials * 5, "credentials kept refreshing under load");
                    for (int i = 0; i < credentials; i++) {
                        JsonNode history = a.call("GET", "/api/v1/credentials/gazelle:c" + i + "/history?limit=10000", null).json();
                        long previous = -1;
                        for (JsonNode event : history) {
                            long version = event.get("version").asLong();
                            if (event.get("outcome").asText().equals("refreshed")) {
                                assertEquals(previous + 1, version, "lost update in gazelle:c" + i + ": " + history);
                            }
                            previous = version;
                        }
                    }
                    for (DaemonProcess daemon : daemons) {
                        for (String secret : gazelle.allIssuedSecrets()) {
                            assertFalse(daemon.output().contains(secret));
                        }
                    }
                } finally {
                    clients.shutdownNow();
                    httpThreads.shutdownNow();
                }
            }
        }
    }
}
