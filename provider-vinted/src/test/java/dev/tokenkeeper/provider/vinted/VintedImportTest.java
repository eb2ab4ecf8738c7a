package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.api.contract.MutableClock;
import static dev.tokenkeeper.provider.vinted.SecretAssertions.assertNoSecretIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every form a user has of the same browser session imports to the same secret; bad input gets one clear line. */
class VintedImportTest {

    private static final Duration ACCESS = Duration.ofSeconds(7200);
    private static final Duration REFRESH = Duration.ofSeconds(604_800);

    @TempDir
    Path state;

    private final MutableClock clock = MutableClock.startingNow();
    private FakeVinted fake;
    private VintedProvider provider;

    @BeforeEach
    void start() {
        fake = FakeVinted.builder().clock(clock).accessTokenLifetime(ACCESS).refreshTokenLifetime(REFRESH).start();
        provider = new VintedProvider();
        // The site a French user exports cookies from; no request is sent by an import.
        provider.configure(new TestContext(Map.of("VINTED_BASE_URL", "https://www.vinted.fr"), state, clock));
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void everyFormOfTheSameCookiesGivesTheSameSecretAndExpiries() throws Exception {
        String header = fake.newSession();
        Instant issuedAt = clock.instant();
        clock.advance(Duration.ofMinutes(3)); // a user imports a little after copying

        String pasted = "Cookie:  " + header.replace("; ", ";\n   ") + " \n";
        String json = fake.jsonExport(header);
        String netscape = fake.netscapeExport(header);
        String playwright = "{\"cookies\": " + json + ", \"origins\": []}";
        List<ImportedSecret> imports = List.of(
                provider.importSecret(new SecretInput.CookieHeader(header)),
                provider.importSecret(new SecretInput.CookieHeader(pasted)),
                provider.importSecret(new SecretInput.CookieFile(json)),
                provider.importSecret(new SecretInput.CookieFile(netscape)),
                provider.importSecret(new SecretInput.CookieFile(playwright)),
                provider.importSecret(new SecretInput.CookieFile(header + "\n")));

        Map<String, String> browser = CookieExports.parseHeader(header);
        SecretMaterial expected = new SecretMaterial(prefixed(browser));
        for (ImportedSecret imported : imports) {
            assertEquals(expected, imported.issued().secret());
            assertEquals(issuedAt, imported.issued().issuedAt());
            assertEquals(Optional.of(issuedAt.plus(ACCESS)), imported.issued().accessExpiresAt());
            assertEquals(Optional.of(issuedAt.plus(REFRESH)), imported.issued().refreshExpiresAt());
            assertEquals(List.of(), imported.warnings());
        }
        assertEquals(9, expected.fields().size(), "every cookie is kept, anti-bot ones included");
        assertTrue(expected.fields().containsKey("cookie.datadome"));
    }

    @Test
    void aCookiesFileKeepsOnlyVintedCookiesAndPrefersTheConfiguredCountry() throws Exception {
        String header = fake.newSession();
        String other = fake.newSession(); // the same user logged in on vinted.de too
        String json = fake.jsonExport(header);
        String german = CookieExports.json(other, ".vinted.de", clock.instant().plusSeconds(3600));
        String google = CookieExports.json("_ga=GA1.2.3; NID=511=abc", ".google.com", clock.instant().plusSeconds(3600));
        // German first: the French cookies must still win for https://www.vinted.fr.
        String merged = "[" + strip(german) + "," + strip(google) + "," + strip(json) + "]";

        SecretMaterial secret = provider.importSecret(new SecretInput.CookieFile(merged)).issued().secret();

        assertEquals(new SecretMaterial(prefixed(CookieExports.parseHeader(header))), secret);
        assertFalse(secret.fields().containsKey("cookie._ga"));

        String netscape = fake.netscapeExport(header) + "# a comment\n\n.google.com\tTRUE\t/\tFALSE\t0\tNID\t511=abc\n";
        assertEquals(secret, provider.importSecret(new SecretInput.CookieFile(netscape)).issued().secret());
    }

    @Test
    void aMultiSiteExportWithAnotherSitesStaleAccessTokenFirstKeepsTheConfiguredSitesPair() throws Exception {
        String header = fake.newSession();
        Map<String, String> german = new java.util.LinkedHashMap<>(CookieExports.parseHeader(fake.newSession()));
        german.put("access_token_web", "stale-not-a-jwt");
        String germanHeader = german.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(java.util.stream.Collectors.joining("; "));
        String merged = "[" + strip(CookieExports.json(germanHeader, ".vinted.de", clock.instant().plusSeconds(3600)))
                + "," + strip(fake.jsonExport(header)) + "]";

        ImportedSecret imported = provider.importSecret(new SecretInput.CookieFile(merged));

        assertEquals(new SecretMaterial(prefixed(CookieExports.parseHeader(header))), imported.issued().secret());
        assertEquals(List.of(), imported.warnings(), "the configured domain decided: nothing to warn about");
    }

    @Test
    void whenNoSiteIsTheConfiguredOneTheValidNewestPairWinsAndAWarningNamesItsDomain() throws Exception {
        String old = fake.newSession();
        clock.advance(ACCESS.plusMinutes(5)); // the German session's access token has expired since
        String fresh = fake.newSession();
        String german = strip(CookieExports.json(old, ".vinted.de", clock.instant().plusSeconds(3600)));
        String italian = strip(CookieExports.json(fresh, "www.vinted.it", clock.instant().plusSeconds(3600)));

        for (String export : List.of("[" + german + "," + italian + "]", "[" + italian + "," + german + "]")) {
            ImportedSecret imported = provider.importSecret(new SecretInput.CookieFile(export));
            assertEquals(new SecretMaterial(prefixed(CookieExports.parseHeader(fresh))), imported.issued().secret(),
                    "the Italian pair, whatever the order");
            assertEquals(1, imported.warnings().size(), imported.warnings().toString());
            String warning = imported.warnings().get(0);
            assertTrue(warning.contains("used vinted.it's"), warning);
            assertTrue(warning.contains("vinted.de"), warning);
            for (String value : CookieExports.parseHeader(fresh).values()) {
                assertFalse(value.length() > 8 && warning.contains(value), "no cookie value in the warning");
            }
        }
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("empty cookie string", header(""), "the cookie string is empty"),
                Arguments.of("blank cookie string", header("  \n "), "the cookie string is empty"),
                Arguments.of("empty file", file(""), "the cookies file is empty"),
                Arguments.of("blank file", file("\n\n\t\n"), "the cookies file is empty"),
                Arguments.of("JSON object", file("{\"access_token_web\": \"x\"}"), "not an array of cookie objects"),
                Arguments.of("JSON array of numbers", file("[1, 2]"), "entry 1 of the JSON cookies file"),
                Arguments.of("JSON entry without value", file("[{\"name\": \"refresh_token_web\"}]"), "entry 1"),
                Arguments.of("broken JSON", file("[{\"name\": \"a\", \"value\": \n"), "cannot be parsed (line"),
                Arguments.of("prose", file("hello, these are my cookies"), "neither JSON nor Netscape"),
                Arguments.of("bad Netscape line", file(".vinted.fr\tTRUE\t/\tTRUE\t0\tv_uid\t1\nnot a cookie line\n"),
                        "line 2 of the cookies file"),
                Arguments.of("no vinted cookies", file(CookieExports.json("_ga=1", ".google.com", Instant.EPOCH)),
                        "holds no vinted cookies"),
                Arguments.of("no pairs", header("just some words"), "holds no vinted cookies"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedInputGetsOneLineNamingTheProblem(String label, SecretInput input, String expected) {
        InvalidSecretException e = assertThrows(InvalidSecretException.class, () -> provider.importSecret(input));
        assertOneLine(e.getMessage(), expected);
    }

    @Test
    void missingTokensAreNamedWithWhereToCopyTheCookiesFrom() throws Exception {
        Map<String, String> cookies = CookieExports.parseHeader(fake.newSession());
        List<String> messages = new ArrayList<>();

        String noRefresh = join(cookies, "refresh_token_web", null);
        InvalidSecretException e1 = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.CookieHeader(noRefresh)));
        assertOneLine(e1.getMessage(), "no refresh_token_web cookie in the cookie string");
        assertTrue(e1.getMessage().contains("open developer tools > Network, copy the Cookie request header"));
        messages.add(e1.getMessage());

        String noAccess = join(cookies, "access_token_web", null);
        InvalidSecretException e2 = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.CookieFile(fake.netscapeExport(noAccess))));
        assertOneLine(e2.getMessage(), "no access_token_web cookie in the cookies file");
        messages.add(e2.getMessage());

