package dev.tokenkeeper.provider.gazelle.oauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.RefreshResult.PermanentFailure;
import dev.tokenkeeper.api.RefreshResult.Refreshed;
import dev.tokenkeeper.api.RefreshResult.TransientFailure;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.provider.gazelle.config.GazelleSettings;
import dev.tokenkeeper.provider.gazelle.http.ScriptedServer;
import dev.tokenkeeper.provider.gazelle.http.UpstreamClient;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link TokenEndpoint} against a scripted server, for answers Gazelle should not give but a proxy
 * or a future version might: echoed secrets, odd statuses, lying clocks, huge bodies.
 */
class TokenEndpointTest {

    private static final String REFRESH = "refresh-9f8e7d6c5b4a";
    private static final String CLIENT_SECRET = "client-secret-0a1b2c3d";
    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

    /**
     * No test here waits for it: each is about how an answer is read. 2 s was met by a 2 MiB body or a 404
     * only on an idle machine (at load 20-30 both came back as NETWORK timeouts).
     */
    private static final Duration UPSTREAM_BOUND = Duration.ofSeconds(15);

    private final ScriptedServer server = ScriptedServer.start();
    private final TokenEndpoint endpoint = new TokenEndpoint(
            new GazelleSettings(server.url("/developer/oauth/token"), server.url("/authorize"), server.url("/graphql"),
                    Optional.of("client"), Optional.of(CLIENT_SECRET), UPSTREAM_BOUND),
            new UpstreamClient(UPSTREAM_BOUND, UPSTREAM_BOUND),
            Clock.fixed(NOW, ZoneOffset.UTC));
    private final SecretMaterial current = new SecretMaterial(Map.of("access_token", "old-access",
            "refresh_token", REFRESH, "token_type", "Bearer"));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void sendsTheRefreshGrantFormEncoded() {
        server.answering(exchange -> ScriptedServer.send(exchange, 200, "application/json",
                "{\"access_token\":\"new\",\"expires_in\":60}"));
        endpoint.refresh(current);
        assertEquals("grant_type=refresh_token&refresh_token=" + REFRESH + "&client_id=client&client_secret="
                + CLIENT_SECRET, server.requestBodies().get(0));
    }

    @Test
    void anAnswerWithoutCreatedAtIsStampedWithTheArrivalTime() {
        server.answering(exchange -> ScriptedServer.send(exchange, 200, "application/json",
                "{\"access_token\":\"new\",\"token_type\":\"bearer\",\"expires_in\":7200}"));
        IssuedSecret issued = assertInstanceOf(Refreshed.class, endpoint.refresh(current)).issued();

        assertEquals(NOW, issued.issuedAt());
        assertEquals(Optional.of(NOW.plusSeconds(7200)), issued.accessExpiresAt());
        assertEquals(REFRESH, issued.secret().require("refresh_token"));
        assertEquals("Bearer", issued.secret().require("token_type"));
    }

    @Test
    void aCreatedAtFarFromNowIsNotBelieved() {
        server.answering(exchange -> ScriptedServer.send(exchange, 200, "application/json",
                "{\"access_token\":\"new\",\"refresh_token\":\"r2\",\"expires_in\":7200,\"created_at\":"
                        + NOW.toEpochMilli() + "}"));
        IssuedSecret issued = assertInstanceOf(Refreshed.class, endpoint.refresh(current)).issued();
        assertEquals(NOW, issued.issuedAt());
        assertEquals("r2", issued.secret().require("refresh_token"));
    }

    @Test
    void aRefreshTokenLifetimeInTheAnswerIsKept() {
        server.answering(exchange -> ScriptedServer.send(exchange, 200, "application/json",
                "{\"access_token\":\"new\",\"refresh_token\":\"r2\",\"expires_in\":60,\"refresh_token_expires_in\":600,"
                        + "\"created_at\":" + NOW.getEpochSecond() + "}"));
        IssuedSecret issued = assertInstanceOf(Refreshed.class, endpoint.refresh(current)).issued();
        assertEquals(Optional.of(NOW.plusSeconds(600)), issued.refreshExpiresAt());
    }

