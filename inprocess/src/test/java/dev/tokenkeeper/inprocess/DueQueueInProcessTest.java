package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.store.postgres.PostgresServer;
import dev.tokenkeeper.store.postgres.PostgresTokenStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The due queue in a real PostgreSQL (issue 26): daemons sharing the store divide the due
 * credentials by claiming them, each refreshed exactly once (counted by the Gazelle imitation, per
 * refresh-token chain), and the claims of a daemon that stopped without giving them back are taken by
 * another once their lease runs out. Time is the shared {@link MutableClock}; each daemon ticks by
 * hand (two at once on threads of the test, so that their claims race in the database).
 */
class DueQueueInProcessTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CREDENTIALS = 40;
    /** The imitation's access tokens live an hour: due about 54 minutes after their import. */
    private static final Duration LIFETIME = Duration.ofHours(1);
    private static final Duration LEASE = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock).accessLifetime(LIFETIME);
    private final String schema = PostgresServer.freshSchema();
    private final List<TokenkeeperExtension> daemons = new ArrayList<>();
    private final List<PostgresTokenStore> stores = new ArrayList<>();

    @AfterEach
    void stop() {
        daemons.forEach(TokenkeeperExtension::stop);
        stores.forEach(PostgresTokenStore::close);
        gazelle.close();
    }

    @Test
    void twoDaemonsOnOneStoreRefreshEveryDueCredentialExactlyOnceAndBothDoSome() throws Exception {
        Map<String, String> key = SharedMasterKey.in(temp);
        TokenkeeperExtension a = daemon(key);
        TokenkeeperExtension b = daemon(key);
        importAll(a);

        clock.advance(LIFETIME.minusMinutes(3));
        CompletableFuture<Void> first = CompletableFuture.runAsync(a::runDue);
        CompletableFuture<Void> second = CompletableFuture.runAsync(b::runDue);
        CompletableFuture.allOf(first, second).get(60, TimeUnit.SECONDS);

        assertExactlyOnce();
        double byA = refreshes(a);
        double byB = refreshes(b);
        assertEquals(CREDENTIALS, byA + byB, "each daemon counts the refreshes it committed");
        assertTrue(byA > 0 && byB > 0, "both daemons claimed some: " + byA + " and " + byB);
        System.out.printf("%d credentials due at once: daemon a refreshed %.0f, daemon b %.0f%n", CREDENTIALS, byA, byB);

        // Planned again by the commits: nothing is due until the new tokens' time.
        a.runDue();
        b.runDue();
        assertEquals(CREDENTIALS, gazelle.refreshRequestCount(), "nothing refreshed twice");
        assertNoSecretIn(a, b);
    }

    @Test
    void theClaimsOfADaemonThatStoppedWithoutGivingThemBackAreTakenByAnotherWithinOneLease() throws Exception {
        Map<String, String> key = SharedMasterKey.in(temp);
        TokenkeeperExtension b = daemon(key);
        importAll(b);
        clock.advance(LIFETIME.minusMinutes(3));
        // A daemon claims every due row and dies before refreshing any (as after kill -9: its leases stay).
        PostgresTokenStore dead = new PostgresTokenStore();
        stores.add(dead);
        dead.open(new TestContext(POSTGRES.settings(schema), temp.resolve("dead"), clock));
        Instant claimedAt = clock.instant();
        List<DueWork.Claim> claimed = dead.claimDue("dead-daemon", claimedAt, claimedAt.plus(LEASE), 1_000);
        assertEquals(CREDENTIALS, claimed.size(), "every credential was due");

        b.runDue();
        assertEquals(0, gazelle.refreshRequestCount(), "claimed rows are left alone while their lease runs");

        clock.advance(LEASE);
        b.runDue();
        assertExactlyOnce();
        assertEquals(CREDENTIALS, refreshes(b));
        assertTrue(gazelle.refreshRequestTimes().stream().allMatch(at -> !at.isAfter(claimedAt.plus(LEASE))),
                "taken within one lease of the claim: " + gazelle.refreshRequestTimes());
        assertNoSecretIn(b);
    }

    @Test
    void importsArePlannedInTheStoreSpreadOverTheValidationJitterAndARejectedTokenIsFoundByTheFoldedValidation()
            throws Exception {
        TokenkeeperExtension a = daemon(SharedMasterKey.in(temp));
        Instant importedAt = clock.instant();
        importAll(a);

        // Planned by the import: the next validation (30 min, less up to 3 min at random) comes before the refresh.
        Set<Instant> planned = new HashSet<>();
        try (Connection connection = POSTGRES.connect(); Statement sql = connection.createStatement();
             ResultSet rows = sql.executeQuery("SELECT next_due FROM " + schema + ".credentials")) {
            while (rows.next()) {
                planned.add(Instant.ofEpochMilli(rows.getLong(1)));
            }
        }
        assertEquals(CREDENTIALS, planned.size(), "every credential planned at a time of its own: " + planned);
        Instant earliest = importedAt.plus(Duration.ofMinutes(27));
        Instant latest = importedAt.plus(Duration.ofMinutes(30));
        assertTrue(planned.stream().allMatch(at -> !at.isBefore(earliest) && !at.isAfter(latest)), planned.toString());

        gazelle.revokeAccessToken("acct7");
        int apiCallsBefore = gazelle.apiRequestCount();
        clock.advance(Duration.ofMinutes(31));
        a.runDue();
        assertEquals(CREDENTIALS, gazelle.apiRequestCount() - apiCallsBefore, "every credential validated once");
        Map<String, Integer> refreshed = gazelle.refreshesPerChain();
        assertEquals(1, refreshed.get("acct7"), "the rejected token was refreshed: " + refreshed);
        assertEquals(1, refreshed.values().stream().mapToInt(Integer::intValue).sum(), "and no other: " + refreshed);
        assertNoSecretIn(a);
    }

    @Test
    void theViewsShowTheRowsNextDueTimesReadForAWholePageInOneQueryAndTheStartLineSaysTheStorePlans()
            throws Exception {
        CountingStore counted = new CountingStore(new PostgresTokenStore());
        TokenkeeperExtension a = daemon(SharedMasterKey.in(temp), () -> counted);
        importAll(a);
        Map<String, Instant> rows = nextDueInDatabase();
        assertEquals(CREDENTIALS, rows.size(), "every imported credential is planned in its row: " + rows);

        int pages = counted.pages();
        int duePages = counted.dueReadsPage();
        int dueOnes = counted.dueReadsOne();
        HttpResponse<String> list = a.call("GET", "/api/v1/credentials", null);
        assertEquals(200, list.statusCode(), list.body());
        assertEquals(rows, shownNextRefresh(list), "the list shows each row's next_due");
        assertTrue(list.headers().firstValue("Link").isEmpty(), "one page holds a small store");
        assertEquals(pages + 1, counted.pages(), "one page read");
        assertEquals(duePages + 1, counted.dueReadsPage(), "one read of the page's due times");
        assertEquals(dueOnes, counted.dueReadsOne(), "no read per credential shown");

        // Page by page: each page one read of its rows and one of their due times, then a Link to the next.
        Map<String, Instant> paged = new java.util.TreeMap<>();
        String path = "/api/v1/credentials?limit=15";
        int answers = 0;
        while (path != null) {
            pages = counted.pages();
            duePages = counted.dueReadsPage();
            HttpResponse<String> page = a.call("GET", path, null);
            assertEquals(200, page.statusCode(), page.body());
            Map<String, Instant> shown = shownNextRefresh(page);
            assertTrue(shown.size() <= 15, "at most the limit: " + shown.size());
            paged.putAll(shown);
            answers++;
            assertEquals(pages + 1, counted.pages());
            assertEquals(duePages + 1, counted.dueReadsPage());
            path = page.headers().firstValue("Link").map(link -> link.substring(1, link.indexOf('>'))).orElse(null);
        }
        assertEquals(3, answers, "40 credentials in pages of 15");
        assertEquals(rows, paged, "the pages together are the list");
        assertEquals(dueOnes, counted.dueReadsOne(), "no read per credential shown");
        assertEquals(400, a.call("GET", "/api/v1/credentials?limit=1001", null).statusCode());
        assertEquals(400, a.call("GET", "/api/v1/credentials?after=no-provider", null).statusCode());

        String one = "gazelle:acct3";
        HttpResponse<String> shown = a.call("GET", "/api/v1/credentials/" + one, null);
        assertEquals(rows.get(one), Instant.parse(JSON.readTree(shown.body()).get("nextRefreshAt").asText()));
        assertEquals(dueOnes + 1, counted.dueReadsOne(), "one credential shown, one read of its due time");
        dueOnes = counted.dueReadsOne();

        HttpResponse<String> overview = a.consolePage("/ui/");
        assertEquals(200, overview.statusCode());
        assertFalse(overview.body().contains("not planned"), "the console shows every next refresh");
        assertTrue(overview.body().contains("gazelle:acct39"), "the console lists the credentials");
        assertEquals(dueOnes, counted.dueReadsOne(), "the console reads no due time per credential either");
        assertEquals(0, counted.otherLists() + counted.plannerLists(), "nothing read the whole table");

        String startLine = a.log().lines().filter(line -> line.contains("tokenkeeper listening on")).findFirst().orElseThrow();
        assertTrue(startLine.contains("credentials planned in the store's due queue"), startLine);
        assertFalse(startLine.contains("0 credentials planned"), startLine);
        assertNoSecretIn(a);
    }

    @Test
    void aCredentialDeletedThroughAnotherDaemonIsNoLongerServedFromThisOnesCacheAndAChangeReplacesIt()
            throws Exception {
        Map<String, String> key = SharedMasterKey.in(temp);
        TokenkeeperExtension a = daemon(key);
        TokenkeeperExtension b = daemon(key);
        importAll(a);
        String deleted = "/api/v1/credentials/gazelle:acct0";
        String changed = "/api/v1/credentials/gazelle:acct1";
        assertEquals(200, b.call("GET", deleted + "/token", null).statusCode());
        String before = JSON.readTree(b.call("GET", changed + "/token", null).body()).get("token").asText();
        assertTrue(b.credentials().cache().get(CredentialId.parse("gazelle:acct0")).isPresent(), "b holds it opened");

        assertEquals(204, a.call("DELETE", deleted, null).statusCode());
        HttpResponse<String> refreshed = a.call("POST", changed + "/refresh?force=true", "");
        assertEquals(200, refreshed.statusCode(), refreshed.body());
        // b hears of both through PostgreSQL's NOTIFY on a thread of its own: a wait on the wall clock.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() ->
                b.credentials().cache().get(CredentialId.parse("gazelle:acct0")).isEmpty());
        assertEquals(404, b.call("GET", deleted + "/token", null).statusCode(), "the deleted credential is not served");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() ->
                !JSON.readTree(b.call("GET", changed + "/token", null).body()).get("token").asText().equals(before));
        assertEquals(1, gazelle.refreshRequestCount(), "b took the other daemon's refresh, not one of its own");
        assertEquals(CREDENTIALS - 1, nextDueInDatabase().size(), "the change stays planned by the daemon that made it");
        assertNoSecretIn(a, b);
    }

    private static Map<String, Instant> shownNextRefresh(HttpResponse<String> list) throws Exception {
        Map<String, Instant> shown = new java.util.TreeMap<>();
        for (JsonNode credential : JSON.readTree(list.body())) {
            JsonNode at = credential.get("nextRefreshAt");
            assertTrue(at != null && !at.isNull(), "a next refresh time: " + credential);
            shown.put(credential.get("id").asText(), Instant.parse(at.asText()));
        }
        return shown;
    }

    /** @return each planned row's {@code next_due}, by id */
    private Map<String, Instant> nextDueInDatabase() throws Exception {
        Map<String, Instant> due = new java.util.TreeMap<>();
        try (Connection connection = POSTGRES.connect(); Statement sql = connection.createStatement();
             ResultSet rows = sql.executeQuery("SELECT id, next_due FROM " + schema + ".credentials WHERE next_due > 0")) {
            while (rows.next()) {
                due.put(rows.getString(1), Instant.ofEpochMilli(rows.getLong(2)));
            }
        }
        return due;
    }

    private TokenkeeperExtension daemon(Map<String, String> key) {
        return daemon(key, PostgresTokenStore::new);
    }

    private TokenkeeperExtension daemon(Map<String, String> key, Supplier<TokenStore> store) {
        TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
                .settings(gazelle.settings()).settings(POSTGRES.settings(schema)).settings(key)
                .setting("TOKENKEEPER_REFRESH_THREADS", "2")
                .setting("TOKENKEEPER_LEASE_SECONDS", Long.toString(LEASE.toSeconds()))
                .store(store);
        daemons.add(daemon);
        daemon.start();
        return daemon;
    }

    private void importAll(TokenkeeperExtension target) {
        for (int i = 0; i < CREDENTIALS; i++) {
            String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain("acct" + i)).toString();
            HttpResponse<String> imported = target.call("PUT", "/api/v1/credentials/gazelle:acct" + i, body);
            assertEquals(201, imported.statusCode(), imported.body());
        }
    }

    /** Every chain was refreshed once, and no refresh token was presented twice. */
    private void assertExactlyOnce() {
        Map<String, Integer> perChain = gazelle.refreshesPerChain();
        assertEquals(CREDENTIALS, perChain.size(), "every credential was refreshed: " + perChain);
        Set<Integer> counts = perChain.values().stream().collect(Collectors.toSet());
        assertEquals(Set.of(1), counts, "each exactly once: " + perChain);
        assertEquals(0, gazelle.reuseCount(), "no refresh token spent twice");
        assertEquals(CREDENTIALS, gazelle.refreshRequestCount());
    }

    private static double refreshes(TokenkeeperExtension daemon) {
        HttpResponse<String> metrics = daemon.call("GET", "/metrics", null);
        assertEquals(200, metrics.statusCode());
        return PrometheusText.parse(metrics.body()).value("tokenkeeper_refreshes_total",
                Map.of("provider", "gazelle", "outcome", "refreshed"));
    }

    private void assertNoSecretIn(TokenkeeperExtension... daemons) {
        for (TokenkeeperExtension daemon : daemons) {
            String log = daemon.log();
            for (String secret : gazelle.allIssuedSecrets()) {
                assertFalse(log.contains(secret), "an issued secret (" + secret.length() + " characters) is in a log");
            }
        }
    }
}