        String garbage = join(cookies, "access_token_web", "not-a-jwt-at-all");
        InvalidSecretException e3 = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.CookieHeader(garbage)));
        assertOneLine(e3.getMessage(), "access_token_web is not a JWT (expected three base64url parts)");
        assertFalse(e3.getMessage().contains("not-a-jwt-at-all"));
        messages.add(e3.getMessage());

        String notJson = join(cookies, "refresh_token_web", "eyJhbGciOiJQUzI1NiJ9.bm90IGpzb24.c2ln");
        InvalidSecretException e4 = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.CookieFile(fake.jsonExport(notJson))));
        assertOneLine(e4.getMessage(), "refresh_token_web is not a JWT");
        messages.add(e4.getMessage());

        String swapped = join(join(cookies, "refresh_token_web", cookies.get("access_token_web")), "x", null);
        InvalidSecretException e5 = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.CookieHeader(swapped)));
        assertOneLine(e5.getMessage(), "refresh_token_web is not a refresh token (its purpose claim is 'access')");
        messages.add(e5.getMessage());

        assertNoSecretIn(fake, messages);
    }

    @Test
    void anAnonymousSessionImportsWithAWarning() throws Exception {
        ImportedSecret imported = provider.importSecret(new SecretInput.CookieHeader(fake.anonymousSession()));
        assertEquals(1, imported.warnings().size());
        assertOneLine(imported.warnings().get(0), "anonymous (scope public): log in before copying the cookies");
        assertNoSecretIn(fake, imported.warnings());
    }

    @Test
    void aRefreshTokenThatIsExpiredOrAboutToExpireIsWarnedAbout() throws Exception {
        String header = fake.newSession();
        clock.advance(REFRESH.minus(Duration.ofHours(5)));
        ImportedSecret soon = provider.importSecret(new SecretInput.CookieHeader(header));
        assertEquals(1, soon.warnings().size());
        assertOneLine(soon.warnings().get(0), "within a day");

        clock.advance(Duration.ofHours(6));
        ImportedSecret expired = provider.importSecret(new SecretInput.CookieHeader(header));
        assertEquals(1, expired.warnings().size());
        assertOneLine(expired.warnings().get(0), "refresh_token_web expired at");
        assertNoSecretIn(fake, List.of(soon.warnings().get(0), expired.warnings().get(0)));
    }

    @Test
    void tokensOfTwoDifferentSessionsAreWarnedAbout() throws Exception {
        Map<String, String> one = CookieExports.parseHeader(fake.newSession());
        Map<String, String> two = CookieExports.parseHeader(fake.newSession());
        String mixed = join(one, "refresh_token_web", two.get("refresh_token_web"));
        ImportedSecret imported = provider.importSecret(new SecretInput.CookieHeader(mixed));
        assertEquals(1, imported.warnings().size());
        assertOneLine(imported.warnings().get(0), "belong to different sessions");
    }

    @Test
    void tokenJsonAndAuthorizationCodesAreNotVintedForms() {
        InvalidSecretException e = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.TokenJson("{\"access_token\":\"x\"}")));
        assertOneLine(e.getMessage(), "vinted takes a cookie string (--cookie) or a cookies file (--cookie-file), not token-json");
    }

    private static void assertOneLine(String message, String expected) {
        assertTrue(message.contains(expected), () -> "expected '" + expected + "' in: " + message);
        assertFalse(message.contains("\n") || message.contains("\r"), () -> "more than one line: " + message);
    }

    private static SecretInput header(String text) {
        return new SecretInput.CookieHeader(text);
    }

    private static SecretInput file(String text) {
        return new SecretInput.CookieFile(text);
    }

    private static Map<String, String> prefixed(Map<String, String> cookies) {
        Map<String, String> fields = new java.util.HashMap<>();
        cookies.forEach((name, value) -> fields.put("cookie." + name, value));
        return fields;
    }

    /** The cookies as a header with {@code name} replaced by {@code value}, or left out when value is null. */
    private static String join(Map<String, String> cookies, String name, String value) {
        StringBuilder out = new StringBuilder();
        cookies.forEach((n, v) -> {
            if (!n.equals(name) || value != null) {
                out.append(out.length() == 0 ? "" : "; ").append(n).append('=').append(n.equals(name) ? value : v);
            }
        });
        return out.toString();
    }

    private static String join(String header, String name, String value) {
        return join(CookieExports.parseHeader(header), name, value);
    }

    private static String strip(String jsonArray) {
        String trimmed = jsonArray.strip();
        return trimmed.substring(1, trimmed.length() - 1);
    }
}
