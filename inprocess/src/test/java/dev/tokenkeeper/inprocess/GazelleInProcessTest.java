package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon against the Gazelle imitation (rotating refresh tokens) on the controlled clock: a chain
 * kept fresh over cycles with each refresh token spent once, one refresh for many consumers of an
 * expired token, a consumer's report, {@code invalid_grant} and an outage retried with growing
 * delays. Every test ends by looking for every secret the imitation issued in the daemon's log and
 * in the answers that were not asked for a token.
 */
class GazelleInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = "gazelle:default";

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final List<String> answers = new ArrayList<>();

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings())
            .setting("TOKENKEEPER_RETRY_BASE_SECONDS", "1")
            .setting("TOKENKEEPER_RETRY_MAX_SECONDS", "30");

    @AfterEach
    void lookForSecretsAndClose() {
        try {
            List<String> texts = new ArrayList<>(answers);
            texts.add(daemon.log());
            for (String text : texts) {
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(text.contains(secret), "an issued token, code or the client secret leaked");
                }
            }
        } finally {
            gazelle.close();
        }
    }

    @Test
    void startsWithNoConfigurationAndAnswersHealth() {
        assertTrue(Files.exists(daemon.stateDirectory().resolve("admin-token")));
        assertTrue(Files.exists(daemon.stateDirectory().resolve("master.key")));
        assertEquals(401, daemon.callAs(null, "GET", "/api/v1/credentials", null).statusCode(),
                "the API needs the admin token");
        assertEquals(401, daemon.callAs("not-the-admin-token", "GET", "/api/v1/credentials", null).statusCode());
        HttpResponse<String> list = daemon.call("GET", "/api/v1/credentials", null);
        assertEquals(200, list.statusCode());
        assertEquals("[]", list.body().strip(), "no credentials yet");
        assertEquals(200, daemon.callAs(null, "GET", "/healthz", null).statusCode());
    }

    /** Hour-long tokens refreshed one margin before their end: every answer over six cycles is a token the upstream takes. */
    @Test
    void keepsRotatingTokensFreshAcrossFiveCyclesAndSpendsEachRefreshTokenOnce() throws Exception {
        gazelle.accessLifetime(Duration.ofHours(1));
        importChain("default");
        Set<String> seen = new HashSet<>();
        List<String> invalid = new ArrayList<>();
        Instant deadline = clock.instant().plus(Duration.ofHours(12));
        while (gazelle.refreshRequestCount() < 6 && clock.instant().isBefore(deadline)) {
            daemon.advance(Duration.ofMinutes(1));
            String value = token("/api/v1/credentials/" + ID + "/token?minValidity=0");
            seen.add(value);
            if (!gazelle.isAccessTokenValid(value)) {
                invalid.add(clock.instant().toString());
            }
        }
        assertTrue(gazelle.refreshRequestCount() >= 6, "only " + gazelle.refreshRequestCount() + " refreshes in 12 h");
        assertEquals(List.of(), invalid, "the daemon served a token the upstream no longer accepted");
        assertEquals(0, gazelle.reuseCount(), "a refresh token was spent twice");
        assertEquals(gazelle.refreshRequestCount(), gazelle.spentRefreshTokens().size(), "each refresh spent a distinct token");
        assertTrue(seen.size() >= 5, "saw " + seen.size() + " distinct access tokens");

        String printed = token("/api/v1/credentials/" + ID + "/token?minValidity=1");
        assertTrue(gazelle.isAccessTokenValid(printed), "a token valid for a second more is one the upstream takes");
        assertTrue(gazelle.allIssuedSecrets().contains(printed), "an issued access token");
        JsonNode history = JSON.readTree(answer("GET", "/api/v1/credentials/" + ID + "/history").body());
        assertTrue(history.size() >= 6, history.toString());
    }

    @Test
    void twentyConcurrentReadsOfAnExpiredTokenCauseOneRefresh() throws Exception {
        daemon.assembly().scheduler().pause();
        JsonNode seeded = JSON.readTree(gazelle.seedChain("default"));
        // The chain, stamped as issued 45 s ago with a 60 s lifetime: still valid at the import (an
        // import already expired is refreshed at once), expired 15 s later.
        long createdAt = clock.instant().getEpochSecond() - 45;
        String expiring = JSON.createObjectNode().put("access_token", seeded.get("access_token").asText())
                .put("refresh_token", seeded.get("refresh_token").asText()).put("expires_in", 60)
                .put("created_at", createdAt).toString();
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("tokenJson", expiring).toString());
        assertEquals(201, imported.statusCode(), imported.body());
        assertEquals(0, gazelle.refreshRequestCount());
        daemon.advance(Duration.ofSeconds(16));

        ExecutorService pool = Executors.newFixedThreadPool(20);
        long started = System.nanoTime();
        try {
            List<Callable<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(() -> daemon.call("GET", "/api/v1/credentials/" + ID + "/token", null));
            }
            Set<String> tokens = new HashSet<>();
            for (Future<HttpResponse<String>> future : pool.invokeAll(calls, 60, TimeUnit.SECONDS)) {
                HttpResponse<String> response = future.get();
                assertEquals(200, response.statusCode(), response.body());
                tokens.add(JSON.readTree(response.body()).get("token").asText());
            }
            System.out.printf("20 concurrent reads of an expired token: %d ms%n", (System.nanoTime() - started) / 1_000_000);
            assertEquals(1, gazelle.refreshRequestCount(), "single flight: exactly one upstream refresh");
            assertEquals(1, tokens.size(), "all 20 got the same token");
            assertTrue(gazelle.isAccessTokenValid(tokens.iterator().next()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void consumerReportingA401GetsTheNewTokenWithoutASecondRefresh() throws Exception {
        daemon.assembly().scheduler().pause();
        importChain("default");
        // Past the least time between two refreshes (1 s; the import counts as one).
        daemon.advance(Duration.ofSeconds(2));
        String old = token("/api/v1/credentials/" + ID + "/token");
        gazelle.revokeAccessToken("default");
        String body = JSON.createObjectNode().put("token", old).toString();
        HttpResponse<String> first = daemon.call("POST", "/api/v1/credentials/" + ID + "/rejected", body);
        assertEquals(200, first.statusCode(), first.body());
        String fresh = JSON.readTree(first.body()).get("token").asText();
        assertTrue(gazelle.isAccessTokenValid(fresh));
        HttpResponse<String> second = daemon.call("POST", "/api/v1/credentials/" + ID + "/rejected", body);
        assertEquals(200, second.statusCode(), second.body());
        assertEquals(fresh, JSON.readTree(second.body()).get("token").asText(), "a late report of the old token gets the new one");
        assertEquals(1, gazelle.refreshRequestCount(), "the second report caused no refresh");
    }

    @Test
    void invalidGrantNeedsAHumanAndIsNotRetried() throws Exception {
        importChain("default");
        gazelle.tokenFault(FakeGazelle.Fault.invalidGrant());
        HttpResponse<String> refresh = answer("POST", "/api/v1/credentials/" + ID + "/refresh?force=true");
        assertEquals("requires_configuration", JSON.readTree(refresh.body()).path("outcome").asText(), refresh.body());
        JsonNode credential = credential();
        assertEquals("requires_configuration", credential.get("status").asText());
        assertTrue(credential.get("lastError").asText().contains("invalid_grant"), credential.toString());
        int attempts = gazelle.refreshRequestCount();
        // A day of clock time, in which a retry loop (base delay 1 s) would have tried many times.
        daemon.advance(Duration.ofDays(1));
        assertEquals(attempts, gazelle.refreshRequestCount(), "no retries after invalid_grant");
        HttpResponse<String> token = answer("GET", "/api/v1/credentials/" + ID + "/token");
        assertEquals(409, token.statusCode(), token.body());
        assertTrue(daemon.log().contains("needs a human"), "the log names the credential that needs a human");
    }

    @Test
    void unavailableUpstreamIsRetriedWithGrowingDelaysWhileTheOldTokenIsServed() throws Exception {
        gazelle.accessLifetime(Duration.ofHours(1));
        importChain("default");
        String old = token("/api/v1/credentials/" + ID + "/token");
        gazelle.tokenFaultForNext(2, FakeGazelle.Fault.serviceUnavailable());
        gazelle.tokenFaultForNext(2, FakeGazelle.Fault.dropConnection());
        // A forced refresh starts the chain of retries; the schedule carries on from there.
        answer("POST", "/api/v1/credentials/" + ID + "/refresh?force=true");
        assertEquals("active", credential().get("status").asText(), "still active while the token is valid");
        assertEquals(old, token("/api/v1/credentials/" + ID + "/token"), "the old token is served meanwhile");
        Instant deadline = clock.instant().plus(Duration.ofMinutes(10));
        while (!(gazelle.refreshRequestCount() >= 5 && !gazelle.isAccessTokenValid(old)) && clock.instant().isBefore(deadline)) {
            daemon.advance(Duration.ofSeconds(1));
        }
        List<Instant> times = gazelle.refreshRequestTimes();
        assertTrue(times.size() >= 5 && !gazelle.isAccessTokenValid(old), "retried until it worked: " + times);
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < 5; i++) {
            gaps.add(Duration.between(times.get(i - 1), times.get(i)).toMillis());
        }
        assertTrue(gaps.get(3) > gaps.get(0), "delays grow: " + gaps);
        assertTrue(gaps.get(2) >= gaps.get(0), "delays grow: " + gaps);
        assertTrue(gazelle.isAccessTokenValid(token("/api/v1/credentials/" + ID + "/token")), "the new token is served");
        assertEquals(0, gazelle.reuseCount(), "the chain is intact after the outage");
        assertEquals("active", credential().get("status").asText());
    }

    private void importChain(String account) {
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account,
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString());
        assertEquals(201, imported.statusCode(), imported.body());
    }

    /** @return the token a GET of that path hands out */
    private String token(String path) throws IOException {
        HttpResponse<String> answer = daemon.call("GET", path, null);
        assertEquals(200, answer.statusCode(), answer.body());
        return JSON.readTree(answer.body()).get("token").asText();
    }

    /** An admin call whose answer holds no token: kept for the secret check. */
    private HttpResponse<String> answer(String method, String path) {
        HttpResponse<String> answer = daemon.call(method, path, null);
        answers.add(answer.body());
        return answer;
    }

    private JsonNode credential() {
        HttpResponse<String> answer = answer("GET", "/api/v1/credentials/" + ID);
        assertEquals(200, answer.statusCode(), answer.body());
        try {
            return JSON.readTree(answer.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
