package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.CredentialId;
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

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a store with a due queue (PostgreSQL) the daemon writes no note per refresh: the claim's lease
 * row records the work in flight, and the daemon records once per start which lease owner name its
 * run uses. A run that died after its claimed refresh reached the upstream (the answer lost with the
 * process) leaves that row leased under its name; the next run on the same state folder finds it in
 * the store and presents the refresh token again at once, within the lease and without a tick, which
 * a Doorkeeper-like upstream accepts in its grace. The crash is staged in the store and at the
 * upstream exactly as the dead run left them (its claim under its recorded name, the refresh token
 * spent); the daemon itself is real and restarted on its state folder.
 */
class ClaimRecoveryInProcessTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LIFETIME = Duration.ofHours(1);
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final CredentialId ID = CredentialId.parse("gazelle:acct0");

    @TempDir
    Path temp;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock).accessLifetime(LIFETIME).doorkeeper(true);
    private final String schema = PostgresServer.freshSchema();
    private TokenkeeperExtension daemon;
    private PostgresTokenStore store;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.stop();
        }
        if (store != null) {
            store.close();
        }
        gazelle.close();
    }

    @Test
    void aRunKilledWithAClaimedRefreshSentUpstreamIsResumedAtOnceByTheNextRunOnItsStateFolder() throws Exception {
        daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
                .settings(gazelle.settings()).settings(POSTGRES.settings(schema)).settings(SharedMasterKey.in(temp))
                .setting("TOKENKEEPER_LEASE_SECONDS", Long.toString(LEASE.toSeconds())).store(PostgresTokenStore::new);
        daemon.start();
        String chain = gazelle.seedChain("acct0");
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("tokenJson", chain).toString());
        assertEquals(201, imported.statusCode(), imported.body());
        assertFalse(Files.exists(daemon.stateDirectory().resolve("inflight")), "no in-flight notes on a due queue");
        Path owners = daemon.stateDirectory().resolve("lease-owners");
        String firstRun = Files.readString(owners).strip();
        assertTrue(firstRun.matches(".+/\\d+/[0-9a-f]{8}"), "the run's lease owner name is recorded: " + firstRun);

        // What the first run left when it was killed: its claim of the due row, and the refresh token
        // spent upstream, whose answer died with it.
        clock.advance(LIFETIME.minusMinutes(3));
        store = new PostgresTokenStore();
        store.open(new TestContext(POSTGRES.settings(schema), temp.resolve("dead"), clock));
        Instant claimedAt = clock.instant();
        List<DueWork.Claim> claimed = store.claimDue(firstRun, claimedAt, claimedAt.plus(LEASE), 10);
        assertEquals(1, claimed.size(), "the credential was due and claimed under the first run's name");
        assertEquals(200, spend(JSON.readTree(chain).get("refresh_token").asText()), "the lost refresh reached the upstream");
        assertEquals(1, gazelle.refreshRequestCount());

        daemon.restart();
        String secondRun = Files.readString(owners).lines().findFirst().orElseThrow();
        assertFalse(secondRun.equals(firstRun), "each run names itself");
        // No tick and no clock move: the start itself presents the token again, inside the first run's lease.
        await().atMost(Duration.ofSeconds(20)).until(() -> store.get(ID).orElseThrow().version() == 2);
        assertEquals(2, gazelle.refreshRequestCount(), "presented again once");
        assertEquals(1, gazelle.graceRefreshCount(), "the second presentation of the spent token, in Doorkeeper's grace");
        assertEquals(0, gazelle.reuseCount(), "no refresh token presented outside the grace");
        assertEquals(claimedAt, clock.instant(), "within the first run's lease: the clock did not move");
        assertEquals("active", JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + ID, null).body())
                .get("status").asText());
        assertTrue(daemon.log().contains(ID + " was claimed by this daemon's previous run (" + firstRun + ")"), daemon.log());
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(owners).strip().equals(secondRun));
        assertTrue(store.nextDue(ID).orElseThrow().isAfter(clock.instant()), "planned again after the recovered refresh");

        // A clean restart leaves nothing claimed: nothing is presented again.
        daemon.runDue();
        daemon.restart();
        daemon.runDue();
        assertEquals(2, gazelle.refreshRequestCount(), "nothing refreshed after the recovery");
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(daemon.log().contains(secret), "an issued secret (" + secret.length() + " characters) is in the log");
            assertFalse(Files.readString(owners).contains(secret), "an issued secret is in the owners file");
        }
    }

    /** Presents a refresh token to the upstream as the dead run did. */
    private int spend(String refreshToken) throws Exception {
        String form = "grant_type=refresh_token&refresh_token=" + URLEncoder.encode(refreshToken, StandardCharsets.UTF_8)
                + "&client_id=" + URLEncoder.encode(gazelle.clientId(), StandardCharsets.UTF_8)
                + "&client_secret=" + URLEncoder.encode(gazelle.clientSecret(), StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(gazelle.tokenUrl()).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
