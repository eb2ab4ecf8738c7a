package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import dev.tokenkeeper.store.supabase.SupabaseTokenStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two daemons the harness builds on one PostgREST imitation, sharing a master key. The store's
 * change poll ({@code TOKENKEEPER_SUPABASE_POLL_SECONDS}) is a thread of its own on wall time and
 * the subject here, so the waits for it are wall time, bounded by two polls.
 * <ul>
 *   <li>A credential imported through A is planned by B within two polls, with no consumer traffic
 *       and long before B's validation sweep.</li>
 *   <li>Finding 11 of the second review: every wrong {@code tkc_} bearer cost a store query, so
 *       against Supabase a flood of wrong tokens became a flood of remote calls. 10,000 distinct
 *       wrong consumer tokens against A cost no look-up at the imitation (its change polls only,
 *       counted there), and a consumer added or revoked through B takes effect on A within two polls.</li>
 * </ul>
 */
class SupabaseTwoDaemonsInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int POLL_SECONDS = 2;
    private static final int BEARERS = 10_000;
    private static final int CONCURRENCY = 16;
    private static final String PATH = "/api/v1/credentials/gazelle:a/token";

    @TempDir
    Path temp;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final FakePostgrest supabase = FakePostgrest.start();
    private TokenkeeperExtension a;
    private TokenkeeperExtension b;

    private final List<TokenkeeperExtension> daemons = new ArrayList<>();

    @BeforeEach
    void startTwoDaemons() {
        Map<String, String> key = SharedMasterKey.in(temp);
        long started = System.nanoTime();
        a = daemon(key);
        b = daemon(key);
        System.out.printf("two daemons on the Supabase imitation started in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    @AfterEach
    void stopAndCheckLogsForSecrets() {
        try {
            for (TokenkeeperExtension daemon : daemons) {
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(daemon.log().contains(secret), "a daemon's log holds a token");
                }
                assertFalse(daemon.log().contains(supabase.serviceKey()), "a daemon's log holds the service key");
            }
        } finally {
            long stopping = System.nanoTime();
            daemons.forEach(TokenkeeperExtension::stop);
            System.out.printf("stopped in %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping));
            supabase.close();
            gazelle.close();
        }
    }

    @Test
    void aCredentialImportedThroughOneDaemonIsPlannedByTheOtherWithinTwoPolls() {
        String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain("late")).toString();
        assertEquals(201, a.call("PUT", "/api/v1/credentials/gazelle:late", body).statusCode());
        long before = System.nanoTime();
        await().atMost(Duration.ofSeconds(2L * POLL_SECONDS)).pollInterval(Duration.ofMillis(50)).until(() -> {
            HttpResponse<String> shown = b.call("GET", "/api/v1/credentials/gazelle:late", null);
            return shown.statusCode() == 200 && JSON.readTree(shown.body()).hasNonNull("nextRefreshAt");
        });
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
        assertTrue(millis <= 2_000L * POLL_SECONDS, millis + " ms");
        assertEquals(0, gazelle.refreshRequestCount(), "no consumer traffic, no refresh yet (30-day token)");
        System.out.printf("supabase poll every %d s: B planned a credential imported through A after %d ms%n",
                POLL_SECONDS, millis);
    }

    @Test
    void tenThousandWrongConsumerTokensCostNoStoreLookUpAndAConsumerAddedElsewhereWorksWithinAPoll() throws Exception {
        String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain("a")).toString();
        assertEquals(201, a.call("PUT", "/api/v1/credentials/gazelle:a", body).statusCode());
        String fromA = a.addConsumer("reader-a", "gazelle:a");
        assertEquals(200, a.callAs(fromA, "GET", PATH, null).statusCode(), "a consumer works where it was made");

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
        Map<Integer, Integer> statuses = a.callAsEach(bearers, "GET", PATH, CONCURRENCY);
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
        assertEquals(BEARERS, statuses.getOrDefault(401, 0), "all refused: " + statuses);
        assertEquals(0, lookups, "look-ups of presented tokens, e.g. " + during.subList(0, Math.min(3, during.size())));
        long polls = 2 * (floodMillis / (POLL_SECONDS * 1000L) + 1);
        assertTrue(consumerCalls <= polls + 2, consumerCalls + " consumer-table calls in " + floodMillis
                + " ms, more than the two daemons' polls (" + polls + ")");
        assertTrue(calls <= 2 * polls + 4, calls + " calls in " + floodMillis + " ms");

        String fromB = b.addConsumer("reader-b", "gazelle:a");
        long before = System.nanoTime();
        await().atMost(Duration.ofSeconds(2L * POLL_SECONDS + 1)).pollInterval(Duration.ofMillis(50))
                .until(() -> a.callAs(fromB, "GET", PATH, null).statusCode() == 200);
        long addedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);

        HttpResponse<String> revoked = b.call("DELETE", "/api/v1/consumers/reader-b", null);
        assertTrue(revoked.statusCode() / 100 == 2, revoked.body());
        before = System.nanoTime();
        assertEquals(401, b.callAs(fromB, "GET", PATH, null).statusCode(), "revoked at once where it was revoked");
        await().atMost(Duration.ofSeconds(2L * POLL_SECONDS + 1)).pollInterval(Duration.ofMillis(50))
                .until(() -> a.callAs(fromB, "GET", PATH, null).statusCode() == 401);
        long revokedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
        System.out.printf("a consumer added through B worked on A %d ms after; revoked through B, refused by A %d ms"
                + " after (poll every %d s)%n", addedMillis, revokedMillis, POLL_SECONDS);
        assertEquals(200, a.callAs(fromA, "GET", PATH, null).statusCode(), "A's own consumer still works");
        for (String presented : List.of(fromA, fromB, bearers.get(0))) {
            assertFalse(a.log().contains(presented) || b.log().contains(presented), "a consumer token in a log");
        }
    }

    private TokenkeeperExtension daemon(Map<String, String> key) {
        TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
                .settings(gazelle.settings()).settings(supabase.settings()).settings(key)
                .setting("TOKENKEEPER_SUPABASE_POLL_SECONDS", String.valueOf(POLL_SECONDS))
                // The 401 delay (200 ms by default) is not the subject here.
                .setting("TOKENKEEPER_AUTH_FAILURE_DELAY_MILLIS", "1")
                .store(SupabaseTokenStore::new);
        daemons.add(daemon);
        daemon.start();
        return daemon;
    }
}
