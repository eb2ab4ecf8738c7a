package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The validity rules of a token read and of an import, on the controlled clock: a consumer asking
 * for more validity than the upstream's tokens have is told so after at most one refresh; an import
 * whose access token has already expired is refreshed at once and the answer says so (or that the
 * refresh at once failed); a restart counts every credential as planned. The CLI's printing of these
 * warnings is {@code CliEndToEndTest}'s.
 */
class ImportValidityInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings())
            .setting("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false")
            .setting("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");

    @AfterEach
    void closeImitation() {
        assertNoSecretLogged();
        gazelle.close();
    }

    private void assertNoSecretLogged() {
        String log = daemon.log();
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(log.contains(secret), "the daemon's log holds an issued token");
        }
    }

    @Test
    void askingForMoreValidityThanTheUpstreamGrantsIsToldAfterAtMostOneRefresh() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(20));
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:default",
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString());
        assertEquals(201, imported.statusCode(), imported.body());
        int refreshesBefore = gazelle.refreshRequestCount();

        HttpResponse<String> api = daemon.call("GET", "/api/v1/credentials/gazelle:default/token?minValidity=300", null);
        assertEquals(200, api.statusCode(), api.body());
        JsonNode answer = JSON.readTree(api.body());
        long validFor = answer.path("validForSeconds").asLong(-1);
        long shortBy = answer.path("validityShortBySeconds").asLong(-1);
        assertTrue(validFor >= 0 && validFor <= 20, "valid for at most the 20 s the upstream grants: " + validFor);
        assertEquals(300, validFor + shortBy, "short by what is missing of the 300 s asked");
        assertTrue(answer.path("warning").asText().contains("less than the 300 s asked"), answer.toString());
        assertTrue(gazelle.refreshRequestCount() - refreshesBefore <= 1, "at most one refresh");

        JsonNode enough = JSON.readTree(daemon.call("GET", "/api/v1/credentials/gazelle:default/token?minValidity=5",
                null).body());
        assertTrue(enough.path("validityShortBySeconds").isNull() || enough.path("validityShortBySeconds").isMissingNode(),
                enough.toString().replace(enough.path("token").asText(), "<token>"));
    }

    @Test
    void anExpiredImportIsRefreshedAtOnceAndTheAnswerSaysSo() throws Exception {
        int refreshesBefore = gazelle.refreshRequestCount();
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:default",
                "{\"tokenJson\": " + expiredChain("default") + "}");
        assertEquals(201, imported.statusCode(), imported.body());
        JsonNode answer = JSON.readTree(imported.body());
        assertEquals(1, gazelle.refreshRequestCount() - refreshesBefore, "refreshed at once: " + answer);
        assertTrue(answer.path("warnings").toString().contains("had expired"), answer.toString());
        assertTrue(answer.path("warnings").toString().contains("refreshed at once"), answer.toString());
        Instant expiresAt = Instant.parse(answer.path("credential").path("accessExpiresAt").asText());
        assertTrue(expiresAt.isAfter(clock.instant()), "the answer shows the new token's expiry: " + answer);
        assertEquals("active", answer.path("credential").path("status").asText(), answer.toString());

        HttpResponse<String> second = daemon.call("PUT", "/api/v1/credentials/gazelle:second",
                "{\"tokenJson\": " + expiredChain("second") + "}");
        assertEquals(201, second.statusCode(), second.body());

        // A third whose refresh at once fails: the answer says so, and it stays due.
        String third = expiredChain("third");
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.serviceUnavailable());
        HttpResponse<String> failed = daemon.call("PUT", "/api/v1/credentials/gazelle:third", "{\"tokenJson\": " + third + "}");
        assertEquals(201, failed.statusCode(), failed.body());
        assertTrue(JSON.readTree(failed.body()).path("warnings").toString().contains("the refresh at once failed"),
                failed.body());
        assertNoSecretLogged();

        // Restarted with the scheduler active and one credential due at once: the start-up line counts
        // all three as planned, though the due one leaves the queue as soon as it is dispatched.
        daemon.setting("TOKENKEEPER_AUTO_REFRESH_ENABLED", "true").setting("TOKENKEEPER_RETRY_BASE_SECONDS", "0.1");
        daemon.restart();
        String startLine = daemon.log().lines().filter(l -> l.contains("credentials planned"))
                .reduce((a, b) -> b).orElseThrow();
        assertTrue(startLine.contains("; 3 credentials planned;"), startLine);
    }

    /** @return a seeded chain whose access token was issued two hours ago for one hour */
    private String expiredChain(String account) throws Exception {
        ObjectNode token = (ObjectNode) JSON.readTree(gazelle.seedChain(account));
        token.put("created_at", clock.instant().minus(Duration.ofHours(2)).getEpochSecond());
        token.put("expires_in", 3600);
        return token.toString();
    }
}
