package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.store.postgres.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consumers against the real daemon: a consumer token reads its own credential's token and nothing
 * else, stops working within a second of {@code consumer revoke} (and on a second daemon sharing a
 * PostgreSQL store within the change-propagation time), thousands of wrong and near-miss bearers
 * are all refused without a 5xx, and the token appears nowhere after it was handed out.
 */
class ConsumersEndToEndTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private final List<DaemonProcess> daemons = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (DaemonProcess daemon : daemons) {
            daemon.stop();
        }
        if (gazelle != null) {
            gazelle.close();
        }
    }

    private DaemonProcess daemon(String name, Map<String, String> env) throws Exception {
        DaemonProcess daemon = new DaemonProcess(temp.resolve(name), env);
        daemons.add(daemon);
        return daemon.start();
    }

    private Map<String, String> sqliteEnvironment() {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        return env;
    }

    private void importGazelle(DaemonProcess daemon, String account) throws Exception {
        String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
        assertEquals(201, imported.status(), imported.body());
    }

    private static String addConsumer(DaemonProcess daemon, String name, String... credentials) throws Exception {
        List<String> args = new ArrayList<>(List.of("consumer", "add", name));
        for (String credential : credentials) {
            args.add("--credential");
            args.add(credential);
        }
        args.add("--json");
        DaemonProcess.Response added = daemon.cli(args.toArray(String[]::new));
        assertEquals(0, added.status(), added.body());
        JsonNode json = DaemonProcess.JSON.readTree(added.body().lines().filter(l -> l.startsWith("{")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON in: " + added.body())));
        assertEquals(name, json.path("name").asText());
        assertEquals(List.of(credentials), DaemonProcess.JSON.convertValue(json.path("credentials"), List.class));
        String token = json.path("token").asText();
        assertTrue(token.startsWith("tkc_") && token.length() > 40, "a long random token");
        return token;
    }

    @Test
    void aConsumerReadsItsOwnTokenOnlyAndIsRevokedWithinASecondAndItsTokenIsNowhere() throws Exception {
        gazelle = FakeGazelle.start();
        DaemonProcess daemon = daemon("one", sqliteEnvironment());
        importGazelle(daemon, "a");
        importGazelle(daemon, "b");
        String token = addConsumer(daemon, "market-app", "gazelle:a");

        DaemonProcess.Response own = daemon.callAs(token, "GET", "/api/v1/credentials/gazelle:a/token", null);
        assertEquals(200, own.status(), own.body());
        assertFalse(own.json().path("token").asText().isEmpty());
        String importBody = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("c")).toString();
        String[][] forbidden = {
                {"GET", "/api/v1/credentials/gazelle:b/token", null},
                {"POST", "/api/v1/credentials/gazelle:b/rejected", "{\"token\":\"x\"}"},
                {"GET", "/api/v1/credentials", null},
                {"GET", "/api/v1/credentials/gazelle:a", null},
                {"PUT", "/api/v1/credentials/gazelle:c", importBody},
                {"DELETE", "/api/v1/credentials/gazelle:a", null},
                {"POST", "/api/v1/credentials/gazelle:a/refresh", null},
                {"GET", "/api/v1/scheduler", null},
                {"POST", "/api/v1/scheduler", "{\"action\":\"stop\"}"},
                {"GET", "/api/v1/credentials/gazelle:a/history", null},
                {"GET", "/api/v1/consumers", null},
                {"POST", "/api/v1/consumers", "{\"name\":\"evil\",\"credentials\":[\"gazelle:b\"]}"},
                {"DELETE", "/api/v1/consumers/market-app", null},
                {"GET", "/api/v1/market-analysis/token", null}};
        for (String[] call : forbidden) {
            DaemonProcess.Response refused = daemon.callAs(token, call[0], call[1], call[2]);
            assertEquals(403, refused.status(), call[0] + " " + call[1] + ": " + refused.body());
            assertTrue(refused.json().path("message").asText().contains("/api/v1/credentials/{id}/token"),
                    "the 403 names what the consumer may do: " + refused.body());
        }
        assertEquals(200, daemon.call("GET", "/api/v1/credentials/gazelle:b/token", null).status(), "admin reads all");
        assertEquals(2, daemon.call("GET", "/api/v1/credentials", null).json().size(), "nothing was imported or deleted");
        assertEquals(200, daemon.callAs(token, "GET", "/api/v1/credentials/gazelle:a/token", null).status());

        DaemonProcess.Response list = daemon.cli("consumer", "list");
        assertEquals(0, list.status(), list.body());
        assertTrue(list.body().contains("market-app") && list.body().contains("gazelle:a")
                && list.body().contains("2 reads"), list.body());
        String metrics = daemon.call("GET", "/metrics", null).body();
        assertTrue(metrics.contains("tokenkeeper_token_reads_total{consumer=\"market-app\"} 2.0"), metrics);
        assertTrue(metrics.contains("tokenkeeper_token_reads_total{consumer=\"admin\"} 1.0"), metrics);
        String output = daemon.output();
        assertTrue(output.contains("consumer market-app read the token of gazelle:a version 1 for the first time"), output);
        assertEquals(1, output.lines().filter(l -> l.contains("consumer market-app read the token")).count(),
                "one audit line per new token version, not per read");

        // Must show 3: after creation the token is nowhere: store bytes, logs, API answers, CLI output.
        List<String> answers = List.of(daemon.call("GET", "/api/v1/consumers", null).body(),
                daemon.call("GET", "/api/v1/credentials", null).body(), metrics, list.body(),
                daemon.cli("consumer", "list", "--json").body());
        for (String answer : answers) {
            assertFalse(answer.contains(token), "a consumer token in an API answer");
        }
        assertFalse(daemon.output().contains(token), "a consumer token in the daemon's log");
        assertNoFileHolds(daemon.stateDir(), token);

        long before = System.nanoTime();
        DaemonProcess.Response revoked = daemon.cli("consumer", "revoke", "market-app");
        assertEquals(0, revoked.status(), revoked.body());
        long afterCli = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() ->
                daemon.callAs(token, "GET", "/api/v1/credentials/gazelle:a/token", null).status() == 401);
        System.out.printf("consumer revoke: CLI took %d ms, token refused %d ms after the CLI returned%n",
                TimeUnit.NANOSECONDS.toMillis(afterCli - before), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - afterCli));
        assertFalse(daemon.output().contains(token), "not even the refused token is logged");
    }

    private static void assertNoFileHolds(Path folder, String token) throws Exception {
        byte[] needle = token.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(file);
                assertFalse(indexOf(bytes, needle) >= 0, "the consumer token is in " + file);
            }
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void thousandsOfRandomAndNearMissBearersAreAllRefusedWithoutA5xx() throws Exception {
        gazelle = FakeGazelle.start();
        DaemonProcess daemon = daemon("fuzz", sqliteEnvironment());
        importGazelle(daemon, "a");
        importGazelle(daemon, "b");
        String tokenA = addConsumer(daemon, "reader-a", "gazelle:a");
        String tokenB = addConsumer(daemon, "reader-b", "gazelle:b");
        String hashA = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(tokenA.getBytes(StandardCharsets.UTF_8)));
        String path = "/api/v1/credentials/gazelle:a/token";
        int attempts = 2_000;
        Random random = new Random(17);
        List<String> bearers = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            bearers.add(switch (i % 6) {
                case 0 -> randomText(random, 1 + random.nextInt(80));
                case 1 -> "tkc_" + randomText(random, 43);
                case 2 -> oneByteChanged(random, tokenA);
                case 3 -> tokenB;
                case 4 -> random.nextBoolean() ? hashA : "tkc_" + hashA;
                default -> random.nextBoolean() ? tokenA.substring(0, tokenA.length() - 1 - random.nextInt(5))
                        : tokenA + randomText(random, 1 + random.nextInt(3));
            });
        }
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(12);
        long started = System.nanoTime();
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
                one.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("fuzz: %d bearers in %d ms, statuses %s%n", attempts,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), statuses);
        assertFalse(statuses.containsKey(200), "a wrong bearer got a token: " + statuses);
        assertTrue(statuses.keySet().stream().allMatch(s -> s == 401 || s == 403 || s == 429), "only refusals: " + statuses);
        int unauthenticated = statuses.getOrDefault(401, new AtomicInteger()).get()
                + statuses.getOrDefault(429, new AtomicInteger()).get();
        assertEquals(attempts - attempts / 6, unauthenticated, "every bearer but reader-b's is unauthenticated: " + statuses);
        assertEquals(attempts / 6, statuses.get(403).get(), "reader-b's token is refused gazelle:a: " + statuses);
        String metrics = daemon.call("GET", "/metrics", null).body();
        assertTrue(metrics.contains("tokenkeeper_auth_failures_total"), metrics);
        assertEquals(200, daemon.callAs(tokenA, "GET", path, null).status(), "the real token still works");
        String output = daemon.output();
        for (String bearer : List.of(tokenA, tokenB, bearers.get(2), bearers.get(1))) {
            assertFalse(output.contains(bearer), "a presented bearer in the log");
        }
    }

    private static String randomText(Random random, int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
    }

    private static String oneByteChanged(Random random, String token) {
        char[] chars = token.toCharArray();
        int at = 4 + random.nextInt(chars.length - 4);
        chars[at] = chars[at] == 'A' ? 'B' : 'A';
        return new String(chars);
    }

    @Test
    void aRevocationOnOneDaemonReachesTheOtherOnTheSamePostgresStore() throws Exception {
        gazelle = FakeGazelle.start();
        String schema = PostgresServer.freshSchema();
        Path shared = Files.createDirectories(temp.resolve("shared"));
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.putAll(POSTGRES.settings(schema));
        env.put("TOKENKEEPER_STORE", "postgres");
        env.put("TOKENKEEPER_MASTER_KEY_FILE", SharedStoreDaemonsTest.sharedKey(shared).toString());
        DaemonProcess a = daemon("a", env);
        DaemonProcess b = daemon("b", env);
        importGazelle(a, "a");
        String token = addConsumer(a, "shared-app", "gazelle:a");
        String path = "/api/v1/credentials/gazelle:a/token";
        assertEquals(200, b.callAs(token, "GET", path, null).status(), "the other daemon knows the consumer");
        assertEquals(403, b.callAs(token, "GET", "/api/v1/credentials", null).status());

        try (var connection = POSTGRES.connect(); var statement = connection.createStatement();
             var rows = statement.executeQuery("select name, token_hash, array_to_string(credentials, ',') from "
                     + schema + ".consumers")) {
            assertTrue(rows.next());
            StringBuilder row = new StringBuilder();
            for (int column = 1; column <= 3; column++) {
                row.append(rows.getString(column)).append('|');
            }
            assertFalse(row.toString().contains(token), "the store keeps the hash only");
            assertTrue(row.toString().startsWith("shared-app|"), row.toString());
        }

        DaemonProcess.Response revoked = a.cli("consumer", "revoke", "shared-app");
        assertEquals(0, revoked.status(), revoked.body());
        long afterCli = System.nanoTime();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10)).until(() ->
                b.callAs(token, "GET", path, null).status() == 401);
        System.out.printf("revoked through daemon a; daemon b refused the token %d ms later%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - afterCli));
        assertEquals(401, a.callAs(token, "GET", path, null).status());
        assertFalse(a.output().contains(token) || b.output().contains(token), "no consumer token in a log");
    }
}
