package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.provider.vinted.VintedContexts;
import dev.tokenkeeper.api.contract.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.provider.vinted.session.SessionCookies;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corner cases of the refresh flow and the HTTP layer, against a scripted local server. */
class SessionRefreshEdgeTest {

    private static final String HOME = "<html><head><meta name=\"csrf-token\" content=\"c1\"></head></html>";

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private final ScriptedServer server = new ScriptedServer();
    private final SecretMaterial session = SessionCookies.of(Map.of(
            "access_token_web", "A1", "refresh_token_web", "R1", "datadome", "D1")).toMaterial();

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aRefreshTokenRotatedByAFailingAnswerIsStillHandedBackForCommitting() {
        server.on("/", html(HOME))
                .on("/web/api/auth/refresh", new ScriptedServer.Reply(500, "text/html",
                        List.of("refresh_token_web=R2; Path=/; Max-Age=604800"), "<h1>oops</h1>"));

        RefreshResult result = refresh().run(session);

        SecretMaterial kept = assertInstanceOf(RefreshResult.Refreshed.class, result).issued().secret();
        assertEquals("R2", kept.require("cookie.refresh_token_web"));
        assertEquals("A1", kept.require("cookie.access_token_web"));
    }

    /** A JWT whose claims the provider can read (it never checks signatures). */
    private static String jwt(String purpose) {
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"PS256\",\"typ\":\"JWT\"}".getBytes());
        String claims = b64.encodeToString(("{\"purpose\":\"" + purpose + "\",\"scope\":\"user\",\"exp\":"
                + (System.currentTimeMillis() / 1000 + 7200) + "}").getBytes());
        return header + "." + claims + ".c2ln";
    }

    @Test
    void aSuccessfulRefreshCannotDeleteTheTokensButDeletesOtherCookies() {
        String a2 = jwt("access");
        server.on("/", html(HOME))
                .on("/web/api/auth/refresh", new ScriptedServer.Reply(200, "application/json", List.of(
                        "access_token_web=" + a2 + "; Path=/; Max-Age=7200",
                        "refresh_token_web=; Max-Age=0",
                        "datadome=; expires=Thu, 01 Jan 1970 00:00:00 GMT"), "{}"));

        SecretMaterial next = assertInstanceOf(RefreshResult.Refreshed.class, refresh().run(session)).issued().secret();

        assertEquals(Map.of("cookie.access_token_web", a2, "cookie.refresh_token_web", "R1"), next.fields());
    }

    @Test
    void anAccessTokenThatIsNotAJwtIsNotTakenForANewOne() {
        server.on("/", html(HOME))
                .on("/web/api/auth/refresh", new ScriptedServer.Reply(200, "application/json", List.of(
                        "access_token_web=not-a-jwt; Path=/; Max-Age=7200"), "{}"));

        RefreshResult.TransientFailure failure = assertInstanceOf(RefreshResult.TransientFailure.class,
                refresh().run(session));
        assertEquals(FailureKind.BAD_RESPONSE, failure.kind());
        assertTrue(failure.reason().contains("not a readable JWT"), failure.reason());
    }

    @Test
    void anUnexplained401OnTheRefreshIsPermanentAnd404IsNot() {
        server.on("/", html(HOME)).on("/web/api/auth/refresh",
                new ScriptedServer.Reply(401, "application/json", List.of(), "{\"error\":\"nope\"}"));
        RefreshResult.PermanentFailure permanent = assertInstanceOf(RefreshResult.PermanentFailure.class,
                refresh().run(session));
        assertEquals("vinted rejected the session (HTTP 401): import fresh cookies with"
                + " `tokenkeeper import vinted --cookie ...`", permanent.reason());

        server.on("/web/api/auth/refresh", new ScriptedServer.Reply(404, "text/html", List.of(), "<h1>404</h1>"));
        assertEquals(FailureKind.BAD_RESPONSE,
                assertInstanceOf(RefreshResult.TransientFailure.class, refresh().run(session)).kind());
    }

    @Test
    void anHtml403IsTheWallEvenWhenItsScriptsMentionCsrf() {
        server.on("/", html(HOME)).on("/web/api/auth/refresh", new ScriptedServer.Reply(403, "text/html",
                List.of(), "<html><script>var csrfGuard = 1;</script>Access blocked</html>"));
        RefreshResult.TransientFailure failure = assertInstanceOf(RefreshResult.TransientFailure.class,
                refresh().run(session));
        assertEquals(FailureKind.BLOCKED, failure.kind());
        assertEquals(java.util.Optional.of(Duration.ofSeconds(900)), failure.retryAfter());
    }

    @Test
    void bodiesAreCappedAtOneMebibyte() throws Exception {
        String page = "x".repeat(3 * 1024 * 1024) + "<meta name=\"csrf-token\" content=\"late\">";
        server.on("/", html(page));
        VintedSettings settings = VintedSettings.from(VintedContexts.forServer(server.baseUrl(), clock, state));

        UpstreamAnswer answer = new VintedHttp(settings, clock).navigate("/", SessionCookies.of(Map.of()));

        assertEquals(200, answer.status());
        assertEquals(VintedHttp.BODY_LIMIT, answer.body().length());
        assertEquals(java.util.Optional.empty(), CsrfToken.find(answer.body()));
        assertEquals("UpstreamAnswer[200, 0 cookies set, body hidden]", answer.toString());
    }

    private SessionRefresh refresh() {
        VintedSettings settings = VintedSettings.from(VintedContexts.forServer(server.baseUrl(), clock, state));
        UpstreamGate gate = new UpstreamGate(new RequestBudget(10, Duration.ofMinutes(5), clock), new UpstreamPause(clock));
        return new SessionRefresh(new VintedHttp(settings, clock), gate, settings.blockedBackoff(), clock);
    }

    private static ScriptedServer.Reply html(String body) {
        return new ScriptedServer.Reply(200, "text/html; charset=utf-8", List.of(), body);
    }
}
