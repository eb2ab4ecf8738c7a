package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 11 of the second review: every wrong {@code tkc_} bearer cost a store query, so against
 * Supabase a flood of wrong tokens became a flood of remote calls. Two daemons on one PostgREST
 * imitation: 10,000 distinct wrong consumer tokens against A cost at most a handful of calls to the
 * imitation (its change polls, counted there), and a consumer added or revoked through B takes
 * effect on A within the poll interval ({@code TOKENKEEPER_SUPABASE_POLL_SECONDS}).
 */
class ConsumerFloodSupabaseTest {

    private static final int POLL_SECONDS = 2;
    private static final int BEARERS = 10_000;
    private static final int CONCURRENCY = 16;

    @TempDir
    Path temp;

    @Test
    void tenThousandWrongConsumerTokensCostAHandfulOfStoreCallsAndAConsumerAddedElsewhereWorksWithinAPoll()
            throws Exception {
        Path shared = Files.createDirectories(temp.resolve("shared"));
        try (FakePostgrest supabase = FakePostgrest.start(); FakeGazelle gazelle = FakeGazelle.start()) {
            Map<String, String> env = new HashMap<>(DaemonProcess.fastRefreshSettings());
            env.putAll(gazelle.settings());
            env.putAll(supabase.settings());
            env.put("TOKENKEEPER_STORE", "supabase");
            env.put("TOKENKEEPER_MASTER_KEY_FILE", SharedStoreDaemonsTest.sharedKey(shared).toString());
            env.put("TOKENKEEPER_SUPABASE_POLL_SECONDS", String.valueOf(POLL_SECONDS));
            // The 401 delay is not the subject here; it stays 200 ms by default.
            env.put("TOKENKEEPER_AUTH_FAILURE_DELAY_MILLIS", "1");
            try (DaemonProcess a = new DaemonProcess(temp.resolve("a"), env);
                 DaemonProcess b = new DaemonProcess(temp.resolve("b"), env)) {
                a.start();
                b.start();
                String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("a")).toString();
                assertEquals(201, a.call("PUT", "/api/v1/credentials/gazelle:a", body).status());
                String path = "/api/v1/credentials/gazelle:a/token";
                String fromA = addConsumer(a, "reader-a");
                assertEquals(200, a.callAs(fromA, "GET", path, null).status(), "a consumer works where it was made");

                List<String> bearers = new ArrayList<>(BEARERS);
                SecureRandom random = new SecureRandom();
                for (int i = 0; i < BEARERS; i++) {
                    byte[] bytes = new byte[32];
                    random.nextBytes(bytes);
                    bearers.add("tkc_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
                }
                int consumerCallsBefore = supabase.requestCount(FakePostgrest.CONSUMERS);
                int callsBefore = supabase.requestCount();
                int linesBefore = supabase.requestLines().size();
                long started = System.nanoTime();
                Map<Integer, AtomicInteger> statuses = flood(a, path, bearers);
                long floodMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                int consumerCalls = supabase.requestCount(FakePostgrest.CONSUMERS) - consumerCallsBefore;
                int calls = supabase.requestCount() - callsBefore;
                List<String> during = supabase.requestLines();
                during = during.subList(linesBefore, during.size());
                // What a presented token used to cost: a query of the consumers table for its hash.
                long lookups = during.stream().filter(line -> line.contains(FakePostgrest.CONSUMERS)
                        && line.contains("token_hash=")).count();
                System.out.printf("%d distinct wrong tkc_ bearers in %d ms (statuses %s): %d look-ups of a token hash"
                                + " at the Supabase imitation; %d calls in all from both daemons meanwhile, %d of them on"
                                + " the consumers table, all of them the change polls every %d s%n", BEARERS, floodMillis,
                        statuses, lookups, calls, consumerCalls, POLL_SECONDS);
                assertEquals(BEARERS, statuses.getOrDefault(401, new AtomicInteger()).get(), "all refused: " + statuses);
                assertEquals(0, lookups, "look-ups of presented tokens, e.g. " + during.subList(0, Math.min(3, during.size())));
                long polls = 2 * (floodMillis / (POLL_SECONDS * 1000L) + 1);
                assertTrue(consumerCalls <= polls + 2, consumerCalls + " consumer-table calls in " + floodMillis
                        + " ms, more than the two daemons' polls (" + polls + ")");
                assertTrue(calls <= 2 * polls + 4, calls + " calls in " + floodMillis + " ms");

                String fromB = addConsumer(b, "reader-b");
                long before = System.nanoTime();
                await().atMost(Duration.ofSeconds(2L * POLL_SECONDS + 1)).pollInterval(Duration.ofMillis(50))
                        .until(() -> a.callAs(fromB, "GET", path, null).status() == 200);
                long addedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);

                assertEquals(0, b.cli("consumer", "revoke", "reader-b").status());
                before = System.nanoTime();
                assertEquals(401, b.callAs(fromB, "GET", path, null).status(), "revoked at once where it was revoked");
                await().atMost(Duration.ofSeconds(2L * POLL_SECONDS + 1)).pollInterval(Duration.ofMillis(50))
                        .until(() -> a.callAs(fromB, "GET", path, null).status() == 401);
                long revokedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
                System.out.printf("a consumer added through B worked on A %d ms after B's CLI returned; revoked through"
                        + " B, refused by A %d ms after (poll every %d s)%n", addedMillis, revokedMillis, POLL_SECONDS);
                assertEquals(200, a.callAs(fromA, "GET", path, null).status(), "A's own consumer still works");
            }
        }
    }

    private static Map<Integer, AtomicInteger> flood(DaemonProcess daemon, String path, List<String> bearers)
            throws Exception {
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (String bearer : bearers) {
                sent.add(pool.submit(() -> {
                    int status = daemon.callAs(bearer, "GET", path, null).status();
                    statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    return null;
                }));
            }
            for (Future<?> one : sent) {
                one.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        return statuses;
    }

    private static String addConsumer(DaemonProcess daemon, String name) throws Exception {
        DaemonProcess.Response added = daemon.cli("consumer", "add", name, "--credential", "gazelle:a", "--json");
        assertEquals(0, added.status(), added.body());
        return DaemonProcess.JSON.readTree(added.body().lines().filter(l -> l.startsWith("{")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON in: " + added.body()))).path("token").asText();
    }
}