    @Test
    void oddFieldsInASuccessfulAnswerDoNotLoseTheNewTokens() {
        server.answering(exchange -> ScriptedServer.send(exchange, 200, "application/json",
                "{\"access_token\":\"new\",\"refresh_token\":17,\"expires_in\":\"soon\",\"created_at\":null}"));
        IssuedSecret issued = assertInstanceOf(Refreshed.class, endpoint.refresh(current)).issued();
        assertEquals("new", issued.secret().require("access_token"));
        assertEquals(REFRESH, issued.secret().require("refresh_token"));
        assertEquals(Optional.empty(), issued.accessExpiresAt());
    }

    @Test
    void anErrorDescriptionEchoingTheRefreshTokenIsNotRepeated() {
        server.answering(exchange -> ScriptedServer.send(exchange, 400, "application/json",
                "{\"error\":\"invalid_request\",\"error_description\":\"unknown token " + REFRESH + "\"}"));
        PermanentFailure failure = assertInstanceOf(PermanentFailure.class, endpoint.refresh(current));
        assertTrue(failure.reason().contains("HTTP 400, invalid_request: unknown token [redacted])"), failure.reason());
        assertFalse(failure.reason().contains(REFRESH.substring(0, 8)), failure.reason());
    }

    @Test
    void aShortSafeDescriptionIsRepeated() {
        server.answering(exchange -> ScriptedServer.send(exchange, 401, "application/json",
                "{\"error\":\"invalid_token\",\"error_description\":\"The access token is invalid\"}"));
        PermanentFailure failure = assertInstanceOf(PermanentFailure.class, endpoint.refresh(current));
        assertTrue(failure.reason().contains("HTTP 401, invalid_token: The access token is invalid)"), failure.reason());
    }

    @Test
    void unauthorizedClientNamesTheClientSettings() {
        server.answering(exchange -> ScriptedServer.send(exchange, 400, "application/json",
                "{\"error\":\"unauthorized_client\"}"));
        PermanentFailure failure = assertInstanceOf(PermanentFailure.class, endpoint.refresh(current));
        assertTrue(failure.reason().contains("GAZELLE_CLIENT_ID and GAZELLE_CLIENT_SECRET"), failure.reason());
    }

    @Test
    void aBadRequestWithoutOAuthErrorIsStillPermanent() {
        server.answering(exchange -> ScriptedServer.send(exchange, 400, "text/html", "<html>Bad Request</html>"));
        PermanentFailure failure = assertInstanceOf(PermanentFailure.class, endpoint.refresh(current));
        assertTrue(failure.reason().contains("no OAuth error code"), failure.reason());
    }

    @Test
    void aWrongUrlIsABadResponseNamingTheSetting() {
        server.answering(exchange -> ScriptedServer.send(exchange, 404, "text/html", "<html>Not Found</html>"));
        TransientFailure failure = assertInstanceOf(TransientFailure.class, endpoint.refresh(current));
        assertEquals(FailureKind.BAD_RESPONSE, failure.kind());
        assertTrue(failure.reason().contains("GAZELLE_OAUTH_TOKEN_URL"), failure.reason());
    }

    @Test
    void aRetryAfterDateOnA503IsReadAgainstTheClock() {
        server.answering(exchange -> {
            exchange.getResponseHeaders().set("Retry-After", "Sat, 01 Mar 2025 12:05:00 GMT");
            ScriptedServer.send(exchange, 502, "text/html", "<html>Bad Gateway</html>");
        });
        TransientFailure failure = assertInstanceOf(TransientFailure.class, endpoint.refresh(current));
        assertEquals(FailureKind.SERVER_ERROR, failure.kind());
        assertEquals(Optional.of(Duration.ofMinutes(5)), failure.retryAfter());
    }

    @Test
    void aHugeSuccessfulBodyIsABadResponse() {
        String huge = "{\"access_token\":\"new\",\"pad\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
        server.answering(exchange -> ScriptedServer.send(exchange, 200, "application/json", huge));
        TransientFailure failure = assertInstanceOf(TransientFailure.class, endpoint.refresh(current));
        assertEquals(FailureKind.BAD_RESPONSE, failure.kind());
        assertTrue(failure.reason().contains("larger than 1 MiB"), failure.reason());
    }
}
