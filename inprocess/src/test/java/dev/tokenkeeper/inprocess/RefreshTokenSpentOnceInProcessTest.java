package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import dev.tokenkeeper.daemon.refresh.RefreshTrigger;
import dev.tokenkeeper.daemon.spool.SpooledStore;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rotating refresh token is spent exactly once, also when a refresh stalls (a starved machine, a
 * stuck store): two daemons on one SQLite file and one key, on the test's clock, against the strict
 * Gazelle imitation, which counts every spent refresh token presented again. Each test stalls one
 * daemon's refresh at one point (waiting for an upstream turn, between the upstream's answer and
 * the commit, a commit the store took but answered as lost), moves the clock past the lease, lets
 * the other daemon refresh, and then lets the stalled one go on. (Without a change feed, the daemon
 * that did not refresh last serves its cached token until the sweep or a consumer's 401 report: the
 * tests check its stored row, and the tokens served by the daemon that refreshed last.) The stalls are held by the test
 * (a {@link FaultGate} in front of the imitation, a {@link StallingStore} in front of SQLite); the
 * only wall-clock wait is for the lease renewal, a thread of its own, bounded.
 */
@Timeout(120)
class RefreshTokenSpentOnceInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String C = "gazelle:c";
    private static final CredentialId ID = CredentialId.parse(C);

    @TempDir
    Path temp;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final List<TokenkeeperExtension> daemons = new ArrayList<>();
    private final ExecutorService background = Executors.newCachedThreadPool();
    private FaultGate gate;
    private Map<String, String> shared;

    @BeforeEach
    void sharedFileAndKey() {
        shared = new HashMap<>(SharedMasterKey.in(temp));
        shared.put("TOKENKEEPER_SQLITE_PATH", temp.resolve("tokens.db").toString());
        // No periodic push of the spool while a test looks at it: only what the daemon does on its own path.
        shared.put("TOKENKEEPER_SPOOL_RETRY_SECONDS", "3600");
        gate = new FaultGate(gazelle.baseUrl(), FakeGazelle.TOKEN_PATH, clock);
    }

    @AfterEach
    void stopAndCheckLogsForSecrets() {
        try {
            for (TokenkeeperExtension daemon : daemons) {
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(daemon.log().contains(secret), "a daemon's log holds a token");
                }
            }
        } finally {
            background.shutdownNow();
            gate.close();
            daemons.forEach(TokenkeeperExtension::stop);
            gazelle.close();
        }
    }

    /**
     * Daemon A waits for an upstream turn (its provider's one call slot is busy) while holding the
     * lease; the lease runs out, daemon B refreshes. When A's turn comes, it must not present the
     * refresh token B has spent.
     */
    @Test
    void aRefreshThatWaitedForAnUpstreamTurnPastItsLeaseSendsNothingAnotherDaemonSpent() throws Exception {
        TokenkeeperExtension a = daemon(throughGate(Map.of("TOKENKEEPER_PROVIDER_CONCURRENCY", "1")));
        TokenkeeperExtension b = daemon(Map.of());
        importChain(a, "c");
        importChain(a, "d");
        Duration lease = Duration.ofSeconds(120); // TOKENKEEPER_LEASE_SECONDS' default

        gate.failNext(1, FaultGate.Play.HOLD);
        Future<RefreshReport> holdsTheSlot = background.submit(() -> forced(a, CredentialId.parse("gazelle:d")));
        await().atMost(Duration.ofSeconds(20)).until(() -> gate.refreshAttempts().size() == 1);
        Future<RefreshReport> waitsForATurn = background.submit(() -> forced(a, ID));
        // Its note (beside d's) is written after the lease and the read under it, right before the wait for a turn.
        await().atMost(Duration.ofSeconds(20)).until(() -> inflightNotes(a) == 2);

        clock.advance(lease.plusSeconds(1));
        RefreshReport byB = forced(b, ID);
        assertInstanceOf(RefreshReport.Refreshed.class, byB, "B refreshed once A's lease had run out: " + byB);

        gate.releaseHeld();
        assertInstanceOf(RefreshReport.Refreshed.class, holdsTheSlot.get(30, TimeUnit.SECONDS));
        RefreshReport byA = waitsForATurn.get(30, TimeUnit.SECONDS);

        assertEquals(0, gazelle.reuseCount(), "A presented the refresh token B had spent");
        assertInstanceOf(RefreshReport.Skipped.class, byA, "A sent nothing: " + byA);
        assertEquals(byB.credential().version(), a.credentials().get(ID).version());
        assertServes(b, "c");
        assertInstanceOf(RefreshReport.Refreshed.class, forced(a, ID), "A refreshes from B's pair afterwards");
        assertEquals(0, gazelle.reuseCount());
        assertServes(a, "c");
    }

    /**
     * The upstream answered daemon A, whose commit then waits for the store: A keeps its lease alive
     * meanwhile (renewed on the store), so daemon B, asked to refresh, waits for A's commit instead
     * of presenting the refresh token A has just spent.
     */
    @Test
    void aRefreshWhoseAnswerWaitsForTheStoreKeepsItsLease() throws Exception {
        Duration lease = Duration.ofSeconds(6);
        StallingStore store = new StallingStore();
        TokenkeeperExtension a = daemon(Map.of("TOKENKEEPER_LEASE_SECONDS", "6"), store);
        TokenkeeperExtension b = daemon(Map.of("TOKENKEEPER_LEASE_SECONDS", "6"));
        importChain(a, "c");
        int refreshesBefore = gazelle.refreshRequestCount();

        store.holdNextCommit();
        Future<RefreshReport> byA = background.submit(() -> forced(a, ID));
        store.awaitHeldCommit();
        assertEquals(refreshesBefore + 1, gazelle.refreshRequestCount(), "A's refresh was answered");

        Instant jumped = clock.advance(lease.minusSeconds(2));
        // The renewal runs every third of the lease on the wall clock.
        await().atMost(lease.multipliedBy(2)).pollInterval(Duration.ofMillis(50))
                .until(() -> leaseUntil(C).map(until -> !until.isBefore(jumped.plus(lease))).orElse(false));
        clock.advance(lease.minusSeconds(2)); // past the lease as first taken, inside the renewed one
        Future<RefreshReport> byB = background.submit(() -> forced(b, ID));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .until(() -> gazelle.refreshRequestCount() == refreshesBefore + 1);

        store.releaseCommit();
        assertInstanceOf(RefreshReport.Refreshed.class, byA.get(30, TimeUnit.SECONDS));
        RefreshReport second = byB.get(30, TimeUnit.SECONDS);
        assertInstanceOf(RefreshReport.Refreshed.class, second, "B refreshed from A's pair: " + second);
        assertEquals(0, gazelle.reuseCount(), "B presented the refresh token A had spent");
        assertEquals(refreshesBefore + 2, gazelle.refreshRequestCount());
        assertServes(b, "c");
        assertEquals(second.credential().version(), a.credentials().get(ID).version());
    }

    /**
     * Daemon A's refresh commit lands in the store, but the store answers it as lost (SQLite's group
     * commit when the caller's patience ran out first), so A keeps the new pair in its spool; the
     * lease went back with the commit. Daemon B refreshes from the store's row. A's next refresh must
     * start from the store's row, not from its spooled pair, whose refresh token B has spent.
     */
    @Test
    void aCommitTheStoreTookAfterAnsweringItAsLostIsNotRefreshedAgainFromTheSpool() throws Exception {
        StallingStore store = new StallingStore();
        TokenkeeperExtension a = daemon(Map.of(), store);
        TokenkeeperExtension b = daemon(Map.of());
        importChain(a, "c");

        store.answerNextCommitAsLost(1);
        assertInstanceOf(RefreshReport.Refreshed.class, forced(a, ID));
        assertEquals(1, ((SpooledStore) a.assembly().store()).pending(), "A spooled the pair the store took");

        clock.advance(Duration.ofMinutes(1));
        RefreshReport byB = forced(b, ID);
        assertInstanceOf(RefreshReport.Refreshed.class, byB, "B refreshed from the store's row: " + byB);

        clock.advance(Duration.ofMinutes(1));
        RefreshReport byA = forced(a, ID);
        assertEquals(0, gazelle.reuseCount(), "A presented the spooled refresh token B had spent");
        assertInstanceOf(RefreshReport.Refreshed.class, byA, "A refreshed from B's pair: " + byA);
        assertEquals(0, ((SpooledStore) a.assembly().store()).pending());
        assertEquals(byB.credential().version() + 1, b.credentials().get(ID).version());
        assertServes(a, "c");
    }

    private Map<String, String> throughGate(Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(more);
        settings.put("GAZELLE_OAUTH_TOKEN_URL", gate.baseUrl().resolve(FakeGazelle.TOKEN_PATH).toString());
        settings.put("GAZELLE_API_URL", gate.baseUrl().resolve(FakeGazelle.API_PATH).toString());
        return settings;
    }

    private TokenkeeperExtension daemon(Map<String, String> settings) {
        return daemon(settings, null);
    }

    private TokenkeeperExtension daemon(Map<String, String> settings, StallingStore store) {
        TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
                .settings(gazelle.settings()).settings(shared)
                .setting("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "30").settings(settings);
        if (store != null) {
            daemon.store(() -> store);
        }
        daemons.add(daemon);
        daemon.start();
        return daemon;
    }

    private void importChain(TokenkeeperExtension daemon, String account) {
        String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
        assertEquals(201, daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body).statusCode());
    }

    private static RefreshReport forced(TokenkeeperExtension daemon, CredentialId id) {
        return daemon.assembly().pipeline().refresh(id, new RefreshTrigger.Forced());
    }

    private void assertServes(TokenkeeperExtension daemon, String account) throws Exception {
        String served = JSON.readTree(daemon.call("GET", "/api/v1/credentials/gazelle:" + account + "/token", null)
                .body()).path("token").asText();
        // Never the tokens themselves in a failure message.
        assertTrue(gazelle.currentAccessToken(account).equals(served), "the daemon serves the upstream's current token");
    }

    private static long inflightNotes(TokenkeeperExtension daemon) throws Exception {
        Path notes = daemon.stateDirectory().resolve("inflight");
        if (!Files.isDirectory(notes)) {
            return 0;
        }
        try (var files = Files.list(notes)) {
            return files.count();
        }
    }

    private Optional<Instant> leaseUntil(String id) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + temp.resolve("tokens.db"));
             PreparedStatement query = connection.prepareStatement("SELECT lease_until FROM credentials WHERE id = ?")) {
            query.setString(1, id);
            try (ResultSet row = query.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                long until = row.getLong(1);
                return row.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(until));
            }
        }
    }
}
