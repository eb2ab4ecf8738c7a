package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.testkit.NotificationInbox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 25 must-show 1, on the controlled clock: a Gazelle access token imported without its refresh
 * token (the originals' "copy the Bearer from DevTools") is served and validated, never refreshed,
 * raises {@code expiring} 7 days and 1 day before it ends and {@code expired} when it does, each with
 * the command to run; a token JSON with a refresh token imported afterwards makes it refresh again.
 */
class AccessTokenInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = "gazelle:default";
    private static final String COMMAND = "tokenkeeper import gazelle --account default --access-token -";

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock).accessLifetime(Duration.ofDays(30));
    private final NotificationInbox inbox = new NotificationInbox();

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings())
            .setting("TOKENKEEPER_NOTIFY_URL", inbox.url())
            .setting("TOKENKEEPER_CHECK_INTERVAL_MINUTES", "360")
            .grain(Duration.ofMinutes(5));

    @AfterEach
    void closeImitations() {
        String log = daemon.log();
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(log.contains(secret), "the daemon's log holds a secret");
            for (String kind : List.of("expiring", "expired", "requires_configuration", "recovered")) {
                for (JsonNode event : inbox.events(kind)) {
                    assertFalse(event.toString().contains(secret), "a notification holds a secret");
                }
            }
        }
        inbox.close();
        gazelle.close();
    }

    @Test
    void anAccessTokenAloneIsServedUntilItEndsThenAFullImportRefreshes() throws Exception {
        long started = System.nanoTime();
        String access = JSON.readTree(gazelle.seedChain("default")).path("access_token").asText();
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("accessToken", "Authorization: Bearer " + access).toString());
        assertEquals(201, imported.statusCode(), imported.body());
        Instant end = clock.instant().plus(Duration.ofDays(30));
        JsonNode credential = credential();
        assertEquals(end, Instant.parse(credential.path("refreshExpiresAt").asText()));
        assertEquals("no refresh token: import again before " + end, credential.path("note").asText());
        assertTrue(JSON.readTree(imported.body()).path("warnings").toString().contains("tokenkeeper import gazelle --access-token -"), imported.body());
        assertFalse(imported.body().contains(access), "the import's answer holds the token");
        assertEquals(access, tokenOf(token(200)), "served as imported");

        daemon.advance(Duration.ofDays(22).plusHours(23));
        assertEquals(List.of(), inbox.events("expiring"), "nothing before 7 days are left");
        assertEquals(access, tokenOf(token(200)), "still served after 23 days of validation sweeps");
        daemon.advance(Duration.ofHours(2));
        JsonNode first = inbox.await("expiring", 1, Duration.ofSeconds(10)).get(0);
        Instant firstAt = Instant.parse(first.path("at").asText());
        assertTrue(!firstAt.isBefore(end.minus(Duration.ofDays(7))) && firstAt.isBefore(end.minus(Duration.ofDays(7)).plusSeconds(360)),
                "the first at 7 days before the end (" + end + "): " + firstAt);
        daemon.advance(Duration.ofDays(6));
        List<JsonNode> both = inbox.await("expiring", 2, Duration.ofSeconds(10));
        Instant secondAt = Instant.parse(both.get(1).path("at").asText());
        assertTrue(!secondAt.isBefore(end.minus(Duration.ofDays(1))) && secondAt.isBefore(end.minus(Duration.ofDays(1)).plusSeconds(360)),
                "the second at 1 day before the end (" + end + "): " + secondAt);
        for (JsonNode body : both) {
            assertEquals(COMMAND, body.path("command").asText());
            assertTrue(body.path("text").asText().contains("no refresh token"), body.toString());
        }

        daemon.advance(Duration.ofDays(1).plusMinutes(10));
        JsonNode expired = inbox.await("expired", 1, Duration.ofSeconds(10)).get(0);
        assertEquals(COMMAND, expired.path("command").asText(), expired.toString());
        assertTrue(expired.path("text").asText().contains(COMMAND), expired.toString());
        assertEquals("expired", credential().path("status").asText());
        assertNotEquals(200, token(-1).statusCode(), "an ended token is not served");
        assertEquals(0, refreshGrants(), "a token without a refresh token is never sent to the token endpoint");
        daemon.advance(Duration.ofDays(2));
        assertEquals(1, inbox.events("expired").size(), "once");
        assertEquals(2, inbox.events("expiring").size());

        HttpResponse<String> full = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString());
        assertEquals(200, full.statusCode(), full.body());
        assertEquals("active", credential().path("status").asText());
        assertTrue(credential().path("note").isMissingNode() || credential().path("note").isNull(), credential().toString());
        daemon.advance(Duration.ofDays(1).plusMinutes(10));
        assertTrue(refreshGrants() >= 1, "the full token JSON refreshes (keep-alive)");
        assertTrue(gazelle.isAccessTokenValid(tokenOf(token(200))));
        System.out.printf("access token in process: expiring at end-%s and end-%s; wall=%d ms%n",
                Duration.between(firstAt, end), Duration.between(secondAt, end), (System.nanoTime() - started) / 1_000_000);
    }

    /** The validation sweep hears the upstream reject it: a human is needed at once, with the command. */
    @Test
    void aRejectedAccessTokenNeedsAHumanAtOnce() throws Exception {
        ObjectNode token = (ObjectNode) JSON.readTree(gazelle.seedChain("default"));
        token.remove("refresh_token");
        assertEquals(201, daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("tokenJson", token.toString()).toString()).statusCode());
        gazelle.revokeAccessToken("default");
        daemon.advance(Duration.ofHours(7));
        JsonNode event = inbox.await("requires_configuration", 1, Duration.ofSeconds(10)).get(0);
        assertEquals(COMMAND, event.path("command").asText(), event.toString());
        assertEquals(0, refreshGrants());
    }

    private JsonNode credential() throws Exception {
        return JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + ID, null).body());
    }

    private HttpResponse<String> token(int expected) throws Exception {
        HttpResponse<String> answer = daemon.call("GET", "/api/v1/credentials/" + ID + "/token", null);
        if (expected > 0) {
            assertEquals(expected, answer.statusCode(), answer.body());
        }
        return answer;
    }

    private static String tokenOf(HttpResponse<String> answer) throws Exception {
        return JSON.readTree(answer.body()).path("token").asText();
    }

    private long refreshGrants() {
        return gazelle.tokenRequests().stream().filter(request -> request.grantType().equals("refresh_token")).count();
    }
}
