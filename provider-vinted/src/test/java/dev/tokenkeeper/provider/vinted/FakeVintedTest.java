package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.contract.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The imitation itself behaves like Vinted, checked with a bare HTTP client (no provider code). */
class FakeVintedTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern META = Pattern.compile("<meta name=\"csrf-token\" content=\"([^\"]+)\"");

    private final MutableClock clock = MutableClock.startingNow();
    /**
     * A client of its own for every request: a pooled connection the server closes at the moment it
     * is reused fails a POST ("header parser received no bytes"), which the JDK client does not retry.
     */
    private static HttpClient http() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }
    private FakeVinted fake;

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void sessionsAreVintedShapedJwtCookies() throws Exception {
        fake = FakeVinted.builder().clock(clock).accessTokenLifetime(Duration.ofSeconds(60)).start();
        Map<String, String> cookies = CookieExports.parseHeader(fake.newSession());

        JsonNode access = payload(cookies.get("access_token_web"));
        JsonNode refresh = payload(cookies.get("refresh_token_web"));
        assertEquals("access", access.get("purpose").asText());
        assertEquals("refresh", refresh.get("purpose").asText());
        assertEquals("user", access.get("scope").asText());
        assertEquals("fr.core.api", access.get("aud").asText());
        assertEquals("vinted-iam-service", access.get("iss").asText());
        assertEquals("web", access.get("client_id").asText());
        assertEquals(cookies.get("v_uid"), access.get("sub").asText());
        assertEquals(access.get("sid"), refresh.get("sid"));
        assertEquals(clock.instant().getEpochSecond() + 60, access.get("exp").asLong());
        assertEquals(clock.instant().getEpochSecond() + 604_800, refresh.get("exp").asLong());
        assertEquals("{\"alg\":\"PS256\",\"typ\":\"JWT\"}", new String(
                Base64.getUrlDecoder().decode(cookies.get("access_token_web").split("\\.")[0]), StandardCharsets.UTF_8));
        assertTrue(fake.allIssuedSecrets().containsAll(cookies.values()));

        JsonNode anonymous = payload(CookieExports.parseHeader(fake.anonymousSession()).get("access_token_web"));
        assertEquals("public", anonymous.get("scope").asText());
        assertFalse(anonymous.has("sub"));
    }

    @Test
    void refreshNeedsTheCsrfTokenOfTheSessionAndRotatesEveryToken() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        Map<String, String> cookies = CookieExports.parseHeader(fake.newSession());
        String firstRefresh = cookies.get("refresh_token_web");

        HttpResponse<String> withoutCsrf = post(cookies, null);
        assertEquals(403, withoutCsrf.statusCode());
        assertTrue(withoutCsrf.body().contains("invalid_csrf_token"));
        assertEquals(0, fake.refreshCount());

        HttpResponse<String> home = get("/", cookies);
        assertEquals(200, home.statusCode());
        Matcher meta = META.matcher(home.body());
        assertTrue(meta.find(), "the home page carries a csrf-token meta tag");
        assertTrue(home.body().contains("\"CSRF_TOKEN\":\"" + meta.group(1) + "\""));
        assertTrue(home.headers().allValues("set-cookie").stream().anyMatch(c -> c.startsWith("datadome=")));

        HttpResponse<String> refreshed = post(cookies, meta.group(1));
        assertEquals(200, refreshed.statusCode());
        Map<String, String> set = setCookies(refreshed);
        assertTrue(set.keySet().containsAll(java.util.List.of("access_token_web", "refresh_token_web", "_vinted_fr_session")));
        assertNotEquals(firstRefresh, set.get("refresh_token_web"));
        assertEquals(set.get("refresh_token_web"), fake.currentRefreshToken(header(cookies)));
        assertTrue(fake.isAccessTokenValid(set.get("access_token_web")));
        assertTrue(refreshed.headers().allValues("set-cookie").stream()
                .allMatch(c -> c.contains("path=/") && c.contains("secure")));

        // The spent refresh token is refused and counted as reuse; the rotated session cookie keeps the CSRF token.
        Map<String, String> stale = new LinkedHashMap<>(cookies);
        stale.put("_vinted_fr_session", set.get("_vinted_fr_session"));
        HttpResponse<String> reuse = post(stale, meta.group(1));
        assertEquals(401, reuse.statusCode());
        assertEquals(100, JSON.readTree(reuse.body()).get("code").asInt());
        assertEquals(1, fake.reuseCount());
        assertEquals(1, fake.refreshCount());
    }

    @Test
    void currentUserNeedsAValidAccessToken() throws Exception {
        fake = FakeVinted.builder().clock(clock).accessTokenLifetime(Duration.ofSeconds(30)).start();
        Map<String, String> cookies = CookieExports.parseHeader(fake.newSession());
        HttpResponse<String> ok = get("/api/v2/users/current", cookies);
        assertEquals(200, ok.statusCode());
        assertEquals(cookies.get("v_uid"), JSON.readTree(ok.body()).path("user").path("id").asText());

        clock.advance(Duration.ofSeconds(30));
        HttpResponse<String> expired = get("/api/v2/users/current", cookies);
        assertEquals(401, expired.statusCode());
        assertEquals(FakeVinted.INVALID_TOKEN_BODY, expired.body());
    }

    @Test
    void aBurstRaisesTheAntiBotWall() throws Exception {
        fake = FakeVinted.builder().clock(clock).blockDuration(Duration.ofMinutes(10)).start();
        Map<String, String> cookies = CookieExports.parseHeader(fake.newSession());
        for (int i = 0; i < 20; i++) {
            assertEquals(200, get("/api/v2/users/current", cookies).statusCode());
        }
        HttpResponse<String> walled = get("/api/v2/users/current", cookies);
        assertEquals(403, walled.statusCode());
        assertTrue(walled.body().contains("captcha-delivery.com"));
        assertTrue(fake.isWallUp());
        clock.advance(Duration.ofMinutes(10));
        assertEquals(200, get("/api/v2/users/current", cookies).statusCode());
        assertEquals(22, fake.requestCount());
        assertEquals(1, fake.blockedCount());
    }

    @Test
    void blockAllAlternatesHtmlPageAndCode106() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        fake.blockAll(true);
        HttpResponse<String> first = get("/", Map.of());
        HttpResponse<String> second = get("/", Map.of());
        assertEquals(403, first.statusCode());
        assertTrue(first.headers().firstValue("content-type").orElse("").contains("html"));
        assertEquals(403, second.statusCode());
        assertEquals(106, JSON.readTree(second.body()).get("code").asInt());
    }

    @Test
    void faultsApplyToTheNextRequestsOfAnEndpoint() throws Exception {
        fake = FakeVinted.builder().clock(clock).csrfRequired(false).start();
        Map<String, String> cookies = CookieExports.parseHeader(fake.newSession());
        fake.failNext(FakeEndpoint.CURRENT_USER, 1, Fault.rateLimited(Duration.ofSeconds(42)));
        fake.failNext(FakeEndpoint.CURRENT_USER, 1, Fault.serviceUnavailable());
        HttpResponse<String> limited = get("/api/v2/users/current", cookies);
        assertEquals(429, limited.statusCode());
        assertEquals("42", limited.headers().firstValue("retry-after").orElseThrow());
        assertEquals(503, get("/api/v2/users/current", cookies).statusCode());
        assertEquals(200, get("/api/v2/users/current", cookies).statusCode());

        fake.failNext(FakeEndpoint.REFRESH, 1, Fault.dropConnection());
        assertThrows(IOException.class, () -> post(cookies, null));
        assertEquals(0, fake.refreshCount());

        fake.failNext(FakeEndpoint.REFRESH, 1, Fault.loseResponse());
        assertThrows(IOException.class, () -> post(cookies, null));
        assertEquals(1, fake.refreshCount(), "a lost response still rotated the tokens");
        assertNotEquals(cookies.get("refresh_token_web"), fake.currentRefreshToken(cookies.get("refresh_token_web")));
    }

    private HttpResponse<String> get(String path, Map<String, String> cookies) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fake.baseUrl() + path)).GET();
        if (!cookies.isEmpty()) {
            request.header("Cookie", header(cookies));
        }
        return http().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(Map<String, String> cookies, String csrf) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/web/api/auth/refresh"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .header("Cookie", header(cookies));
        if (csrf != null) {
            request.header("X-Csrf-Token", csrf);
        }
        return http().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String header(Map<String, String> cookies) {
        StringBuilder out = new StringBuilder();
        cookies.forEach((name, value) -> out.append(out.length() == 0 ? "" : "; ").append(name).append('=').append(value));
        return out.toString();
    }

    private static Map<String, String> setCookies(HttpResponse<?> response) {
        Map<String, String> set = new LinkedHashMap<>();
        for (String header : response.headers().allValues("set-cookie")) {
            String pair = header.split(";", 2)[0];
            set.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
        }
        return set;
    }

    private static JsonNode payload(String jwt) throws IOException {
        return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
    }
}
