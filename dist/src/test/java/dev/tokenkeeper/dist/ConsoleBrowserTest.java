package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web console in a real browser (Debian's chromium through chromedriver) against the real daemon
 * process and the upstream imitations. Every page the browser saw is kept and, at the end, searched
 * for every token, cookie and code the imitations issued, the admin token and the session cookie.
 */
class ConsoleBrowserTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    @RegisterExtension
    final Fleet fleet = new Fleet();

    private DaemonProcess daemon;
    private Chromium chromium;

    private DaemonProcess startDaemon(Map<String, String> extra) throws Exception {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(extra);
        daemon = fleet.start(fleet.temp().resolve("state"), env);
        return daemon;
    }

    private WebDriver browser() throws Exception {
        chromium = fleet.closeAfter(Chromium.start(fleet.temp().resolve("chromium")));
        return chromium.driver();
    }

    private WebDriverWait waiting(WebDriver driver) {
        return (WebDriverWait) new WebDriverWait(driver, Duration.ofSeconds(30)).ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    /** Keeps the page for the secret search, and a screenshot of it. */
    private void keep(WebDriver driver, String name) throws Exception {
        fleet.saw("page " + name, driver.getPageSource());
        chromium.screenshot(name);
        // No inline script or style was blocked by the Content-Security-Policy, nothing failed to load
        // (a page answered with a deliberate 4xx, like a refused login, logs that status: not a failure).
        List<String> errors = chromium.browserErrors().stream().filter(e -> !e.contains("favicon.ico")
                && !e.contains("the server responded with a status of 40")).toList();
        assertTrue(errors.isEmpty(), "browser console on " + name + ": " + errors);
    }

    private void logIn(WebDriver driver) throws Exception {
        driver.get(daemon.baseUrl() + "/");
        waiting(driver).until(ExpectedConditions.urlToBe(daemon.baseUrl() + "/ui/login"));
        driver.findElement(By.name("token")).sendKeys(daemon.adminToken());
        driver.findElement(By.cssSelector("form[action='/ui/login'] button")).click();
        waiting(driver).until(ExpectedConditions.presenceOfElementLocated(By.id("scheduler-state")));
        Cookie session = driver.manage().getCookieNamed("tokenkeeper_session");
        assertNotNull(session, "a session cookie after login");
        assertTrue(session.isHttpOnly(), "the session cookie is HttpOnly");
        assertEquals("Strict", session.getSameSite());
        assertNotNull(session.getExpiry(), "the session cookie expires");
        fleet.secret(session.getValue());
    }

    private String statusOf(WebDriver driver, String id) {
        return driver.findElement(By.cssSelector("tr[data-credential-id='" + id + "']")).getAttribute("data-status");
    }

    private void awaitStatusOnPage(WebDriver driver, String status) {
        waiting(driver).until(d -> status.equals(d.findElement(By.id("main")).getAttribute("data-status")));
    }

    private void importThroughForm(WebDriver driver, String provider, String account, String secret) {
        driver.get(daemon.baseUrl() + "/ui/import");
        new Select(driver.findElement(By.id("provider"))).selectByValue(provider);
        WebElement accountField = driver.findElement(By.id("account"));
        accountField.clear();
        accountField.sendKeys(account);
        // A cookie header or token JSON is long: set it directly rather than typing it key by key.
        WebElement secretField = driver.findElement(By.id("secret"));
        ((org.openqa.selenium.JavascriptExecutor) driver).executeScript("arguments[0].value = arguments[1];", secretField, secret);
        driver.findElement(By.id("import")).click();
    }

    @Test
    void loginOverviewImportRequiresConfigurationReimportAuthorizeRefreshDelete() throws Exception {
        FakeGazelle gazelle = fleet.upstream(FakeGazelle.start());
        FakeVinted vinted = fleet.upstream(FakeVinted.start());
        Map<String, String> env = new LinkedHashMap<>(gazelle.settings());
        env.put("VINTED_BASE_URL", vinted.baseUrl());
        env.put("VINTED_MAX_REQUESTS_PER_5_MIN", "1000");
        startDaemon(env);
        String seeded = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString();
        assertEquals(201, daemon.call("PUT", "/api/v1/credentials/gazelle:default", seeded).status());
        String cookie = DaemonProcess.JSON.createObjectNode().put("cookie", vinted.newSession()).toString();
        assertEquals(201, daemon.call("PUT", "/api/v1/credentials/vinted:admin", cookie).status());
        WebDriver driver = browser();

        // A wrong token: refused, slowly, with no session.
        driver.get(daemon.baseUrl() + "/ui/login");
        keep(driver, "login");
        driver.findElement(By.name("token")).sendKeys("not-the-admin-token");
        long before = System.nanoTime();
        driver.findElement(By.cssSelector("form[action='/ui/login'] button")).click();
        WebElement refused = waiting(driver).until(ExpectedConditions.presenceOfElementLocated(By.id("login-error")));
        assertTrue(Duration.ofNanos(System.nanoTime() - before).toMillis() >= 900, "a wrong token is answered slowly");
        assertEquals("That is not the admin token.", refused.getText());
        assertNull(driver.manage().getCookieNamed("tokenkeeper_session"), "no session for a wrong token");
        keep(driver, "login-refused");

        // Log in: two credentials with their statuses.
        logIn(driver);
        assertEquals("active", statusOf(driver, "gazelle:default"));
        assertEquals("active", statusOf(driver, "vinted:admin"));
        assertTrue(driver.findElement(By.cssSelector("tr[data-credential-id='gazelle:default']")).getText().contains("active"),
                "the status word is on the row, not only a colour");
        assertTrue(driver.findElement(By.cssSelector("tr[data-credential-id='gazelle:default'] .rel")).getText().startsWith("(in "),
                "the access-token expiry reads as 'in ...'");
        keep(driver, "overview");

        // Import a Vinted cookie string through the form.
        String phoneSession = vinted.newSession();
        importThroughForm(driver, "vinted", "phone", phoneSession);
        awaitStatusOnPage(driver, "active");
        assertTrue(driver.findElement(By.id("flash")).getText().startsWith("imported vinted:phone (active) from a Cookie header"),
                driver.findElement(By.id("flash")).getText());
        keep(driver, "credential-vinted");
        // A browser cookie export (JSON) is recognised too.
        importThroughForm(driver, "vinted", "export", vinted.jsonExport(vinted.newSession()));
        awaitStatusOnPage(driver, "active");
        assertTrue(driver.findElement(By.id("flash")).getText().contains("from a browser cookie export"));
        // Bad input: the CLI's words, inline, and the secret is not echoed.
        importThroughForm(driver, "vinted", "broken", "this is not a cookie");
        WebElement error = waiting(driver).until(ExpectedConditions.presenceOfElementLocated(By.id("secret-error")));
        assertTrue(error.getText().startsWith("import failed: "), error.getText());
        assertEquals("", driver.findElement(By.id("secret")).getAttribute("value"), "the secret is not shown again");
        assertEquals("broken", driver.findElement(By.id("account")).getAttribute("value"), "the account is kept");
        keep(driver, "import-error");

        // Gazelle's refresh token is refused upstream: requires_configuration with its reason.
        gazelle.tokenFault(FakeGazelle.Fault.invalidGrant());
        driver.get(daemon.baseUrl() + "/ui/credentials/gazelle:default");
        driver.findElement(By.id("refresh-now")).click();
        awaitStatusOnPage(driver, "requires_configuration");
        assertTrue(driver.findElement(By.id("flash")).getText().startsWith("gazelle:default: requires_configuration ("));
        driver.get(daemon.baseUrl() + "/ui/");
        assertEquals("requires_configuration", statusOf(driver, "gazelle:default"));
        String reason = driver.findElement(By.cssSelector("tr[data-credential-id='gazelle:default'] .last-error")).getText();
        assertFalse(reason.isBlank() || reason.equals("none"), "the reason is shown: " + reason);
        assertEquals("Authorize Gazelle again, or import a fresh token JSON.",
                driver.findElement(By.cssSelector("tr[data-credential-id='gazelle:default'] .todo")).getText());
        keep(driver, "overview-requires-configuration");

        // Re-import it from its page.
        gazelle.tokenFault(FakeGazelle.Fault.normal());
        driver.get(daemon.baseUrl() + "/ui/credentials/gazelle:default");
        keep(driver, "credential-requires-configuration");
        driver.findElement(By.id("reimport")).click();
        assertEquals("gazelle", new Select(driver.findElement(By.id("provider"))).getFirstSelectedOption().getAttribute("value"));
        keep(driver, "import");
        WebElement secretField = driver.findElement(By.id("secret"));
        ((org.openqa.selenium.JavascriptExecutor) driver).executeScript("arguments[0].value = arguments[1];", secretField,
                gazelle.seedChain("default"));
        driver.findElement(By.id("import")).click();
        awaitStatusOnPage(driver, "active");
        assertTrue(driver.findElement(By.id("flash")).getText().startsWith("imported gazelle:default (active) from a token JSON"));

        // Authorize Gazelle: to the imitation's authorize page and back to /ui/oauth/callback.
        gazelle.authorizeAs("web");
        driver.get(daemon.baseUrl() + "/ui/import");
        WebElement account = driver.findElement(By.id("authorize-account-gazelle"));
        account.clear();
        account.sendKeys("web");
        driver.findElement(By.id("authorize-gazelle")).click();
        waiting(driver).until(ExpectedConditions.presenceOfElementLocated(By.id("message")));
        assertTrue(driver.getCurrentUrl().startsWith(daemon.baseUrl() + "/ui/oauth/callback?"), driver.getCurrentUrl());
        assertEquals("tokenkeeper is authorized", driver.findElement(By.tagName("h1")).getText());
        assertEquals(1, gazelle.pkceExchangeCount(), "the code was exchanged with the verifier of its S256 challenge");
        keep(driver, "authorized");
        driver.findElement(By.id("continue")).click();
        awaitStatusOnPage(driver, "active");
        assertTrue(gazelle.isAccessTokenValid(daemon.call("GET", "/api/v1/credentials/gazelle:web/token", null).json()
                .get("token").asText()), "the authorized credential works upstream");

        // Refresh now.
        int refreshes = gazelle.refreshRequestCount();
        driver.findElement(By.id("refresh-now")).click();
        waiting(driver).until(d -> d.findElement(By.id("flash")).getText().equals("gazelle:web: refreshed"));
        assertEquals(refreshes + 1, gazelle.refreshRequestCount());
        assertTrue(driver.findElements(By.cssSelector("tr.event")).size() >= 2, "the events list the import and the refresh");
        assertTrue(driver.findElement(By.cssSelector("figure.chart figcaption")).getText().startsWith("2 refreshes"),
                driver.findElement(By.cssSelector("figure.chart figcaption")).getText());
        keep(driver, "credential");

        // A redirect with a state this console never issued is refused.
        driver.get(daemon.baseUrl() + "/ui/oauth/callback?code=made-up&state=forged");
        assertEquals("Wrong state", driver.findElement(By.tagName("h1")).getText());
        keep(driver, "callback-wrong-state");

        // Delete with confirmation.
        driver.get(daemon.baseUrl() + "/ui/credentials/vinted:export");
        driver.findElement(By.id("delete")).click();
        keep(driver, "confirm-delete");
        driver.findElement(By.id("confirm-delete")).click();
        waiting(driver).until(d -> d.findElement(By.id("flash")).getText().equals("Deleted vinted:export."));
        assertTrue(driver.findElements(By.cssSelector("tr[data-credential-id='vinted:export']")).isEmpty());
        assertEquals(404, daemon.call("GET", "/api/v1/credentials/vinted:export", null).status());

        // Scheduler stop and start.
        assertEquals("true", driver.findElement(By.id("scheduler-state")).getAttribute("data-active"));
        driver.findElement(By.id("scheduler-toggle")).click();
        waiting(driver).until(d -> "false".equals(d.findElement(By.id("scheduler-state")).getAttribute("data-active")));
        assertFalse(daemon.call("GET", "/api/v1/scheduler", null).json().get("isActive").asBoolean());
        driver.findElement(By.id("scheduler-toggle")).click();
        waiting(driver).until(d -> "true".equals(d.findElement(By.id("scheduler-state")).getAttribute("data-active")));

        // The overview on a phone.
        keep(driver, "overview-final");
        chromium.windowSize(390, 844);
        driver.navigate().refresh();
        keep(driver, "overview-phone");
        chromium.windowSize(1280, 900);

        // Log out: the session is over.
        driver.findElement(By.id("logout")).click();
        waiting(driver).until(ExpectedConditions.urlToBe(daemon.baseUrl() + "/ui/login"));
        driver.get(daemon.baseUrl() + "/ui/");
        assertEquals(daemon.baseUrl() + "/ui/login", driver.getCurrentUrl());
    }

    @Test
    void authorizeAgainstAStandardOAuthServer() throws Exception {
        MockOAuth2Server oauthServer = new MockOAuth2Server();
        oauthServer.start();
        fleet.closeAfter(oauthServer::shutdown);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("GAZELLE_CLIENT_ID", "tokenkeeper-test");
        env.put("GAZELLE_CLIENT_SECRET", fleet.secret("not-checked-by-the-mock"));
        env.put("GAZELLE_OAUTH_TOKEN_URL", oauthServer.tokenEndpointUrl("gazelle").toString());
        env.put("GAZELLE_OAUTH_AUTHORIZE_URL", oauthServer.authorizationEndpointUrl("gazelle") + "?scope=openid");
        env.put("GAZELLE_API_URL", oauthServer.baseUrl() + "gazelle/userinfo");
        env.put("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");
        // The standard server's first token request (key generation, warm-up) can take seconds on a busy machine.
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "30");
        startDaemon(env);
        WebDriver driver = browser();
        logIn(driver);
        driver.get(daemon.baseUrl() + "/ui/import");
        WebElement account = driver.findElement(By.id("authorize-account-gazelle"));
        account.clear();
        account.sendKeys("nav");
        driver.findElement(By.id("authorize-gazelle")).click();
        waiting(driver).until(ExpectedConditions.presenceOfElementLocated(By.id("message")));
        assertEquals("tokenkeeper is authorized", driver.findElement(By.tagName("h1")).getText(),
                driver.findElement(By.id("message")).getText());
        driver.findElement(By.id("continue")).click();
        awaitStatusOnPage(driver, "active");
        String token = daemon.call("GET", "/api/v1/credentials/gazelle:nav/token", null).json().get("token").asText();
        fleet.secret(token);
        driver.findElement(By.id("refresh-now")).click();
        waiting(driver).until(d -> d.findElement(By.id("flash")).getText().equals("gazelle:nav: refreshed"));
        String refreshed = daemon.call("GET", "/api/v1/credentials/gazelle:nav/token", null).json().get("token").asText();
        fleet.secret(refreshed);
        assertFalse(token.equals(refreshed), "refresh now gave a new access token");
        keep(driver, "credential-standard-oauth");
    }

    @Test
    void formsWithoutTheCsrfTokenAndWrongTokensAreRefused() throws Exception {
        startDaemon(Map.of());
        String base = daemon.baseUrl();

        // Two different wrong tokens get the very same answer.
        HttpResponse<String> wrong1 = post(base + "/ui/login", null, Map.of("token", "wrong-one"));
        HttpResponse<String> wrong2 = post(base + "/ui/login", null, Map.of("token", "another-wrong-token-entirely"));
        assertEquals(401, wrong1.statusCode());
        assertEquals(wrong1.body(), wrong2.body());
        assertTrue(wrong1.headers().firstValue("Set-Cookie").isEmpty());

        HttpResponse<String> login = post(base + "/ui/login", null, Map.of("token", daemon.adminToken()));
        assertEquals(303, login.statusCode());
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Max-Age="),
                setCookie);
        String session = setCookie.substring(0, setCookie.indexOf(';'));
        fleet.secret(session.substring(session.indexOf('=') + 1));

        HttpResponse<String> overview = get(base + "/ui/", session);
        assertEquals(200, overview.statusCode());
        fleet.saw("page overview-http", overview.body());
        assertTrue(overview.headers().firstValue("Content-Security-Policy").orElse("").contains("script-src 'self'"));
        assertTrue(overview.headers().firstValue("Content-Security-Policy").orElse("").contains("frame-ancestors 'none'"));
        assertEquals("DENY", overview.headers().firstValue("X-Frame-Options").orElse(""));
        assertEquals("no-store", overview.headers().firstValue("Cache-Control").orElse(""));
        assertFalse(overview.body().contains("<script>") || overview.body().contains("style="), "no inline script or style");
        Matcher csrf = CSRF.matcher(overview.body());
        assertTrue(csrf.find(), "the page carries a CSRF token");

        HttpResponse<String> noCsrf = post(base + "/ui/scheduler", session, Map.of("action", "stop"));
        assertEquals(403, noCsrf.statusCode());
        HttpResponse<String> wrongCsrf = post(base + "/ui/scheduler", session, Map.of("action", "stop", "csrf", "guessed"));
        assertEquals(403, wrongCsrf.statusCode());
        HttpResponse<String> noSession = post(base + "/ui/scheduler", null, Map.of("action", "stop", "csrf", csrf.group(1)));
        assertEquals(403, noSession.statusCode());
        assertTrue(daemon.call("GET", "/api/v1/scheduler", null).json().get("isActive").asBoolean(), "nothing changed");

        HttpResponse<String> withCsrf = post(base + "/ui/scheduler", session, Map.of("action", "stop", "csrf", csrf.group(1)));
        assertEquals(303, withCsrf.statusCode());
        assertFalse(daemon.call("GET", "/api/v1/scheduler", null).json().get("isActive").asBoolean(), "the real form works");

        // Bad requests get a page that says what was wrong, never a stack trace.
        HttpResponse<String> missing = get(base + "/ui/credentials/gazelle:nosuch", session);
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("No such credential"), missing.body());
        HttpResponse<String> badId = get(base + "/ui/credentials/not-an-id", session);
        assertEquals(400, badId.statusCode());
        HttpResponse<String> unknownProvider = post(base + "/ui/import", session,
                Map.of("csrf", csrf.group(1), "provider", "nosuch", "account", "a", "secret", "x=y"));
        assertEquals(400, unknownProvider.statusCode());
        assertTrue(unknownProvider.body().contains("import failed: no provider &#39;nosuch&#39;"), unknownProvider.body());
        HttpResponse<String> script = post(base + "/ui/import", session, Map.of("csrf", csrf.group(1),
                "provider", "vinted", "account", "<script>alert(1)</script>", "secret", "x=y"));
        assertEquals(400, script.statusCode());
        assertFalse(script.body().contains("<script>alert"), "user input is escaped");
        HttpResponse<String> refusedUpstream = get(base + "/ui/oauth/callback?error=access_denied&state=x", null);
        assertEquals(400, refusedUpstream.statusCode());
        assertTrue(refusedUpstream.body().contains("The provider refused the authorization: access_denied"));

        // More wrong logins at once than the server has threads: each is answered, the same way, after
        // the delay (which holds no thread), and the daemon answers other requests meanwhile.
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            flood.add(HTTP.sendAsync(DaemonProcess.freshConnection(URI.create(base + "/ui/login"))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("token=wrong-" + i)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        assertEquals(200, get(base + "/healthz", null).statusCode());
        for (var answer : flood) {
            HttpResponse<String> refused = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(401, refused.statusCode());
            assertEquals(wrong1.body(), refused.body());
        }

        HttpResponse<String> loggedOut = post(base + "/ui/logout", session, Map.of("csrf", csrf.group(1)));
        assertEquals(303, loggedOut.statusCode());
        assertEquals(303, get(base + "/ui/", session).statusCode(), "the session ended at logout");
        JsonNode health = DaemonProcess.JSON.readTree(get(base + "/healthz", null).body());
        assertEquals("ok", health.get("status").asText());
    }

    private static HttpResponse<String> get(String url, String cookie) throws Exception {
        HttpRequest.Builder request = DaemonProcess.freshConnection(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String url, String cookie, Map<String, String> form) throws Exception {
        List<String> pairs = new ArrayList<>();
        form.forEach((k, v) -> pairs.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        HttpRequest.Builder request = DaemonProcess.freshConnection(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(String.join("&", pairs)));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
