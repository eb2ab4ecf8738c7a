package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
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
 * Gazelle and Vinted imitations, which count the refreshes and validations they get, on the
 * controlled clock: the reports cost one refresh per interval, one validation beyond it, and nothing
 * more.
 */
class ReportFloodInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The report interval of these tests: longer than the 5 s flood. */
    private static final int INTERVAL_SECONDS = 8;
    private static final String ID = "gazelle:default";

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final FakeVinted vinted = FakeVinted.builder().clock(clock).accessTokenLifetime(Duration.ofHours(1))
            .burstLimit(10_000, Duration.ofMinutes(5)).start();

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider())
            .provider(new VintedProvider()).clock(clock)
            .settings(gazelle.settings())
            .setting("VINTED_BASE_URL", vinted.baseUrl())
            .setting("VINTED_MAX_REQUESTS_PER_5_MIN", "1000")
            // No schedule and no validation sweep: every upstream call the imitation counts is a report's.
            .setting("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false")
            .setting("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0")
            .setting("TOKENKEEPER_REPORT_REFRESH_INTERVAL_SECONDS", Integer.toString(INTERVAL_SECONDS));

    @BeforeEach
    void importChain() {
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString());
        assertEquals(201, imported.statusCode(), imported.body());
    }

    @AfterEach
    void lookForSecretsAndClose() {
        try {
            String log = daemon.log();
            for (String secret : gazelle.allIssuedSecrets()) {
                assertFalse(log.contains(secret), "the daemon's log holds an issued token");
            }
            for (String secret : vinted.allIssuedSecrets()) {
                assertFalse(log.contains(secret), "the daemon's log holds a Vinted cookie value");
            }
        } finally {
            gazelle.close();
            vinted.close();
        }
    }

    @Test
    void twentyReportsOfTheCurrentTokenInFiveSecondsCauseOneRefreshAndAfterTheIntervalOneMore() throws Exception {
        String consumer = daemon.addConsumer("flooder", ID);
        String current = tokenOf(consumer);
        int refreshesBefore = gazelle.refreshRequestCount();
        int checksBefore = gazelle.apiRequestCount();
        Map<Integer, Integer> statuses = new TreeMap<>();
        List<Long> retryAfters = new ArrayList<>();
        Instant started = clock.instant();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> answer = report(consumer, ID, current);
            statuses.merge(answer.statusCode(), 1, Integer::sum);
            if (answer.statusCode() == 200) {
                String handedOut = JSON.readTree(answer.body()).get("token").asText();
                assertTrue(gazelle.isAccessTokenValid(handedOut), "report " + i + " got a token the upstream takes");
                if (i == 0) {
                    assertNotEquals(current, handedOut, "the first report refreshed");
                }
                current = handedOut;
            } else {
                assertEquals(429, answer.statusCode(), "report " + i + ": " + answer.body());
                JsonNode error = JSON.readTree(answer.body());
                assertEquals("too_many_reports", error.get("error").asText(), answer.body());
                assertTrue(error.get("message").asText().contains("TOKENKEEPER_REPORT_REFRESH_INTERVAL_SECONDS"),
                        "the answer names the limit: " + answer.body());
                long retryAfter = Long.parseLong(answer.headers().firstValue("Retry-After")
                        .orElseThrow(() -> new AssertionError("a 429 without Retry-After")));
                assertTrue(retryAfter >= 1 && retryAfter <= INTERVAL_SECONDS, "Retry-After " + retryAfter);
                retryAfters.add(retryAfter);
            }
            daemon.advance(Duration.ofMillis(250));
        }
        int refreshes = gazelle.refreshRequestCount() - refreshesBefore;
        int checks = gazelle.apiRequestCount() - checksBefore;
        System.out.printf("20 reports in %s of clock time: statuses %s, %d upstream refreshes, %d validations, Retry-After %s%n",
                Duration.between(started, clock.instant()), statuses, refreshes, checks, retryAfters);
        assertEquals(1, refreshes, "upstream refreshes caused by 20 reports");
        assertTrue(checks <= 1, "validations caused by 20 reports: " + checks);
        assertEquals(1, statuses.getOrDefault(200, 0), "one report refreshed, the others were refused: " + statuses);
        assertTrue(retryAfters.get(0) > retryAfters.get(retryAfters.size() - 1), "Retry-After counts down: " + retryAfters);
        assertEquals(current, tokenOf(consumer), "the consumer holds the current token");

        // A report of a token already replaced gets the current one without any upstream call.
        int refreshesAfterFlood = gazelle.refreshRequestCount();
        int checksAfterFlood = gazelle.apiRequestCount();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> stale = report(consumer, ID, "an-old-token-" + i);
            assertEquals(200, stale.statusCode(), stale.body());
            assertEquals(current, JSON.readTree(stale.body()).get("token").asText());
        }
        assertEquals(refreshesAfterFlood, gazelle.refreshRequestCount(), "stale reports refreshed");
        assertEquals(checksAfterFlood, gazelle.apiRequestCount(), "stale reports were checked upstream");

        // After the interval a report refreshes again, once.
        daemon.advance(Duration.between(clock.instant(), started.plusSeconds(INTERVAL_SECONDS).plusMillis(300)));
        HttpResponse<String> later = report(consumer, ID, current);
        assertEquals(200, later.statusCode(), later.body());
        String renewed = JSON.readTree(later.body()).get("token").asText();
        assertNotEquals(current, renewed, "a report after the interval refreshed");
        assertTrue(gazelle.isAccessTokenValid(renewed));
        assertEquals(refreshesAfterFlood + 1, gazelle.refreshRequestCount());
    }

    @Test
    void withinTheIntervalOnlyAnUpstreamThatConfirmsTheRejectionGetsARefreshAndOnlyOnce() throws Exception {
        String admin = daemon.adminToken();
        String first = tokenOf(admin);
        HttpResponse<String> refreshed = report(admin, ID, first);
        assertEquals(200, refreshed.statusCode(), refreshed.body());
        String second = JSON.readTree(refreshed.body()).get("token").asText();
        assertNotEquals(first, second);
        int refreshes = gazelle.refreshRequestCount();
        int checks = gazelle.apiRequestCount();

        // The upstream really refuses the new token: the check confirms it, and the report refreshes.
        gazelle.revokeAccessToken("default");
        HttpResponse<String> confirmed = report(admin, ID, second);
        assertEquals(200, confirmed.statusCode(), confirmed.body());
        String third = JSON.readTree(confirmed.body()).get("token").asText();
        assertNotEquals(second, third);
        assertTrue(gazelle.isAccessTokenValid(third));
        assertEquals(checks + 1, gazelle.apiRequestCount(), "one validation");
        assertEquals(refreshes + 1, gazelle.refreshRequestCount(), "one refresh on the upstream's word");

        // Even a dead token gets no further validation nor refresh in this interval.
        gazelle.revokeAccessToken("default");
        for (int i = 0; i < 10; i++) {
            daemon.advance(Duration.ofMillis(500));
            HttpResponse<String> refused = report(admin, ID, third);
            assertEquals(429, refused.statusCode(), refused.body());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());
        }
        assertEquals(checks + 1, gazelle.apiRequestCount(), "the validation is limited too");
        assertEquals(refreshes + 1, gazelle.refreshRequestCount());
    }

    @Test
    void aFloodOfReportsOfAVintedSessionCostsOneRefreshToo() throws Exception {
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/vinted:shop",
                JSON.createObjectNode().put("cookie", vinted.newSession()).toString());
        assertEquals(201, imported.statusCode(), imported.body());
        String consumer = daemon.addConsumer("vinted-flooder", "vinted:shop");
        HttpResponse<String> token = daemon.callAs(consumer, "GET", "/api/v1/credentials/vinted:shop/token", null);
        assertEquals(200, token.statusCode(), token.body());
        String current = JSON.readTree(token.body()).get("token").asText();
        int refreshesBefore = vinted.refreshCount();
        int requestsBefore = vinted.requestCount();
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> answer = report(consumer, "vinted:shop", current);
            statuses.merge(answer.statusCode(), 1, Integer::sum);
            if (answer.statusCode() == 200) {
                current = JSON.readTree(answer.body()).get("token").asText();
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
        assertTrue(vinted.isAccessTokenValid(current), "the report's new token is one Vinted takes");
    }

    private HttpResponse<String> report(String bearer, String id, String token) {
        return daemon.callAs(bearer, "POST", "/api/v1/credentials/" + id + "/rejected",
                JSON.createObjectNode().put("token", token).toString());
    }

    private String tokenOf(String bearer) throws IOException {
        HttpResponse<String> token = daemon.callAs(bearer, "GET", "/api/v1/credentials/" + ID + "/token", null);
        assertEquals(200, token.statusCode(), token.body());
        return JSON.readTree(token.body()).get("token").asText();
    }

}
