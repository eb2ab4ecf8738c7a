package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several daemon processes on one store: a SQLite file and the Supabase imitation (PostgreSQL:
 * {@link SharedPostgresDaemonsTest}).
 * <ul>
 * <li>SQLite, Supabase: 50 credentials that expire within the same seconds are each refreshed once
 * per cycle, never twice, counted at the upstream. These run beside another class: a loaded machine
 * only makes a cycle longer, and the count is bounded by the cycles the elapsed time allows.</li>
 * <li>Tagged {@code load}, so only in the long run ({@code -Psoak}, where every class runs alone):
 * SQLite and Supabase under 200 concurrent API clients for 60 s ({@code -Dtokenkeeper.load.seconds})
 * while 20 credentials with 10-second tokens expire and refresh: zero 5xx, zero double refreshes (no
 * refresh token presented twice at the upstream), zero lost updates (each refresh moves a
 * credential's version by exactly one). {@code -Dtest=SharedStoreDaemonsTest -Psoak} runs these alone.</li>
 * </ul>
 * The {@link Fleet} stops every daemon and searches every daemon's output for every secret the
 * imitation issued and each daemon's admin token.
 */
class SharedStoreDaemonsTest {

    @RegisterExtension
    final Fleet fleet = new Fleet();

    static final int CREDENTIALS = 50;
    /**
     * Not shorter: the cycle tests bound the count by the cycle's length (4-second tokens were
     * refreshed about every 2 s, not at lifetime minus margin), and with consumers asking for tokens a
     * refresh a loaded machine delays must still come before the token expires.
     */
    static final Duration LIFETIME = Duration.ofSeconds(8);

    @Test
    void twoDaemonsOnOneSqliteFileRefreshEachCredentialOncePerCycle() throws Exception {
        refreshCycles(sqlite());
    }

    @Test
    void twoDaemonsOnOneSupabaseStoreRefreshEachCredentialOncePerCycle() throws Exception {
        refreshCycles(supabase());
    }

    @Test
    @Tag("load")
    void twoHundredClientsTwoDaemonsOneSqliteFile() throws Exception {
        underLoad(sqlite());
    }

    @Test
    @Tag("load")
    void twoHundredClientsTwoDaemonsOneSupabaseStore() throws Exception {
        underLoad(supabase());
    }

    /**
     * @param folder where to write it
     * @return a new random 32-byte master key file (0600), for daemons that share a store
     */
    static Path sharedKey(Path folder) throws IOException {
        Path key = folder.resolve("master-key");
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        Files.write(key, bytes);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        return key;
    }

    /** One SQLite file and one master key for every daemon of the test. */
    private Map<String, String> sqlite() throws IOException {
        Path shared = fleet.folder("shared");
        return Map.of("TOKENKEEPER_SQLITE_PATH", shared.resolve("tokens.db").toString(),
                "TOKENKEEPER_MASTER_KEY_FILE", sharedKey(shared).toString());
    }

    /** The Supabase imitation (closed by the fleet after the daemons stopped) and one master key. */
    private Map<String, String> supabase() throws IOException {
        FakePostgrest supabase = fleet.closeAfter(FakePostgrest.start());
        Map<String, String> store = new HashMap<>(supabase.settings());
        store.put("TOKENKEEPER_STORE", "supabase");
        store.put("TOKENKEEPER_MASTER_KEY_FILE", sharedKey(fleet.folder("shared")).toString());
        return store;
    }

    /** The Gazelle imitation with tokens of {@code lifetime}; the fleet closes it and searches for what it issued. */
    private FakeGazelle gazelle(Duration lifetime) {
        return fleet.upstream(FakeGazelle.start().accessLifetime(lifetime));
    }

    static void importThrough(DaemonProcess daemon, FakeGazelle gazelle, String account) throws Exception {
        String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
        assertEquals(201, imported.status(), imported.body());
    }

    /** The history of gazelle:c0 .. c{count-1} as {@code daemon} shows it: no refresh skips or repeats a version. */
    static void assertEachRefreshMovesTheVersionByOne(DaemonProcess daemon, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            JsonNode history = daemon.call("GET", "/api/v1/credentials/gazelle:c" + i + "/history?limit=10000", null).json();
            long previous = -1;
            for (JsonNode event : history) {
                long version = event.get("version").asLong();
                if (event.get("outcome").asText().equals("refreshed")) {
                    assertEquals(previous + 1, version, "lost update in gazelle:c" + i + ": " + history);
                }
                previous = version;
            }
        }
    }

    /** Imports the credentials through the first daemon, starts the second, and counts refreshes for three cycles. */
    private void refreshCycles(Map<String, String> store) throws Exception {
        FakeGazelle gazelle = gazelle(LIFETIME);
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.putAll(store);
        env.put("TOKENKEEPER_REFRESH_THREADS", "8");
        // The imitations answer from the test's JVM, which a loaded machine can stall for seconds: a
        // 2 s timeout failed the Supabase start and lost chains in the answer-to-commit window.
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "10");
        DaemonProcess first = fleet.start(fleet.temp().resolve("a"), env);
        // Each chain's cycles count from its own first token: on a loaded machine the 50 imports take
        // long enough for the first chains to be refreshed before the last is imported.
        Map<String, Instant> issued = new HashMap<>();
        for (int i = 0; i < CREDENTIALS; i++) {
            issued.put("c" + i, Instant.now());
            importThrough(first, gazelle, "c" + i);
        }
        fleet.start(fleet.temp().resolve("b"), env);

        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
                    gazelle.refreshesPerChain().size() == CREDENTIALS
                            && gazelle.refreshesPerChain().values().stream().allMatch(count -> count >= 3));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not every chain was refreshed three times: " + gazelle.refreshesPerChain()
                    + ", " + gazelle.reuseCount() + " refresh tokens spent twice", e);
        }
        Map<String, Integer> refreshes = gazelle.refreshesPerChain();
        Instant counted = Instant.now();
        for (Map.Entry<String, Integer> chain : refreshes.entrySet()) {
            long elapsed = Duration.between(issued.get(chain.getKey()), counted).toMillis();
            // A cycle is at least lifetime minus margin and jitter (~6.6 s); a double refresh would double the count.
            long cycles = elapsed / 6_000 + 1;
            assertTrue(chain.getValue() <= cycles, chain.getKey() + " refreshed " + chain.getValue() + " times in "
                    + elapsed + " ms since its first token (at most " + cycles + " cycles)");
        }
        assertEquals(0, gazelle.reuseCount(), "a refresh token was spent twice");
        assertEachRefreshMovesTheVersionByOne(first, CREDENTIALS);
    }

    /** Two daemons, 20 credentials with 10-second tokens, 200 clients for {@code -Dtokenkeeper.load.seconds} (60). */
    private void underLoad(Map<String, String> store) throws Exception {
        int seconds = Integer.getInteger("tokenkeeper.load.seconds", 60);
        int credentials = 20;
        FakeGazelle gazelle = gazelle(Duration.ofSeconds(10));
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.putAll(store);
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "10");
        env.put("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        DaemonProcess a = fleet.start(fleet.temp().resolve("a"), env);
        for (int i = 0; i < credentials; i++) {
            importThrough(a, gazelle, "c" + i);
        }
        DaemonProcess b = fleet.start(fleet.temp().resolve("b"), env);
        Consumers load = fleet.closeAfter(Consumers.start(List.of(a, b), credentials, gazelle, 200, Consumers.LOAD_MIX));
        // The load is the subject: it runs for the whole of its wall-clock time.
        TimeUnit.SECONDS.sleep(seconds);
        load.stop();
        System.out.printf("two daemons, 200 clients, %d s: %d requests, statuses %s, transport failures %d, "
                + "upstream refreshes %d, reuse %d%n", seconds, load.requests.get(), load.statuses,
                load.transportFailures.get(), gazelle.refreshRequestCount(), gazelle.reuseCount());
        load.assertEveryAnswerBelow500();
        assertEquals(0, gazelle.reuseCount(), "a refresh token was spent twice (double refresh)");
        assertTrue(gazelle.refreshRequestCount() >= credentials * 5, "credentials kept refreshing under load");
        assertEachRefreshMovesTheVersionByOne(a, credentials);
        // The daemons' outputs: the fleet searches them for every secret at the end.
    }
}
