package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.testkit.NotificationInbox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24 must-show 3, the keep-alive and the {@code expiring} warnings at their real scale on the
 * controlled clock, with the real Gazelle provider and its imitation: a week of keep-alive
 * refreshes, and a refresh-token chain with a fixed end ten days out that raises {@code expiring} at
 * 7 days and at 1 day before its end (the defaults), then {@code requires_configuration} once.
 */
class GazelleTimeInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = "gazelle:default";

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final NotificationInbox inbox = new NotificationInbox();

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings())
            .setting("TOKENKEEPER_NOTIFY_URL", inbox.url())
            // The validation sweep is not the subject here (each asks the imitation over HTTP): every 6 h, not 30 min.
            .setting("TOKENKEEPER_CHECK_INTERVAL_MINUTES", "360")
            .grain(Duration.ofMinutes(5));

    @AfterEach
    void closeImitations() throws IOException {
        List<String> texts = new ArrayList<>(inbox.texts());
        texts.add(daemon.log());
        Path notifications = daemon.stateDirectory().resolve("notifications.json");
        if (Files.exists(notifications)) {
            texts.add(Files.readString(notifications));
        }
        for (String text : texts) {
            for (String secret : gazelle.allIssuedSecrets()) {
                assertFalse(text.contains(secret), "the daemon's log or a notification holds a secret");
            }
            assertFalse(text.contains(inbox.secret()), "the webhook's secret path leaked");
        }
        inbox.close();
        gazelle.close();
    }

    /** Gazelle's 30-day access token is still renewed every day (keep-alive), and every answer is a valid token. */
    @Test
    void aWeekOfKeepAliveRefreshesOneADay() throws Exception {
        long started = System.nanoTime();
        importChain();
        List<String> lapses = new ArrayList<>();
        for (int hour = 0; hour < 7 * 24; hour++) {
            daemon.advance(Duration.ofHours(1));
            HttpResponse<String> answer = daemon.call("GET", "/api/v1/credentials/" + ID + "/token?minValidity=60", null);
            if (answer.statusCode() != 200) {
                lapses.add(clock.instant() + ": HTTP " + answer.statusCode() + " " + answer.body());
            } else if (!gazelle.isAccessTokenValid(JSON.readTree(answer.body()).path("token").asText())) {
                lapses.add(clock.instant() + ": a token the imitation does not accept");
            }
        }
        List<Instant> refreshes = gazelle.tokenRequests().stream()
                .filter(request -> request.grantType().equals("refresh_token")).map(FakeGazelle.TokenRequest::at).toList();
        System.out.printf("keep-alive in process: refreshes=%d at %s; wall=%d ms%n", refreshes.size(), refreshes,
                (System.nanoTime() - started) / 1_000_000);
        assertEquals(List.of(), lapses);
        assertTrue(refreshes.size() >= 6 && refreshes.size() <= 7, "one refresh a day for 7 days: " + refreshes);
        for (int i = 1; i < refreshes.size(); i++) {
            Duration apart = Duration.between(refreshes.get(i - 1), refreshes.get(i));
            // A day, earlier by the jitter (at most 300 s) and later by at most one step of the harness.
            assertTrue(apart.compareTo(Duration.ofDays(1).minusSeconds(300)) >= 0
                    && apart.compareTo(Duration.ofDays(1).plusMinutes(5)) <= 0, "a day apart: " + apart);
        }
    }

    /** A chain ending in 10 days: {@code expiring} at 7 days and at 1 day before its end, then one {@code requires_configuration}. */
    @Test
    void aFixedChainEndRaisesExpiringAtSevenDaysAndOneDay() throws Exception {
        long started = System.nanoTime();
        gazelle.accessLifetime(Duration.ofHours(12)).rotateRefreshTokens(false).refreshTokenLifetime(Duration.ofDays(10));
        importChain();
        Instant end = Instant.parse(JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + ID, null).body())
                .path("refreshExpiresAt").asText());
        assertTrue(Duration.between(clock.instant(), end).compareTo(Duration.ofDays(10).minusMinutes(1)) > 0, "end " + end);

        daemon.advance(Duration.ofDays(2).plusHours(23));
        assertEquals(List.of(), inbox.events("expiring"), "nothing before 7 days are left");
        daemon.advance(Duration.ofHours(2));
        List<JsonNode> first = inbox.await("expiring", 1, Duration.ofSeconds(10));
        Instant firstAt = Instant.parse(first.get(0).path("at").asText());
        assertTrue(!firstAt.isBefore(end.minus(Duration.ofDays(7))) && firstAt.isBefore(end.minus(Duration.ofDays(7)).plusSeconds(360)),
                "the first at 7 days before the end (" + end + "): " + firstAt);

        daemon.advance(Duration.ofDays(6).minusHours(2));
        assertEquals(1, inbox.events("expiring").size(), "one until a day is left");
        daemon.advance(Duration.ofHours(2));
        List<JsonNode> both = inbox.await("expiring", 2, Duration.ofSeconds(10));
        Instant secondAt = Instant.parse(both.get(1).path("at").asText());
        assertTrue(!secondAt.isBefore(end.minus(Duration.ofDays(1))) && secondAt.isBefore(end.minus(Duration.ofDays(1)).plusSeconds(360)),
                "the second at 1 day before the end (" + end + "): " + secondAt);
        for (JsonNode body : both) {
            assertEquals(ID, body.path("credential").asText());
            assertEquals(end, Instant.parse(body.path("refreshExpiresAt").asText()));
            assertEquals("tokenkeeper authorize gazelle --account default", body.path("command").asText());
        }

        daemon.advance(Duration.ofDays(2));
        inbox.await("requires_configuration", 1, Duration.ofSeconds(10));
        daemon.advance(Duration.ofDays(1));
        assertEquals(1, inbox.events("requires_configuration").size(), "a human is needed, once");
        assertEquals(2, inbox.events("expiring").size());
        System.out.printf("expiring in process: first at end-%s, second at end-%s; wall=%d ms%n",
                Duration.between(firstAt, end), Duration.between(secondAt, end), (System.nanoTime() - started) / 1_000_000);
    }

    private void importChain() {
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString());
        assertEquals(201, imported.statusCode(), imported.body());
    }
}
