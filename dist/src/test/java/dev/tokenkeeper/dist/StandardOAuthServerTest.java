package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Gazelle provider against a real third-party OAuth 2 server (NAV's mock-oauth2-server), not
 * our own imitation: authorization-code exchange, then refresh-token grants, through the real daemon.
 */
class StandardOAuthServerTest {

    private static final String REDIRECT = "http://127.0.0.1:9/callback";

    @TempDir
    Path temp;

    private MockOAuth2Server server;
    private DaemonProcess daemon;

    @BeforeEach
    void start() {
        server = new MockOAuth2Server();
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        server.shutdown();
    }

    @Test
    void authorizationCodeThenRefreshesAgainstAStandardServer() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("GAZELLE_CLIENT_ID", "tokenkeeper-test");
        env.put("GAZELLE_CLIENT_SECRET", "not-checked-by-the-mock");
        env.put("GAZELLE_OAUTH_TOKEN_URL", server.tokenEndpointUrl("gazelle").toString());
        env.put("GAZELLE_OAUTH_AUTHORIZE_URL", server.authorizationEndpointUrl("gazelle").toString());
        env.put("GAZELLE_API_URL", server.baseUrl() + "gazelle/userinfo");
        env.put("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");
        daemon = new DaemonProcess(temp.resolve("state"), env).start();

        String code = authorize();
        String body = DaemonProcess.JSON.createObjectNode().put("authorizationCode", code).put("redirectUri", REDIRECT).toString();
        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:nav", body);
        assertEquals(201, imported.status(), imported.body());

        Set<String> tokens = new HashSet<>();
        tokens.add(token());
        for (int i = 0; i < 3; i++) {
            DaemonProcess.Response refresh = daemon.cli("refresh", "gazelle:nav", "--force");
            assertEquals(0, refresh.status(), refresh.body());
            assertTrue(refresh.body().contains("refreshed"), refresh.body());
            tokens.add(token());
        }
        assertEquals(4, tokens.size(), "every refresh gave a new access token");
        for (String token : tokens) {
            assertEquals(3, token.split("\\.").length, "the mock server issues JWT access tokens");
            assertFalse(daemon.output().contains(token), "the daemon logged a token");
        }
        JsonNode credential = daemon.call("GET", "/api/v1/credentials/gazelle:nav", null).json();
        assertEquals("active", credential.get("status").asText());
        assertEquals(4, credential.get("version").asLong(), "version 1 at import, one more per refresh");
    }

    @Test
    void authorizeCommandCompletesAgainstAStandardServerAndRejectsAWrongState() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("GAZELLE_CLIENT_ID", "tokenkeeper-test");
        env.put("GAZELLE_CLIENT_SECRET", "not-checked-by-the-mock");
        env.put("GAZELLE_OAUTH_TOKEN_URL", server.tokenEndpointUrl("gazelle").toString());
        // The standard server wants a scope; extra parameters in the configured URL are kept.
        env.put("GAZELLE_OAUTH_AUTHORIZE_URL", server.authorizationEndpointUrl("gazelle") + "?scope=openid");
        env.put("GAZELLE_API_URL", server.baseUrl() + "gazelle/userinfo");
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        daemon = new DaemonProcess(temp.resolve("state"), env).start();
        env.put("TOKENKEEPER_STATE_DIR", daemon.stateDir().toString());
        env.put("TOKENKEEPER_LISTEN", "127.0.0.1:" + daemon.port());
        HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

        try (CliProcess cli = CliProcess.start(env, "authorize", "gazelle", "--account", "nav", "--no-browser",
                "--timeout", "60s")) {
            String url = cli.awaitLineStartingWith("http", java.time.Duration.ofSeconds(60));
            HttpResponse<String> page = browser.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(302, page.statusCode(), page.body());
            URI callback = URI.create(page.headers().firstValue("Location").orElseThrow());
            HttpResponse<String> landing = browser.send(HttpRequest.newBuilder(callback).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, landing.statusCode(), landing.body());
            assertEquals(0, cli.waitFor(java.time.Duration.ofSeconds(60)), cli.output());
        }
        assertEquals("active", daemon.call("GET", "/api/v1/credentials/gazelle:nav", null).json().get("status").asText());
        assertEquals(3, token().split("\\.").length, "a JWT access token from the standard server");

        try (CliProcess cli = CliProcess.start(env, "authorize", "gazelle", "--account", "forged", "--no-browser",
                "--timeout", "60s")) {
            String url = cli.awaitLineStartingWith("http", java.time.Duration.ofSeconds(60));
            HttpResponse<String> page = browser.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            URI callback = URI.create(page.headers().firstValue("Location").orElseThrow());
            URI forged = URI.create(callback.toString().replaceAll("state=[^&]*", "state=someone-else"));
            HttpResponse<String> landing = browser.send(HttpRequest.newBuilder(forged).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, landing.statusCode(), landing.body());
            assertEquals(1, cli.waitFor(java.time.Duration.ofSeconds(60)), cli.output());
        }
        assertEquals(404, daemon.call("GET", "/api/v1/credentials/gazelle:forged", null).status(), "nothing stored");
    }

    @Test
    void theStandardServerVerifiesThePkceVerifierTheDaemonForwards() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("GAZELLE_CLIENT_ID", "tokenkeeper-test");
        env.put("GAZELLE_CLIENT_SECRET", "not-checked-by-the-mock");
        env.put("GAZELLE_OAUTH_TOKEN_URL", server.tokenEndpointUrl("gazelle").toString());
        env.put("GAZELLE_OAUTH_AUTHORIZE_URL", server.authorizationEndpointUrl("gazelle").toString());
        env.put("GAZELLE_API_URL", server.baseUrl() + "gazelle/userinfo");
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        daemon = new DaemonProcess(temp.resolve("state"), env).start();
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        String verifier = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String challenge = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                java.security.MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        String pkce = "&code_challenge=" + challenge + "&code_challenge_method=S256";

        String wrong = verifier.substring(1) + "x";
        var stolen = DaemonProcess.JSON.createObjectNode().put("authorizationCode", authorize(pkce))
                .put("redirectUri", REDIRECT).put("codeVerifier", wrong);
        DaemonProcess.Response refused = daemon.call("PUT", "/api/v1/credentials/gazelle:thief", stolen.toString());
        assertEquals(400, refused.status(), "the standard server refuses a wrong code_verifier: " + refused.body());

        var rightful = DaemonProcess.JSON.createObjectNode().put("authorizationCode", authorize(pkce))
                .put("redirectUri", REDIRECT).put("codeVerifier", verifier);
        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:nav", rightful.toString());
        assertEquals(201, imported.status(), imported.body());
        assertFalse(daemon.output().contains(verifier), "the daemon logged the verifier");
    }

    private String token() throws Exception {
        DaemonProcess.Response token = daemon.call("GET", "/api/v1/credentials/gazelle:nav/token?minValidity=0", null);
        assertEquals(200, token.status(), token.body());
        return token.json().get("token").asText();
    }

    /** What a browser does: follows the authorize URL; the mock approves at once and redirects with a code. */
    private String authorize() throws Exception {
        return authorize("");
    }

    private String authorize(String extraQuery) throws Exception {
        String url = server.authorizationEndpointUrl("gazelle") + "?client_id=tokenkeeper-test&response_type=code&scope=openid"
                + "&state=xyz&redirect_uri=" + URLEncoder.encode(REDIRECT, StandardCharsets.UTF_8) + extraQuery;
        HttpResponse<String> response = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build()
                .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(302, response.statusCode(), response.body());
        URI location = URI.create(response.headers().firstValue("Location").orElseThrow());
        Map<String, String> query = new HashMap<>();
        for (String pair : location.getRawQuery().split("&")) {
            String[] kv = pair.split("=", 2);
            query.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
        }
        assertEquals("xyz", query.get("state"));
        return query.get("code");
    }
}
