package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real daemon process, built from the distribution, against a local imitation of Gazelle's
 * OAuth server with rotating refresh tokens and lifetimes of a few seconds.
 */
class GazelleEndToEndTest {

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private final List<DaemonProcess> daemons = new ArrayList<>();

    @BeforeEach
    void startUpstream() {
        gazelle = FakeGazelle.start();
    }

    @AfterEach
    void stopAndCheckOutputForSecrets() throws Exception {
        for (DaemonProcess daemon : daemons) {
            daemon.stop();
        }
        try {
            for (DaemonProcess daemon : daemons) {
                assertNoSecretIn(daemon.output(), "daemon output");
            }
        } finally {
            gazelle.close();
        }
    }

    private void assertNoSecretIn(String text, String where) {
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(text.contains(secret), where + " contains an issued token or code");
        }
        assertFalse(text.contains(gazelle.clientSecret()), where + " contains the client secret");
    }

    private DaemonProcess daemon(Path state, Map<String, String> extra) throws Exception {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.putAll(extra);
        DaemonProcess daemon = new DaemonProcess(state, env);
        daemons.add(daemon);
        return daemon.start();
    }

    private Path tokenFile(String json) throws Exception {
        Path file = Files.createTempFile(temp, "token", ".json");
        Files.writeString(file, json);
        return file;
    }

    private String importChain(DaemonProcess daemon, String account) throws Exception {
        DaemonProcess.Response imported = daemon.cli("import", "gazelle", "--account", account,
                "--token-json", tokenFile(gazelle.seedChain(account)).toString());
        assertEquals(0, imported.status(), imported.body());
        assertTrue(imported.body().contains("imported gazelle:" + account), imported.body());
        return "gazelle:" + account;
    }

    private JsonNode credential(DaemonProcess daemon, String id) throws Exception {
        DaemonProcess.Response response = daemon.call("GET", "/api/v1/credentials/" + id, null);
        assertEquals(200, response.status(), response.body());
        return response.json();
    }

    @Test
    void startsWithNoConfigurationAndAnswersHealth() throws Exception {
        DaemonProcess daemon = new DaemonProcess(temp.resolve("bare"), Map.of());
        daemons.add(daemon);
        daemon.start();
        assertTrue(Files.exists(temp.resolve("bare/admin-token")));
        assertTrue(Files.exists(temp.resolve("bare/master.key")));
        java.net.http.HttpResponse<String> anonymous = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(daemon.baseUrl() + "/api/v1/credentials")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode(), "the API needs the admin token");
        assertEquals(200, daemon.call("GET", "/api/v1/credentials", null).status());
        DaemonProcess.Response status = daemon.cli("status");
        assertEquals(0, status.status(), status.body());
        assertTrue(status.body().contains("no credentials yet"), status.body());
        DaemonProcess.Response providers = daemon.cli("providers");
        assertTrue(providers.body().contains("gazelle") && providers.body().contains("sqlite"), providers.body());
    }

    @Test
    void keepsRotatingTokensFreshAcrossFiveCyclesAndSpendsEachRefreshTokenOnce() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(4));
        DaemonProcess daemon = daemon(temp.resolve("state"), Map.of());
        String id = importChain(daemon, "default");

        Set<String> seen = new HashSet<>();
        int invalidObservations = 0;
        Instant deadline = Instant.now().plusSeconds(60);
        while (gazelle.refreshRequestCount() < 6 && Instant.now().isBefore(deadline)) {
            // Anchored at the request, not at the check: a loaded machine may take long between the two.
            Instant asked = Instant.now();
            DaemonProcess.Response token = daemon.call("GET", "/api/v1/credentials/" + id + "/token?minValidity=0", null);
            assertEquals(200, token.status(), token.body());
            String value = token.json().get("token").asText();
            seen.add(value);
            if (!gazelle.isAccessTokenValid(value) && !refreshedSince(asked.minusSeconds(1))) {
                invalidObservations++;
            }
            Thread.sleep(250);
        }
        assertTrue(gazelle.refreshRequestCount() >= 6, "only " + gazelle.refreshRequestCount() + " refreshes in 60 s");
        assertEquals(0, invalidObservations, "the daemon served a token the upstream no longer accepted");
        assertEquals(0, gazelle.reuseCount(), "a refresh token was spent twice");
        assertEquals(gazelle.refreshRequestCount(), gazelle.spentRefreshTokens().size(), "each refresh spent a distinct token");
        assertTrue(seen.size() >= 5, "saw " + seen.size() + " distinct access tokens");

        Instant askedCli = Instant.now();
        DaemonProcess.Response cliToken = daemon.cli("token", id, "--min-validity", "1");
        assertEquals(0, cliToken.status(), cliToken.body());
        String printed = cliToken.body().trim();
        // The token rotates every ~3 s: it may have been replaced since the CLI printed it, but not longer ago.
        assertTrue(gazelle.isAccessTokenValid(printed) || refreshedSince(askedCli.minusSeconds(1)),
                "`token` printed a token the upstream rejects");
        assertTrue(gazelle.allIssuedSecrets().contains(printed), "`token` printed an issued access token");
        assertNoSecretIn(daemon.cli("status").body(), "status output");
        JsonNode history = daemon.call("GET", "/api/v1/credentials/" + id + "/history", null).json();
        assertTrue(history.size() >= 6, history.toString());
    }

    /** @return whether a refresh reached the upstream after {@code since} (the token served may be replaced since) */
    private boolean refreshedSince(Instant since) {
        List<Instant> times = gazelle.refreshRequestTimes();
        return !times.isEmpty() && times.get(times.size() - 1).isAfter(since);
    }

    @Test
    void twentyConcurrentReadsOfAnExpiredTokenCauseOneRefresh() throws Exception {
        DaemonProcess daemon = daemon(temp.resolve("state"), Map.of("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"));
        String seeded = gazelle.seedChain("default");
        JsonNode json = DaemonProcess.JSON.readTree(seeded);
        // The same chain, stamped as issued 45 s ago with a 60 s lifetime: still valid at the import (an
        // import already expired is refreshed at once), expired moments later.
        long createdAt = Instant.now().getEpochSecond() - 45;
        String expired = "{\"access_token\":\"" + json.get("access_token").asText() + "\",\"refresh_token\":\""
                + json.get("refresh_token").asText() + "\",\"expires_in\":60,\"created_at\":" + createdAt + "}";
        DaemonProcess.Response imported = daemon.cli("import", "gazelle", "--token-json", tokenFile(expired).toString());
        assertEquals(0, imported.status(), imported.body());
        assertEquals(0, gazelle.refreshRequestCount());
        await().atMost(Duration.ofSeconds(30)).until(() -> Instant.now().getEpochSecond() > createdAt + 60);

        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Callable<DaemonProcess.Response>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(() -> daemon.call("GET", "/api/v1/credentials/gazelle:default/token", null));
            }
            Set<String> tokens = new HashSet<>();
            for (Future<DaemonProcess.Response> future : pool.invokeAll(calls)) {
                DaemonProcess.Response response = future.get();
                assertEquals(200, response.status(), response.body());
                tokens.add(response.json().get("token").asText());
            }
            assertEquals(1, gazelle.refreshRequestCount(), "single flight: exactly one upstream refresh");
            assertEquals(1, tokens.size(), "all 20 got the same token");
            assertTrue(gazelle.isAccessTokenValid(tokens.iterator().next()));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void consumerReportingA401GetsTheNewTokenWithoutASecondRefresh() throws Exception {
        // No minimum interval: the report comes moments after the import.
        DaemonProcess daemon = daemon(temp.resolve("state"), Map.of("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false",
                "TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0"));
        String id = importChain(daemon, "default");
        String old = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null).json().get("token").asText();
        gazelle.revokeAccessToken("default");
        String body = "{\"token\":\"" + old + "\"}";
        DaemonProcess.Response first = daemon.call("POST", "/api/v1/credentials/" + id + "/rejected", body);
        assertEquals(200, first.status(), first.body());
        String fresh = first.json().get("token").asText();
        assertTrue(gazelle.isAccessTokenValid(fresh));
        DaemonProcess.Response second = daemon.call("POST", "/api/v1/credentials/" + id + "/rejected", body);
        assertEquals(fresh, second.json().get("token").asText(), "a late report of the old token gets the new one");
        assertEquals(1, gazelle.refreshRequestCount(), "the second report caused no refresh");
    }

    @Test
    void survivesKill9AndKeepsNoTokenInClearOnDisk() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(4));
        Path state = temp.resolve("state");
        DaemonProcess daemon = daemon(state, Map.of());
        String a = importChain(daemon, "a");
        String b = importChain(daemon, "b");
        await().atMost(Duration.ofSeconds(30)).until(() -> gazelle.refreshRequestCount() >= 2);
        daemon.kill9();
        int before = gazelle.refreshRequestCount();

        DaemonProcess again = daemon(state, Map.of());
        for (String id : List.of(a, b)) {
            assertEquals("active", credential(again, id).get("status").asText());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> gazelle.refreshRequestCount() >= before + 4);
        for (String id : List.of(a, b)) {
            String token = again.call("GET", "/api/v1/credentials/" + id + "/token?minValidity=1", null).json().get("token").asText();
            assertTrue(gazelle.isAccessTokenValid(token), id + " serves a valid token after the restart");
        }
        assertEquals(0, gazelle.reuseCount());
        again.stop();

        byte[] database = Files.readAllBytes(state.resolve("tokenkeeper.db"));
        String raw = new String(database, StandardCharsets.ISO_8859_1);
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(raw.contains(secret), "the database holds a token in clear text");
        }
    }

    @Test
    void invalidGrantNeedsAHumanAndIsNotRetried() throws Exception {
        DaemonProcess daemon = daemon(temp.resolve("state"), Map.of());
        String id = importChain(daemon, "default");
        gazelle.tokenFault(FakeGazelle.Fault.invalidGrant());
        DaemonProcess.Response refresh = daemon.cli("refresh", id, "--force");
        assertEquals(1, refresh.status(), refresh.body());
        JsonNode credential = credential(daemon, id);
        assertEquals("requires_configuration", credential.get("status").asText());
        assertTrue(credential.get("lastError").asText().contains("invalid_grant"), credential.toString());
        int attempts = gazelle.refreshRequestCount();
        // A window in which a retry loop (base delay 1 s) would have tried several times.
        await("no retries after invalid_grant").during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10))
                .until(() -> gazelle.refreshRequestCount() == attempts);
        DaemonProcess.Response token = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null);
        assertEquals(409, token.status(), token.body());
        assertTrue(daemon.output().contains("needs a human"), "the log names the credential that needs a human");
    }

    @Test
    void unavailableUpstreamIsRetriedWithGrowingDelaysWhileTheOldTokenIsServed() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(120));
        DaemonProcess daemon = daemon(temp.resolve("state"), Map.of("TOKENKEEPER_RETRY_MAX_SECONDS", "30"));
        String id = importChain(daemon, "default");
        String old = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null).json().get("token").asText();
        gazelle.tokenFaultForNext(2, FakeGazelle.Fault.serviceUnavailable());
        gazelle.tokenFaultForNext(2, FakeGazelle.Fault.dropConnection());
        // A forced refresh starts the chain of retries; the schedule carries on from there.
        daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        assertEquals("active", credential(daemon, id).get("status").asText(), "still active while the token is valid");
        assertEquals(old, daemon.call("GET", "/api/v1/credentials/" + id + "/token", null).json().get("token").asText(),
                "the old token is served meanwhile");
        await().atMost(Duration.ofSeconds(60)).until(() -> gazelle.refreshRequestCount() >= 5
                && !gazelle.isAccessTokenValid(old));
        List<Instant> times = gazelle.refreshRequestTimes();
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < 5; i++) {
            gaps.add(Duration.between(times.get(i - 1), times.get(i)).toMillis());
        }
        assertTrue(gaps.get(3) > gaps.get(0), "delays grow: " + gaps);
        assertTrue(gaps.get(2) >= gaps.get(0), "delays grow: " + gaps);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String now = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null).json().get("token").asText();
            return gazelle.isAccessTokenValid(now);
        });
        assertEquals(0, gazelle.reuseCount(), "the chain is intact after the outage");
        assertEquals("active", credential(daemon, id).get("status").asText());
    }
}
