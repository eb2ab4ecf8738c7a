package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Gazelle provider against a real third-party OAuth 2 server (NAV's mock-oauth2-server), not
 * our own imitation: authorization-code exchange (with the authorize URL the daemon makes, and with
 * PKCE), then refresh-token grants, in the daemon the harness builds. The server issues its tokens
 * on wall time, so the harness's clock is left where it starts.
 */
class StandardOAuthServerInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REDIRECT = "http://127.0.0.1:9/callback";
    private static final HttpClient BROWSER = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    private final MockOAuth2Server server = started();
    private TokenkeeperExtension daemon;

    private static MockOAuth2Server started() {
        MockOAuth2Server server = new MockOAuth2Server();
        server.start();
        return server;
    }

    @AfterEach
    void stop() {
        try {
            if (daemon != null) {
                daemon.stop();
            }
        } finally {
            server.shutdown();
        }
    }

    @Test
    void authorizationCodeThenRefreshesAgainstAStandardServer() throws Exception {
        start(Map.of("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0"), "");

        ObjectNode body = JSON.createObjectNode().put("authorizationCode", authorize("")).put("redirectUri", REDIRECT);
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:nav", body.toString());
        assertEquals(201, imported.statusCode(), imported.body());

        Set<String> tokens = new HashSet<>();
        tokens.add(token());
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> refresh = daemon.call("POST", "/api/v1/credentials/gazelle:nav/refresh?force=true", null);
            assertEquals("refreshed", json(refresh).path("outcome").asText(), refresh.body());
            tokens.add(token());
        }
        assertEquals(4, tokens.size(), "every refresh gave a new access token");
        for (String token : tokens) {
            assertEquals(3, token.split("\\.").length, "the mock server issues JWT access tokens");
            assertFalse(daemon.log().contains(token), "the daemon logged a token");
        }
        JsonNode credential = json(daemon.call("GET", "/api/v1/credentials/gazelle:nav", null));
        assertEquals("active", credential.get("status").asText());
        assertEquals(4, credential.get("version").asLong(), "version 1 at import, one more per refresh");
    }

    @Test
    void theAuthorizeUrlTheDaemonMakesCompletesAgainstAStandardServer() throws Exception {
        // The standard server wants a scope; extra parameters in the configured URL are kept.
        start(Map.of("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"), "?scope=openid");
        String verifier = verifier();
        // What `tokenkeeper authorize` asks the daemon for (its loopback redirect and state check are the CLI's,
        // in CliEndToEndTest, its authorize… methods).
        HttpResponse<String> asked = daemon.call("GET", "/api/v1/providers/gazelle/authorize-url?state=st-123&redirectUri="
                + URLEncoder.encode(REDIRECT, StandardCharsets.UTF_8) + "&codeChallenge=" + challenge(verifier), null);
        assertEquals(200, asked.statusCode(), asked.body());
        String url = json(asked).path("url").asText();
        assertTrue(url.contains("scope=openid"), url);
        Map<String, String> callback = follow(url);
        assertEquals("st-123", callback.get("state"), "the server hands the state back");

        ObjectNode body = JSON.createObjectNode().put("authorizationCode", callback.get("code"))
                .put("redirectUri", REDIRECT).put("codeVerifier", verifier);
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:nav", body.toString());
        assertEquals(201, imported.statusCode(), imported.body());
        assertEquals("active", json(daemon.call("GET", "/api/v1/credentials/gazelle:nav", null)).get("status").asText());
        String token = token();
        assertEquals(3, token.split("\\.").length, "a JWT access token from the standard server");
        assertFalse(daemon.log().contains(token) || daemon.log().contains(verifier), "the daemon logged a secret");
    }

    @Test
    void theStandardServerVerifiesThePkceVerifierTheDaemonForwards() throws Exception {
        start(Map.of("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"), "");
        String verifier = verifier();
        String pkce = "&code_challenge=" + challenge(verifier) + "&code_challenge_method=S256";

        String wrong = verifier.substring(1) + "x";
        ObjectNode stolen = JSON.createObjectNode().put("authorizationCode", authorize(pkce))
                .put("redirectUri", REDIRECT).put("codeVerifier", wrong);
        HttpResponse<String> refused = daemon.call("PUT", "/api/v1/credentials/gazelle:thief", stolen.toString());
        assertEquals(400, refused.statusCode(), "the standard server refuses a wrong code_verifier: " + refused.body());

        ObjectNode rightful = JSON.createObjectNode().put("authorizationCode", authorize(pkce))
                .put("redirectUri", REDIRECT).put("codeVerifier", verifier);
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:nav", rightful.toString());
        assertEquals(201, imported.statusCode(), imported.body());
        assertFalse(daemon.log().contains(verifier), "the daemon logged the verifier");
    }

    private void start(Map<String, String> extra, String authorizeQuery) {
        Map<String, String> settings = new HashMap<>(extra);
        settings.put("GAZELLE_CLIENT_ID", "tokenkeeper-test");
        settings.put("GAZELLE_CLIENT_SECRET", "not-checked-by-the-mock");
        settings.put("GAZELLE_OAUTH_TOKEN_URL", server.tokenEndpointUrl("gazelle").toString());
        settings.put("GAZELLE_OAUTH_AUTHORIZE_URL", server.authorizationEndpointUrl("gazelle") + authorizeQuery);
        settings.put("GAZELLE_API_URL", server.baseUrl() + "gazelle/userinfo");
        daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).settings(settings);
        daemon.start();
    }

    private String token() {
        HttpResponse<String> token = daemon.call("GET", "/api/v1/credentials/gazelle:nav/token?minValidity=0", null);
        assertEquals(200, token.statusCode(), token.body());
        return json(token).get("token").asText();
    }

    /** What a browser does: follows the authorize URL; the mock approves at once and redirects with a code. */
    private String authorize(String extraQuery) throws Exception {
        Map<String, String> query = follow(server.authorizationEndpointUrl("gazelle")
                + "?client_id=tokenkeeper-test&response_type=code&scope=openid&state=xyz&redirect_uri="
                + URLEncoder.encode(REDIRECT, StandardCharsets.UTF_8) + extraQuery);
        assertEquals("xyz", query.get("state"));
        return query.get("code");
    }

    /** @return the query of the redirect the server answers the URL with */
    private static Map<String, String> follow(String url) throws Exception {
        HttpResponse<String> response = BROWSER.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, response.statusCode(), response.body());
        URI location = URI.create(response.headers().firstValue("Location").orElseThrow());
        assertTrue(location.toString().startsWith(REDIRECT), location.toString());
        Map<String, String> query = new HashMap<>();
        for (String pair : location.getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            query.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        return query;
    }

    private static String verifier() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private static String challenge(String verifier) throws Exception {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    }

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response.body(), e);
        }
    }
}
