package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A consumer that reports its current token as rejected in a loop (a bug, or on purpose) against the
 * real daemon and the Gazelle and Vinted imitations, which count the refreshes and validations they
 * get: the reports cost one refresh per interval, one validation beyond it, and nothing more.
 */
class ReportFloodEndToEndTest {

    /** The report interval of these tests: longer than the 5 s flood, short enough to wait out. */
    private static final int INTERVAL_SECONDS = 8;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private FakeVinted vinted;
    private DaemonProcess daemon;

    @BeforeEach
    void start() throws Exception {
        gazelle = FakeGazelle.start();
        vinted = FakeVinted.builder().accessTokenLifetime(Duration.ofHours(1)).burstLimit(10_000, Duration.ofMinutes(5))
                .start();
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("VINTED_BASE_URL", vinted.baseUrl());
        env.put("VINTED_MAX_REQUESTS_PER_5_MIN", "1000");
        // No schedule and no validation sweep: every upstream call the imitation counts is a report's.
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        env.put("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");
        env.put("TOKENKEEPER_REPORT_REFRESH_INTERVAL_SECONDS", Integer.toString(INTERVAL_SECONDS));
        daemon = new DaemonProcess(temp.resolve("state"), env).start();
        String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString();
        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:default", body);
        assertEquals(201, imported.status(), imported.body());
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (daemon != null) {
                daemon.stop();
                String output = daemon.output();
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(output.contains(secret), "the daemon's output holds an issued token");
                }
                for (String secret : vinted.allIssuedSecrets()) {
                    assertFalse(output.contains(secret), "the daemon's output holds a Vinted cookie value");
                }
            }
        } finally {
            gazelle.close();
            vinted.close();
        }
    }

    @Test
    void twentyReportsOfTheCurrentTokenInFiveSecondsCauseOneRefreshAndAfterTheIntervalOneMore() throws Exception {
        String consumer = addConsumer("flooder", "gazelle:default");
        String current = tokenOf(consumer);
        int refreshesBefore = gazelle.refreshRequestCount();
        int checksBefore = gazelle.apiRequestCount();
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<Long> retryAfters = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> answer = report(consumer, current);
            statuses.merge(answer.statusCode(), 1, Integer::sum);
            if (answer.statusCode() == 200) {
                String handedOut = DaemonProcess.JSON.readTree(answer.body()).get("token").asText();
                assertTrue(gazelle.isAccessTokenValid(handedOut), "report " + i + " got a token the upstream takes");
                if (i == 0) {
                    assertNotEquals(current, handedOut, "the first report refreshed");
                }
                current = handedOut;
            } else {
                assertEquals(429, answer.statusCode(), "report " + i + ": " + answer.body());
                JsonNode error = DaemonProcess.JSON.readTree(answer.body());
                assertEquals("too_many_reports", error.get("error").asText(), answer.body());
                assertTrue(error.get("message").asText().contains("TOKENKEEPER_REPORT_REFRESH_INTERVAL_SECONDS"),
                        "the answer names the limit: " + answer.body());
                long retryAfter = Long.parseLong(answer.headers().firstValue("Retry-After")
                        .orElseThrow(() -> new AssertionError("a 429 without Retry-After")));
                assertTrue(retryAfter >= 1 && retryAfter <= INTERVAL_SECONDS, "Retry-After " + retryAfter);
                retryAfters.add(retryAfter);
            }
            Thread.sleep(Math.max(0, 250 * (i + 1) - millisSince(started)));
        }
        long floodMillis = millisSince(started);
        int refreshes = gazelle.refreshRequestCount() - refreshesBefore;
        int checks = gazelle.apiRequestCount() - checksBefore;
        System.out.printf("20 reports in %d ms: statuses %s, %d upstream refreshes, %d validations, Retry-After %s%n",
                floodMillis, statuses, refreshes, checks, retryAfters);
        assertTrue(floodMillis <= 6_000, "the flood took " + floodMillis + " ms");
        assertEquals(1, refreshes, "upstream refreshes caused by 20 reports");
        assertTrue(checks <= 1, "validations caused by 20 reports: " + checks);
        assertEquals(1, statuses.getOrDefault(200, 0), "one report refreshed, the others were refused: " + statuses);
        assertEquals(current, tokenOf(consumer), "the consumer holds the current token");

        // A report of a token already replaced gets the current one without any upstream call.
        int refreshesAfterFlood = gazelle.refreshRequestCount();
        int checksAfterFlood = gazelle.apiRequestCount();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> stale = report(consumer, "an-old-token-" + i);
            assertEquals(200, stale.statusCode(), stale.body());
            assertEquals(current, DaemonProcess.JSON.readTree(stale.body()).get("token").asText());
        }
        assertEquals(refreshesAfterFlood, gazelle.refreshRequestCount(), "stale reports refreshed");
        assertEquals(checksAfterFlood, gazelle.apiRequestCount(), "stale reports were checked upstream");

        // After the interval a report refreshes again, once.
        Thread.sleep(Math.max(0, INTERVAL_SECONDS * 1000L + 300 - millisSince(started)));
        HttpResponse<String> later = report(consumer, current);
        assertEquals(200, later.statusCode(), later.body());
        String renewed = DaemonProcess.JSON.readTree(later.body()).get("token").asText();
        assertNotEquals(current, renewed, "a report after the interval refreshed");
        assertTrue(gazelle.isAccessTokenValid(renewed));
        assertEquals(refreshesAfterFlood + 1, gazelle.refreshRequestCount());
    }

    @Test
    void withinTheIntervalOnlyAnUpstreamThatConfirmsTheRejectionGetsARefreshAndOnlyOnce() throws Exception {
        String first = tokenOf(daemon.adminToken());
        HttpResponse<String> refreshed = report(daemon.adminToken(), first);
        assertEquals(200, refreshed.statusCode(), refreshed.body());
        String second = DaemonProcess.JSON.readTree(refreshed.body()).get("token").asText();
        assertNotEquals(first, second);
        int refreshes = gazelle.refreshRequestCount();
        int checks = gazelle.apiRequestCount();

        // The upstream really refuses the new token: the check confirms it, and the report refreshes.
        gazelle.revokeAccessToken("default");
        HttpResponse<String> confirmed = report(daemon.adminToken(), second);
        assertEquals(200, confirmed.statusCode(), confirmed.body());
        String third = DaemonProcess.JSON.readTree(confirmed.body()).get("token").asText();
        assertNotEquals(second, third);
        assertTrue(gazelle.isAccessTokenValid(third));
        assertEquals(checks + 1, gazelle.apiRequestCount(), "one validation");
        assertEquals(refreshes + 1, gazelle.refreshRequestCount(), "one refresh on the upstream's word");

        // Even a dead token gets no further validation nor refresh in this interval.
        gazelle.revokeAccessToken("default");
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> refused = report(daemon.adminToken(), third);
            assertEquals(429, refused.statusCode(), refused.body());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());
        }
        assertEquals(checks + 1, gazelle.apiRequestCount(), "the validation is limited too");
        assertEquals(refreshes + 1, gazelle.refreshRequestCount());
    }


    @Test
    void aFloodOfReportsOfAVintedSessionCostsOneRefreshToo() throws Exception {
        DaemonProcess.Response imported = daemon.cli("import", "vinted", "--account", "shop", "--cookie",
                vinted.newSession());
        assertEquals(0, imported.status(), imported.body());
        String consumer = addConsumer("vinted-flooder", "vinted:shop");
        DaemonProcess.Response token = daemon.callAs(consumer, "GET", "/api/v1/credentials/vinted:shop/token", null);
        assertEquals(200, token.status(), token.body());
        String current = token.json().get("token").asText();
        int refreshesBefore = vinted.refreshCount();
        int requestsBefore = vinted.requestCount();
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> answer = report(consumer, "vinted:shop", current);
            statuses.merge(answer.statusCode(), 1, Integer::sum);
            if (answer.statusCode() == 200) {
                current = DaemonProcess.JSON.readTree(answer.body()).get("token").asText();
            } else {
                assertEquals(429, answer.statusCode(), answer.body());
                assertTrue(answer.headers().firstValue("Retry-After").isPresent());
            }
        }
        int refreshes = vinted.refreshCount() - refreshesBefore;
        int requests = vinted.requestCount() - requestsBefore;
        System.out.printf("20 reports of a Vinted session: statuses %s, %d upstream refreshes, %d upstream requests%n",
                statuses, refreshes, requests);
        assertEquals(1, refreshes, "upstream refreshes caused by 20 reports");
        assertEquals(1, statuses.getOrDefault(200, 0), "statuses " + statuses);
    }

    private HttpResponse<String> report(String bearer, String token) throws Exception {
        return report(bearer, "gazelle:default", token);
    }

    private HttpResponse<String> report(String bearer, String id, String token) throws Exception {
        HttpRequest request = DaemonProcess.freshConnection(URI.create(daemon.baseUrl()
                        + "/api/v1/credentials/" + id + "/rejected"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(DaemonProcess.JSON.createObjectNode().put("token", token)
                        .toString()))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private String tokenOf(String bearer) throws Exception {
        DaemonProcess.Response token = daemon.callAs(bearer, "GET", "/api/v1/credentials/gazelle:default/token", null);
        assertEquals(200, token.status(), token.body());
        return token.json().get("token").asText();
    }

    private String addConsumer(String name, String credential) throws Exception {
        DaemonProcess.Response added = daemon.cli("consumer", "add", name, "--credential", credential, "--json");
        assertEquals(0, added.status(), added.body());
        JsonNode json = DaemonProcess.JSON.readTree(added.body().lines().filter(l -> l.startsWith("{")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON in: " + added.body())));
        return json.path("token").asText();
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
