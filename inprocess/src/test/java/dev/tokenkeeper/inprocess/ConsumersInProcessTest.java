package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.store.postgres.PostgresServer;
import dev.tokenkeeper.store.postgres.PostgresTokenStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consumers in the daemon the harness builds: a consumer token reads its own credential's token and
 * nothing else, stops working within a second of its revocation (and on a second daemon sharing a
 * PostgreSQL store within the change-propagation time), thousands of wrong and near-miss bearers
 * are all refused without a 5xx, and the token appears nowhere after it was handed out.
 */
class ConsumersInProcessTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATH_A = "/api/v1/credentials/gazelle:a/token";

    @TempDir
    Path temp;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final List<TokenkeeperExtension> others = new ArrayList<>();

    // The delay of a 401 (200 ms by default, wall time) is not the subject of the 2,000 refused calls here.
    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings()).setting("TOKENKEEPER_AUTH_FAILURE_DELAY_MILLIS", "1");

    @AfterEach
    void stopOthers() {
        others.forEach(TokenkeeperExtension::stop);
        gazelle.close();
    }

    @Test
    void aConsumerReadsItsOwnTokenOnlyAndIsRevokedWithinASecondAndItsTokenIsNowhere() throws Exception {
        importGazelle(daemon, "a");
        importGazelle(daemon, "b");
        String token = daemon.addConsumer("market-app", "gazelle:a");
        assertTrue(token.startsWith("tkc_") && token.length() > 40, "a long random token");

        HttpResponse<String> own = daemon.callAs(token, "GET", PATH_A, null);
        assertEquals(200, own.statusCode(), own.body());
        assertFalse(json(own).path("token").asText().isEmpty());
        String importBody = JSON.createObjectNode().put("tokenJson", gazelle.seedChain("c")).toString();
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
            HttpResponse<String> refused = daemon.callAs(token, call[0], call[1], call[2]);
            assertEquals(403, refused.statusCode(), call[0] + " " + call[1] + ": " + refused.body());
            assertTrue(json(refused).path("message").asText().contains("/api/v1/credentials/{id}/token"),
                    "the 403 names what the consumer may do: " + refused.body());
        }
        assertEquals(200, daemon.call("GET", "/api/v1/credentials/gazelle:b/token", null).statusCode(), "admin reads all");
        assertEquals(2, json(daemon.call("GET", "/api/v1/credentials", null)).size(), "nothing was imported or deleted");
        assertEquals(200, daemon.callAs(token, "GET", PATH_A, null).statusCode());

        // What `tokenkeeper consumer list` prints from.
        HttpResponse<String> list = daemon.call("GET", "/api/v1/consumers", null);
        JsonNode listed = json(list);
        assertEquals(1, listed.size(), list.body());
        assertEquals("market-app", listed.get(0).path("name").asText(), list.body());
        assertEquals("[\"gazelle:a\"]", listed.get(0).path("credentials").toString(), list.body());
        assertEquals(2, listed.get(0).path("reads").asLong(), list.body());
        String metrics = daemon.call("GET", "/metrics", null).body();
        assertTrue(metrics.contains("tokenkeeper_token_reads_total{consumer=\"market-app\"} 2.0"), metrics);
        assertTrue(metrics.contains("tokenkeeper_token_reads_total{consumer=\"admin\"} 1.0"), metrics);
        String log = daemon.log();
        assertTrue(log.contains("consumer market-app read the token of gazelle:a version 1 for the first time"), log);
        assertEquals(1, log.lines().filter(l -> l.contains("consumer market-app read the token")).count(),
                "one audit line per new token version, not per read");

        // After creation the token is nowhere: store bytes, log, API answers.
        List<String> answers = List.of(list.body(), daemon.call("GET", "/api/v1/credentials", null).body(), metrics);
        for (String answer : answers) {
            assertFalse(answer.contains(token), "a consumer token in an API answer");
        }
        assertFalse(daemon.log().contains(token), "a consumer token in the daemon's log");
        assertNoFileHolds(daemon.stateDirectory(), token);

        long before = System.nanoTime();
        HttpResponse<String> revoked = daemon.call("DELETE", "/api/v1/consumers/market-app", null);
        assertTrue(revoked.statusCode() / 100 == 2, revoked.body());
        long afterRevoke = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() ->
                daemon.callAs(token, "GET", PATH_A, null).statusCode() == 401);
        System.out.printf("consumer revoke: took %d ms, token refused %d ms after%n",
                TimeUnit.NANOSECONDS.toMillis(afterRevoke - before), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - afterRevoke));
        assertFalse(daemon.log().contains(token), "not even the refused token is logged");
    }

    @Test
    void thousandsOfRandomAndNearMissBearersAreAllRefusedWithoutA5xx() throws Exception {
        importGazelle(daemon, "a");
        importGazelle(daemon, "b");
        String tokenA = daemon.addConsumer("reader-a", "gazelle:a");
        String tokenB = daemon.addConsumer("reader-b", "gazelle:b");
        String hashA = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(tokenA.getBytes(StandardCharsets.UTF_8)));
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
        long started = System.nanoTime();
        Map<Integer, Integer> statuses = daemon.callAsEach(bearers, "GET", PATH_A, 12);
        System.out.printf("fuzz: %d bearers in %d ms, statuses %s%n", attempts,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), statuses);
        assertFalse(statuses.containsKey(200), "a wrong bearer got a token: " + statuses);
        assertTrue(statuses.keySet().stream().allMatch(s -> s == 401 || s == 403 || s == 429), "only refusals: " + statuses);
        int unauthenticated = statuses.getOrDefault(401, 0) + statuses.getOrDefault(429, 0);
        assertEquals(attempts - attempts / 6, unauthenticated, "every bearer but reader-b's is unauthenticated: " + statuses);
        assertEquals(attempts / 6, (int) statuses.getOrDefault(403, 0), "reader-b's token is refused gazelle:a: " + statuses);
        String metrics = daemon.call("GET", "/metrics", null).body();
        assertTrue(metrics.contains("tokenkeeper_auth_failures_total"), metrics);
        assertEquals(200, daemon.callAs(tokenA, "GET", PATH_A, null).statusCode(), "the real token still works");
        String log = daemon.log();
        for (String bearer : List.of(tokenA, tokenB, bearers.get(2), bearers.get(1))) {
            assertFalse(log.contains(bearer), "a presented bearer in the log");
        }
    }

    @Test
    void aRevocationOnOneDaemonReachesTheOtherOnTheSamePostgresStore() throws Exception {
        String schema = PostgresServer.freshSchema();
        Map<String, String> key = SharedMasterKey.in(temp);
        TokenkeeperExtension a = onPostgres(schema, key);
        TokenkeeperExtension b = onPostgres(schema, key);
        importGazelle(a, "a");
        String token = a.addConsumer("shared-app", "gazelle:a");
        // The other daemon learns of the consumer on the change feed (LISTEN/NOTIFY, a real connection and thread).
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10)).until(() ->
                b.callAs(token, "GET", PATH_A, null).statusCode() == 200);
        assertEquals(403, b.callAs(token, "GET", "/api/v1/credentials", null).statusCode());

        try (Connection connection = POSTGRES.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("select name, token_hash, array_to_string(credentials, ',') from "
                     + schema + ".consumers")) {
            assertTrue(rows.next());
            StringBuilder row = new StringBuilder();
            for (int column = 1; column <= 3; column++) {
                row.append(rows.getString(column)).append('|');
            }
            assertFalse(row.toString().contains(token), "the store keeps the hash only");
            assertTrue(row.toString().startsWith("shared-app|"), row.toString());
        }

        HttpResponse<String> revoked = a.call("DELETE", "/api/v1/consumers/shared-app", null);
        assertTrue(revoked.statusCode() / 100 == 2, revoked.body());
        long afterRevoke = System.nanoTime();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10)).until(() ->
                b.callAs(token, "GET", PATH_A, null).statusCode() == 401);
        System.out.printf("revoked through daemon a; daemon b refused the token %d ms later%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - afterRevoke));
        assertEquals(401, a.callAs(token, "GET", PATH_A, null).statusCode());
        assertFalse(a.log().contains(token) || b.log().contains(token), "no consumer token in a log");
    }

    private TokenkeeperExtension onPostgres(String schema, Map<String, String> key) {
        TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
                .settings(gazelle.settings()).settings(POSTGRES.settings(schema)).settings(key)
                .store(PostgresTokenStore::new);
        others.add(daemon);
        daemon.start();
        return daemon;
    }

    private void importGazelle(TokenkeeperExtension target, String account) {
        String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
        HttpResponse<String> imported = target.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
        assertEquals(201, imported.statusCode(), imported.body());
    }

    /** Walks again when a file the running daemon renamed into place during the walk was gone when read. */
    private static void assertNoFileHolds(Path folder, String token) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                assertNoFileHoldsOnce(folder, token);
                return;
            } catch (NoSuchFileException renamed) {
                if (attempt == 5) {
                    throw renamed;
                }
            }
        }
    }

    private static void assertNoFileHoldsOnce(Path folder, String token) throws IOException {
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

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response.body(), e);
        }
    }
}
