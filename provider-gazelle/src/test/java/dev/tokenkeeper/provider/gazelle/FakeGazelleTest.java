package dev.tokenkeeper.provider.gazelle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.provider.gazelle.FakeGazelle.Fault;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link FakeGazelle} on the wire, since other modules' end-to-end tests rely on it. */
class FakeGazelleTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final URI REDIRECT = URI.create("http://127.0.0.1:9/cb");

    private final FakeGazelle gazelle = FakeGazelle.start();
    /**
     * A client of its own for every request: a pooled connection the server closes at the moment it
     * is reused fails a POST ("header parser received no bytes"), which the JDK client does not retry.
     */
    private static HttpClient http() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void stop() {
        gazelle.close();
    }

    @Test
    void settingsPointAtTheServer() {
        Map<String, String> settings = gazelle.settings();
        assertEquals(Set.of("GAZELLE_CLIENT_ID", "GAZELLE_CLIENT_SECRET", "GAZELLE_OAUTH_TOKEN_URL",
                "GAZELLE_OAUTH_AUTHORIZE_URL", "GAZELLE_API_URL"), settings.keySet());
        assertTrue(gazelle.tokenUrl().toString().startsWith("http://127.0.0.1:"));
        assertEquals(gazelle.tokenUrl().toString(), settings.get("GAZELLE_OAUTH_TOKEN_URL"));
        assertTrue(gazelle.allIssuedSecrets().contains(gazelle.clientSecret()));
    }

    @Test
    void seedChainGivesTheSupabaseShape() throws Exception {
        long before = Instant.now().getEpochSecond();
        JsonNode seeded = JSON.readTree(gazelle.seedChain("a"));
        assertEquals(Set.of("access_token", "refresh_token", "expires_in", "created_at"), fieldNames(seeded));
        assertEquals(2_592_000, seeded.get("expires_in").asLong());
        assertTrue(seeded.get("created_at").asLong() >= before);
        assertTrue(gazelle.isAccessTokenValid(seeded.get("access_token").asText()));
        assertTrue(gazelle.allIssuedSecrets().containsAll(Set.of(seeded.get("access_token").asText(),
                seeded.get("refresh_token").asText())));
    }

    @Test
    void aJsonCodeExchangeWithBasicClientAuthWorks() throws Exception {
        String code = gazelle.issueAuthorizationCode("a", REDIRECT);
        String basic = Base64.getEncoder().encodeToString((gazelle.clientId() + ":" + gazelle.clientSecret())
                .getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = http().send(HttpRequest.newBuilder(gazelle.tokenUrl())
                .header("Content-Type", "application/json")
                .header("Authorization", "Basic " + basic)
                .POST(HttpRequest.BodyPublishers.ofString("{\"grant_type\":\"authorization_code\",\"code\":\"" + code
                        + "\",\"redirect_uri\":\"" + REDIRECT + "\"}")).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        JsonNode body = JSON.readTree(response.body());
        assertEquals(Set.of("access_token", "token_type", "expires_in", "refresh_token", "scope", "created_at"),
                fieldNames(body));
        assertEquals(gazelle.currentAccessToken("a"), body.get("access_token").asText());
        assertEquals("no-store", response.headers().firstValue("Cache-Control").orElseThrow());
    }

    @Test
    void wrongClientCredentialsGetInvalidClient() throws Exception {
        String refresh = refreshTokenOf(gazelle.seedChain("a"));
        HttpResponse<String> response = post(Map.of("grant_type", "refresh_token", "refresh_token", refresh,
                "client_id", gazelle.clientId(), "client_secret", "nope"));
        assertEquals(401, response.statusCode());
        assertEquals("invalid_client", JSON.readTree(response.body()).get("error").asText());
        assertEquals(refresh, gazelle.currentRefreshToken("a"), "nothing was spent");
    }

    @Test
    void spentAndUnknownRefreshTokensAreReusesButRevokedOnesAreNot() throws Exception {
        String first = refreshTokenOf(gazelle.seedChain("a"));
        assertEquals(200, refresh(first).statusCode());
        HttpResponse<String> reused = refresh(first);
        assertEquals(400, reused.statusCode());
        JsonNode error = JSON.readTree(reused.body());
        assertEquals("invalid_grant", error.get("error").asText());
        assertEquals(FakeGazelle.INVALID_GRANT_DESCRIPTION, error.get("error_description").asText());
        assertEquals(1, gazelle.reuseCount());

        assertEquals(400, refresh("never-issued").statusCode());
        assertEquals(2, gazelle.reuseCount());

        String current = gazelle.currentRefreshToken("a");
        gazelle.revokeChain("a");
        assertEquals(400, refresh(current).statusCode());
        assertEquals(2, gazelle.reuseCount());
        assertEquals(Set.of(first), gazelle.spentRefreshTokens());
        assertEquals(Map.of("a", 1), gazelle.refreshesPerChain());
        assertEquals(4, gazelle.refreshRequestCount());
    }

    @Test
    void doorkeeperKeepsTheOldRefreshTokenUntilTheNewAccessTokenIsUsed() throws Exception {
        gazelle.doorkeeper(true);
        String seeded = gazelle.seedChain("a");
        String r0 = refreshTokenOf(seeded);
        String a0 = JSON.readTree(seeded).get("access_token").asText();
        JsonNode first = JSON.readTree(refresh(r0).body());
        String a1 = first.get("access_token").asText();
        String r1 = first.get("refresh_token").asText();

        // The answer was lost: R0 again, before A1 is used, gets a second, separate pair.
        HttpResponse<String> again = refresh(r0);
        assertEquals(200, again.statusCode(), again.body());
        JsonNode second = JSON.readTree(again.body());
        String a2 = second.get("access_token").asText();
        assertTrue(!a2.equals(a1) && !second.get("refresh_token").asText().equals(r1));
        assertEquals(1, gazelle.graceRefreshCount());
        assertEquals(0, gazelle.reuseCount());
        assertTrue(gazelle.isAccessTokenValid(a1) && gazelle.isAccessTokenValid(a0), "nothing was used yet");

        // Using the newest access token ends the grace: R0 is now a reuse, the older access tokens die.
        assertEquals(200, graphql("/graphql/private", "Bearer " + a2).statusCode());
        assertEquals(400, refresh(r0).statusCode());
        assertEquals(1, gazelle.reuseCount());
        assertTrue(!gazelle.isAccessTokenValid(a0) && !gazelle.isAccessTokenValid(a1));
        assertEquals(200, refresh(second.get("refresh_token").asText()).statusCode());
    }

    @Test
    void theStrictServerRevokesTheOldRefreshTokenAtOnce() throws Exception {
        String r0 = refreshTokenOf(gazelle.seedChain("a"));
        assertEquals(200, refresh(r0).statusCode());
        assertEquals(400, refresh(r0).statusCode());
        assertEquals(1, gazelle.reuseCount());
        assertEquals(0, gazelle.graceRefreshCount());
    }

    @Test
    void seedingAgainRevokesTheAccountsOldChain() throws Exception {
        String old = refreshTokenOf(gazelle.seedChain("a"));
        String fresh = refreshTokenOf(gazelle.seedChain("a"));
        assertEquals(400, refresh(old).statusCode());
        assertEquals(0, gazelle.reuseCount());
        assertEquals(200, refresh(fresh).statusCode());
    }

    @Test
    void faultsForTheNextRequestsRunOutThenNormalServiceResumes() throws Exception {
        String refresh = refreshTokenOf(gazelle.seedChain("a"));
        gazelle.tokenFaultForNext(2, Fault.serviceUnavailable());
        assertEquals(503, refresh(refresh).statusCode());
        assertEquals(503, refresh(refresh).statusCode());
        assertEquals(200, refresh(refresh).statusCode());
        assertEquals(Fault.serviceUnavailable(), gazelle.tokenRequests().get(0).fault());
        assertEquals(Fault.normal(), gazelle.tokenRequests().get(2).fault());
    }

    @Test
    void aStandingFaultLastsUntilNormalIsSet() throws Exception {
        String refresh = refreshTokenOf(gazelle.seedChain("a"));
        gazelle.tokenFault(Fault.rateLimited(java.time.Duration.ofSeconds(12)));
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> limited = refresh(refresh);
            assertEquals(429, limited.statusCode());
            assertEquals("12", limited.headers().firstValue("Retry-After").orElseThrow());
        }
        gazelle.tokenFault(Fault.normal());
        assertEquals(200, refresh(refresh).statusCode());
    }

    @Test
    void aDroppedConnectionIsAnIoErrorForTheClient() {
        String refresh = refreshTokenOf(gazelle.seedChain("a"));
        gazelle.tokenFault(Fault.dropConnection());
        assertThrows(IOException.class, () -> refresh(refresh));
        assertEquals(refresh, gazelle.currentRefreshToken("a"));
    }

    @Test
    void theApiChecksTheBearerTokenOnBothPaths() throws Exception {
        String access = JSON.readTree(gazelle.seedChain("a")).get("access_token").asText();
        for (String path : new String[] {"/graphql/private", "/graphql/private/"}) {
            HttpResponse<String> ok = graphql(path, "Bearer " + access);
            assertEquals(200, ok.statusCode());
            assertEquals("{\"data\":{\"__typename\":\"Query\"}}", ok.body());
        }
        HttpResponse<String> anonymous = graphql("/graphql/private", null);
        assertEquals(401, anonymous.statusCode());
        assertEquals("{\"error\":\"unauthorized\"}", anonymous.body());
        assertEquals(404, graphql("/graphql/privateer", "Bearer " + access).statusCode());
        assertEquals(3, gazelle.apiRequestCount());
    }

    @Test
    void aSlowAnswerDoesNotHoldUpTheOthers() throws Exception {
        String access = JSON.readTree(gazelle.seedChain("a")).get("access_token").asText();
        // The slow answer takes far longer than any bound below, so a loaded machine cannot blur the two.
        gazelle.apiFaultForNext(1, Fault.slow(java.time.Duration.ofSeconds(20)));
        var slow = http().sendAsync(HttpRequest.newBuilder(gazelle.apiUrl())
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15))
                .until(() -> gazelle.apiRequestCount() == 1);

        long start = System.nanoTime();
        assertEquals(200, graphql("/graphql/private", "Bearer " + access).statusCode());
        long millis = java.time.Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertTrue(millis < 15_000, "the other answer took " + millis + " ms");
        assertFalse(slow.isDone(), "the slow answer is still pending");
    }

    @Test
    void theAuthorizeEndpointRejectsAnUnknownClient() throws Exception {
        HttpResponse<String> response = http().send(HttpRequest.newBuilder(URI.create(gazelle.authorizeUrl()
                + "?client_id=other&response_type=code&redirect_uri=" + URLEncoder.encode(REDIRECT.toString(),
                StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, response.statusCode());
    }

    @Test
    void theTokenEndpointOnlyTakesPost() throws Exception {
        HttpResponse<String> response = http().send(HttpRequest.newBuilder(gazelle.tokenUrl()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, response.statusCode());
        assertTrue(gazelle.tokenRequests().isEmpty());
    }

    @Test
    void aNonRotatingRefreshTokenWithALifetimeKeepsItsEndAndThenIsRefused() throws Exception {
        gazelle.rotateRefreshTokens(false).refreshTokenLifetime(java.time.Duration.ofSeconds(3));
        String seeded = gazelle.seedChain("default");
        JsonNode seed = JSON.readTree(seeded);
        long end = seed.get("created_at").asLong() + seed.get("refresh_token_expires_in").asLong();
        HttpResponse<String> first = refresh(refreshTokenOf(seeded));
        assertEquals(200, first.statusCode(), first.body());
        JsonNode answer = JSON.readTree(first.body());
        assertTrue(!answer.has("refresh_token"), "not rotated");
        long answeredEnd = answer.get("created_at").asLong() + answer.get("refresh_token_expires_in").asLong();
        assertTrue(Math.abs(answeredEnd - end) <= 1, "the end stays where it was: " + end + " vs " + answeredEnd);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> refresh(refreshTokenOf(seeded)).statusCode() == 400);
        assertTrue(refresh(refreshTokenOf(seeded)).body().contains("invalid_grant"));
        assertEquals(0, gazelle.reuseCount(), "an expired refresh token is not a reuse");
    }

    private HttpResponse<String> refresh(String refreshToken) throws Exception {
        return post(Map.of("grant_type", "refresh_token", "refresh_token", refreshToken,
                "client_id", gazelle.clientId(), "client_secret", gazelle.clientSecret()));
    }

    private HttpResponse<String> post(Map<String, String> form) throws Exception {
        String body = form.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return http().send(HttpRequest.newBuilder(gazelle.tokenUrl())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> graphql(String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gazelle.baseUrl().resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"{ __typename }\"}"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String refreshTokenOf(String tokenJson) {
        try {
            return JSON.readTree(tokenJson).get("refresh_token").asText();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new java.util.HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
