package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
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
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tokenkeeper authorize gazelle} against FakeGazelle's authorize endpoint; the test plays the
 * browser: it opens the printed URL without following the redirect, then follows it to the CLI's
 * loopback port itself.
 */
class AuthorizeEndToEndTest {

    private static final HttpClient BROWSER = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private DaemonProcess daemon;
    private Map<String, String> env;

    @BeforeEach
    void start() throws Exception {
        gazelle = FakeGazelle.start();
        env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        daemon = new DaemonProcess(temp.resolve("state"), env).start();
        env.put("TOKENKEEPER_STATE_DIR", daemon.stateDir().toString());
        env.put("TOKENKEEPER_LISTEN", "127.0.0.1:" + daemon.port());
    }

    @AfterEach
    void stop() throws Exception {
        try {
            daemon.stop();
            for (String secret : gazelle.allIssuedSecrets()) {
                assertFalse(daemon.output().contains(secret), "the daemon log holds a code or token");
            }
        } finally {
            gazelle.close();
        }
    }

    /** @return the redirect Location the authorize page answers for the URL the CLI printed */
    private URI approve(CliProcess cli) throws Exception {
        String url = cli.awaitLineStartingWith("http", Duration.ofSeconds(60));
        assertTrue(url.startsWith(gazelle.authorizeUrl().toString()), url);
        HttpResponse<String> page = BROWSER.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, page.statusCode(), page.body());
        URI location = URI.create(page.headers().firstValue("Location").orElseThrow());
        assertTrue(location.toString().startsWith("http://127.0.0.1:") && location.getPath().equals("/callback"),
                location.toString());
        return location;
    }

    private static String param(URI uri, String name) {
        for (String pair : uri.getRawQuery().split("&")) {
            if (pair.startsWith(name + "=")) {
                return URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError("no " + name + " in " + uri);
    }

    @Test
    void theCodeFromTheRedirectIsExchangedAndStored() throws Exception {
        gazelle.authorizeAs("web");
        try (CliProcess cli = CliProcess.start(env, "authorize", "gazelle", "--account", "web", "--no-browser",
                "--timeout", "60s")) {
            URI callback = approve(cli);
            HttpResponse<String> landing = BROWSER.send(HttpRequest.newBuilder(callback).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, landing.statusCode(), landing.body());
            assertTrue(landing.body().contains("tokenkeeper is authorized"), landing.body());
            assertEquals(0, cli.waitFor(Duration.ofSeconds(60)), cli.output());
            assertTrue(cli.output().contains("authorized gazelle:web (active)"), cli.output());
            for (String secret : gazelle.allIssuedSecrets()) {
                assertFalse(cli.output().contains(secret), "the CLI printed a code or token");
            }
        }
        JsonNode token = daemon.call("GET", "/api/v1/credentials/gazelle:web/token", null).json();
        assertTrue(gazelle.isAccessTokenValid(token.get("token").asText()), "the stored credential works upstream");
    }

    @Test
    void aRedirectWithAWrongStateIsRejectedAndItsCodeIsNeverExchanged() throws Exception {
        URI forged;
        String code;
        try (CliProcess cli = CliProcess.start(env, "authorize", "gazelle", "--account", "evil", "--no-browser",
                "--timeout", "60s")) {
            URI callback = approve(cli);
            code = param(callback, "code");
            forged = URI.create(callback.toString().replaceAll("state=[^&]*", "state=forged-by-someone-else"));
            HttpResponse<String> landing = BROWSER.send(HttpRequest.newBuilder(forged).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, landing.statusCode(), landing.body());
            assertTrue(landing.body().contains("Wrong state"), landing.body());
            assertEquals(1, cli.waitFor(Duration.ofSeconds(60)), cli.output());
            assertTrue(cli.output().contains("wrong state") && cli.output().contains("the code was not used"), cli.output());
            assertFalse(cli.output().contains(code), "the CLI printed the code");
        }
        assertEquals(404, daemon.call("GET", "/api/v1/credentials/gazelle:evil", null).status(), "nothing was stored");
        // The code was issued for the CLI's PKCE challenge: a thief without the verifier cannot use it. That the
        // imitation counts a PKCE refusal (not an unknown code) proves the CLI never spent it.
        String redirect = forged.toString().substring(0, forged.toString().indexOf('?'));
        String body = DaemonProcess.JSON.createObjectNode().put("authorizationCode", code).put("redirectUri", redirect).toString();
        DaemonProcess.Response exchanged = daemon.call("PUT", "/api/v1/credentials/gazelle:check", body);
        assertEquals(400, exchanged.status(), exchanged.body());
        assertEquals(1, gazelle.pkceRejections(), "refused for the missing code_verifier");
    }

    @Test
    void theCliUsesS256PkceAndTheImitationRefusesAnExchangeWithoutTheRightVerifier() throws Exception {
        gazelle.requirePkce(true).authorizeAs("pkce");
        String url;
        try (CliProcess cli = CliProcess.start(env, "authorize", "gazelle", "--account", "pkce", "--no-browser",
                "--timeout", "60s")) {
            URI callback = approve(cli);
            url = cli.output().lines().filter(line -> line.startsWith("http")).findFirst().orElseThrow();
            assertTrue(url.contains("code_challenge_method=S256") && url.contains("code_challenge="), url);
            HttpResponse<String> landing = BROWSER.send(HttpRequest.newBuilder(callback).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, landing.statusCode(), landing.body());
            assertEquals(0, cli.waitFor(Duration.ofSeconds(60)), cli.output());
        }
        assertEquals(0, gazelle.pkceRejections(), "the CLI's verifier matched its challenge");
        assertEquals(200, daemon.call("GET", "/api/v1/credentials/gazelle:pkce/token", null).status());

        // Codes for the same challenge, exchanged by someone who lacks the verifier: refused.
        String redirect = "http://127.0.0.1:1/callback";
        String sameChallenge = url.replaceAll("redirect_uri=[^&]*", "redirect_uri=" + URLEncoder.encode(redirect, StandardCharsets.UTF_8));
        String wrongVerifier = "w".repeat(43);
        for (String verifier : new String[] {null, wrongVerifier}) {
            HttpResponse<String> page = BROWSER.send(HttpRequest.newBuilder(URI.create(sameChallenge)).build(),
                    HttpResponse.BodyHandlers.ofString());
            String code = param(URI.create(page.headers().firstValue("Location").orElseThrow()), "code");
            var body = DaemonProcess.JSON.createObjectNode().put("authorizationCode", code).put("redirectUri", redirect);
            if (verifier != null) {
                body.put("codeVerifier", verifier);
            }
            DaemonProcess.Response exchanged = daemon.call("PUT", "/api/v1/credentials/gazelle:thief", body.toString());
            assertEquals(400, exchanged.status(), exchanged.body());
        }
        assertEquals(2, gazelle.pkceRejections());
        // And an authorize request without a challenge is turned away by the imitation.
        HttpResponse<String> noChallenge = BROWSER.send(HttpRequest.newBuilder(URI.create(
                sameChallenge.replaceAll("&code_challenge=[^&]*", ""))).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(noChallenge.headers().firstValue("Location").orElseThrow().contains("error=invalid_request"));
        assertEquals(404, daemon.call("GET", "/api/v1/credentials/gazelle:thief", null).status(), "nothing was stored");
    }

    @Test
    void anUnknownProviderOrOneWithoutTheFlowIsRefusedBeforeListening() throws Exception {
        DaemonProcess.Response vinted = CliProcess.run(env, "authorize", "vinted", "--no-browser");
        assertEquals(1, vinted.status(), vinted.body());
        assertTrue(vinted.body().contains("no authorization-code flow"), vinted.body());
        DaemonProcess.Response unknown = CliProcess.run(env, "authorize", "nosuch", "--no-browser");
        assertEquals(1, unknown.status(), unknown.body());
        assertTrue(unknown.body().contains("no provider 'nosuch'"), unknown.body());
    }
}
