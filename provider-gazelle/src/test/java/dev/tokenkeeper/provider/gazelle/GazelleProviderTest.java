package dev.tokenkeeper.provider.gazelle;

import dev.tokenkeeper.api.contract.TestContext;
import static dev.tokenkeeper.provider.gazelle.LeakCheck.assertNoSecretIn;
import static dev.tokenkeeper.provider.gazelle.LeakCheck.oneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.RefreshResult.Refreshed;
import dev.tokenkeeper.api.Refreshability;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.ValidationResult.Accepted;
import dev.tokenkeeper.provider.gazelle.FakeGazelle.Fault;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the daemon sees of {@link GazelleProvider}: identity, import, presentation, authorization. */
class GazelleProviderTest {

    private static final URI REDIRECT = URI.create("http://127.0.0.1:53682/callback");

    @TempDir
    Path state;

    private FakeGazelle gazelle;
    private GazelleProvider provider;

    @BeforeEach
    void start() {
        gazelle = FakeGazelle.start();
        provider = new GazelleProvider();
        provider.configure(TestContext.of(gazelle.settings(), state));
    }

    @AfterEach
    void stop() {
        gazelle.close();
    }

    @Test
    void identifiesItself() {
        assertEquals("gazelle", provider.id());
        assertEquals("gazelle", CredentialId.defaultFor(provider.id()).provider());
        assertEquals("Gazelle (OAuth 2 refresh-token grant)", provider.description());
        assertEquals(Duration.ofDays(1), provider.keepAlive());
    }

    @Test
    void isDeclaredAsAServiceOnTheModulePathAndTheClassPath() throws Exception {
        Module module = GazelleProvider.class.getModule();
        if (module.isNamed()) {
            ModuleDescriptor.Provides provides = module.getDescriptor().provides().stream()
                    .filter(p -> p.service().equals(TokenProvider.class.getName()))
                    .findFirst().orElseThrow();
            assertEquals(List.of(GazelleProvider.class.getName()), provides.providers());
        }
        try (InputStream services = GazelleProvider.class.getClassLoader()
                .getResourceAsStream("META-INF/services/" + TokenProvider.class.getName())) {
            assertEquals(GazelleProvider.class.getName(),
                    new String(services.readAllBytes(), StandardCharsets.UTF_8).strip());
        }
    }

    @Test
    void importsTheSupabaseTokenJson() throws Exception {
        String json = gazelle.seedChain("default");
        ImportedSecret imported = provider.importSecret(new SecretInput.TokenJson(json));

        SecretMaterial secret = imported.issued().secret();
        assertEquals(gazelle.currentAccessToken("default"), secret.require("access_token"));
        assertEquals(gazelle.currentRefreshToken("default"), secret.require("refresh_token"));
        assertEquals("Bearer", secret.require("token_type"));
        assertEquals(List.of(), imported.warnings());
        assertEquals(Optional.of(imported.issued().issuedAt().plus(FakeGazelle.DEFAULT_ACCESS_LIFETIME)),
                imported.issued().accessExpiresAt());
        assertInstanceOf(Accepted.class, provider.validate(secret));
        assertNoSecretIn(gazelle.allIssuedSecrets(), imported);
    }

    @Test
    void importsTheWholeSystemSettingsRowWithTheValueAsAString() throws Exception {
        String json = gazelle.seedChain("default");
        String row = "{\"key\":\"gazelle_oauth_token\",\"value\":" + quote(json) + "}";
        SecretMaterial secret = provider.importSecret(new SecretInput.TokenJson(row)).issued().secret();

        assertEquals(gazelle.currentRefreshToken("default"), secret.require("refresh_token"));
        assertInstanceOf(Refreshed.class, provider.refresh(secret));
    }

    @Test
    void aMalformedTokenJsonIsRejectedWithoutQuotingIt() {
        String json = gazelle.seedChain("default");
        String broken = json.substring(0, json.length() - 1) + ",}";
        InvalidSecretException error = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.TokenJson(broken)));
        assertTrue(oneLine(error.getMessage()).startsWith("the token JSON is not valid JSON (line 1, column"),
                error.getMessage());
        assertNoSecretIn(gazelle.allIssuedSecrets(), error);
    }

    @Test
    void cookieFormsAreRejectedNamingTheFormsGazelleTakes() {
        for (SecretInput input : List.of(new SecretInput.CookieHeader("a=b"), new SecretInput.CookieFile("[]"))) {
            InvalidSecretException error = assertThrows(InvalidSecretException.class, () -> provider.importSecret(input));
            assertTrue(error.getMessage().contains(input.form()), error.getMessage());
            assertTrue(error.getMessage().contains("--token-json"), error.getMessage());
            assertTrue(error.getMessage().contains("authorize gazelle"), error.getMessage());
        }
    }

    /** An access token copied from the browser: imported, validated as usual, and declared unable to refresh. */
    @Test
    void anAccessTokenAloneIsValidatedAndDeclaredUntilExpiry() throws Exception {
        String access = new com.fasterxml.jackson.databind.ObjectMapper().readTree(gazelle.seedChain("default"))
                .path("access_token").asText();
        ImportedSecret imported = provider.importSecret(new SecretInput.AccessToken("Authorization: Bearer " + access));
        SecretMaterial secret = imported.issued().secret();
        assertEquals(Refreshability.UNTIL_EXPIRY, provider.refreshability(secret));
        assertEquals(Accepted.class, provider.validate(secret).getClass());
        assertEquals("Bearer " + access, provider.present(secret).headers().get("Authorization"));
        assertTrue(provider.importForms().contains("access-token"));

        ImportedSecret full = provider.importSecret(new SecretInput.TokenJson(gazelle.seedChain("other")));
        assertEquals(Refreshability.REFRESHES, provider.refreshability(full.issued().secret()));
        ImportedSecret jsonAlone = provider.importSecret(new SecretInput.TokenJson("{\"access_token\":\"" + access + "\"}"));
        assertEquals(Refreshability.UNTIL_EXPIRY, provider.refreshability(jsonAlone.issued().secret()));
    }

    @Test
    void presentsABearerAuthorizationHeader() {
        SecretMaterial secret = new SecretMaterial(Map.of("access_token", "tok", "refresh_token", "ref",
                "token_type", "bearer"));
        Presentation presentation = provider.present(secret);

        assertEquals("tok", presentation.token());
        assertEquals(Map.of("Authorization", "Bearer tok"), presentation.headers());
        assertEquals("Bearer tok", provider.present(new SecretMaterial(Map.of("access_token", "tok")))
                .headers().get("Authorization"));
        assertFalse(presentation.toString().contains("tok"));
    }

    @Test
    void buildsTheAuthorizationUrlWithEveryParameterEncoded() {
        URI uri = provider.authorizationUri("st ate&=", REDIRECT).orElseThrow();

        assertEquals(gazelle.authorizeUrl().getPath(), uri.getPath());
        assertEquals(gazelle.authorizeUrl().getAuthority(), uri.getAuthority());
        Map<String, String> query = query(uri);
        assertEquals(Map.of("client_id", gazelle.clientId(), "response_type", "code",
                "redirect_uri", REDIRECT.toString(), "state", "st ate&="), query);
        assertFalse(uri.toString().contains(gazelle.clientSecret()));
    }

    @Test
    void anAuthorizeUrlWithAQueryGetsTheParametersAppended() {
        GazelleProvider other = new GazelleProvider();
        other.configure(TestContext.of(gazelle.settings(), state)
                .with("GAZELLE_OAUTH_AUTHORIZE_URL", gazelle.authorizeUrl() + "?locale=en"));
        Map<String, String> query = query(other.authorizationUri("s", REDIRECT).orElseThrow());
        assertEquals("en", query.get("locale"));
        assertEquals("s", query.get("state"));
    }

    @Test
    void withoutAClientIdTheAuthorizationUrlNamesTheSetting() {
        GazelleProvider other = new GazelleProvider();
        other.configure(TestContext.of(Map.of(), state));
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> other.authorizationUri("s", REDIRECT));
        assertTrue(error.getMessage().startsWith("GAZELLE_CLIENT_ID is not set"), error.getMessage());
    }

    @Test
    void theWholeAuthorizationCodeFlowEndsWithAFreshChain() throws Exception {
        gazelle.authorizeAs("owner");
        URI authorize = provider.authorizationUri("xyz", REDIRECT).orElseThrow();
        HttpResponse<Void> redirect = HttpClient.newHttpClient().send(HttpRequest.newBuilder(authorize).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(302, redirect.statusCode());
        URI back = URI.create(redirect.headers().firstValue("Location").orElseThrow());
        assertEquals(REDIRECT.getPath(), back.getPath());
        Map<String, String> query = query(back);
        assertEquals("xyz", query.get("state"));

        ImportedSecret imported = provider.importSecret(new SecretInput.AuthorizationCode(query.get("code"), REDIRECT));

        SecretMaterial secret = imported.issued().secret();
        assertEquals(gazelle.currentAccessToken("owner"), secret.require("access_token"));
        assertEquals(gazelle.currentRefreshToken("owner"), secret.require("refresh_token"));
        assertTrue(imported.issued().accessExpiresAt().orElseThrow().isAfter(Instant.now()));
        FakeGazelle.TokenRequest exchange = gazelle.tokenRequests().get(0);
        assertEquals("authorization_code", exchange.grantType());
        assertTrue(exchange.contentType().startsWith("application/x-www-form-urlencoded"));
        assertInstanceOf(Refreshed.class, provider.refresh(secret));
    }

    @Test
    void withPkceTheCodeIsExchangedOnlyWithTheVerifierOfItsChallenge() throws Exception {
        // RFC 7636, appendix B.
        String verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        String challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        gazelle.authorizeAs("pkce");
        URI authorize = provider.authorizationUri("s", REDIRECT, challenge).orElseThrow();
        Map<String, String> sent = query(authorize);
        assertEquals(challenge, sent.get("code_challenge"));
        assertEquals("S256", sent.get("code_challenge_method"));

        String withoutVerifier = codeFrom(authorize);
        InvalidSecretException refused = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.AuthorizationCode(withoutVerifier, REDIRECT)));
        assertTrue(refused.getMessage().contains("invalid_grant"), refused.getMessage());
        String wrongVerifier = codeFrom(authorize);
        assertThrows(InvalidSecretException.class, () -> provider.importSecret(
                new SecretInput.AuthorizationCode(wrongVerifier, REDIRECT, Optional.of(verifier + "x"))));

        String good = codeFrom(authorize);
        provider.importSecret(new SecretInput.AuthorizationCode(good, REDIRECT, Optional.of(verifier)));
        assertEquals(1, gazelle.pkceExchangeCount());
        assertFalse(new SecretInput.AuthorizationCode(good, REDIRECT, Optional.of(verifier)).toString().contains(verifier));
    }

    private static String codeFrom(URI authorize) throws Exception {
        HttpResponse<Void> redirect = HttpClient.newHttpClient().send(HttpRequest.newBuilder(authorize).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(302, redirect.statusCode());
        return query(URI.create(redirect.headers().firstValue("Location").orElseThrow())).get("code");
    }

    @Test
    void aCodeCanBeExchangedOnlyOnceAndOnlyForItsRedirect() throws Exception {
        String code = gazelle.issueAuthorizationCode("default", REDIRECT);
        InvalidSecretException wrongRedirect = assertThrows(InvalidSecretException.class, () -> provider.importSecret(
                new SecretInput.AuthorizationCode(code, URI.create("http://127.0.0.1:1/elsewhere"))));
        assertTrue(wrongRedirect.getMessage().contains("invalid_grant"), wrongRedirect.getMessage());

        String second = gazelle.issueAuthorizationCode("default", REDIRECT);
        provider.importSecret(new SecretInput.AuthorizationCode(second, REDIRECT));
        InvalidSecretException reused = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.AuthorizationCode(second, REDIRECT)));
        assertTrue(oneLine(reused.getMessage()).contains("authorize gazelle"), reused.getMessage());
        assertNoSecretIn(gazelle.allIssuedSecrets(), wrongRedirect, reused);
    }

    @Test
    void codeExchangeFailuresAreInvalidSecretsThatSayWhatToDo() {
        String code = gazelle.issueAuthorizationCode("default", REDIRECT);
        gazelle.tokenFaultForNext(1, Fault.serviceUnavailable());
        InvalidSecretException unavailable = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.AuthorizationCode(code, REDIRECT)));
        assertTrue(unavailable.getMessage().contains("HTTP 503"), unavailable.getMessage());

        gazelle.tokenFaultForNext(1, Fault.dropConnection());
        InvalidSecretException dropped = assertThrows(InvalidSecretException.class,
                () -> provider.importSecret(new SecretInput.AuthorizationCode(code, REDIRECT)));
        assertTrue(dropped.getMessage().startsWith("could not exchange the authorization code"), dropped.getMessage());

        GazelleProvider noClient = new GazelleProvider();
        noClient.configure(TestContext.of(gazelle.settings(), state).without("GAZELLE_CLIENT_SECRET"));
        InvalidSecretException unconfigured = assertThrows(InvalidSecretException.class,
                () -> noClient.importSecret(new SecretInput.AuthorizationCode(code, REDIRECT)));
        assertTrue(unconfigured.getMessage().contains("GAZELLE_CLIENT_SECRET"), unconfigured.getMessage());

        assertNoSecretIn(gazelle.allIssuedSecrets(), unavailable, dropped, unconfigured);
        // The code survived all of that: nothing spent it.
        assertInstanceOf(ImportedSecret.class, assertDoesNotThrowImport(code));
    }

    @Test
    void toStringShowsSettingsButNoSecret() {
        String text = provider.toString();
        assertTrue(text.contains(gazelle.tokenUrl().toString()), text);
        assertTrue(text.contains("clientSecret=set"), text);
        assertNoSecretIn(gazelle.allIssuedSecrets(), provider);
    }

    @Test
    void refusesToWorkBeforeConfigure() {
        GazelleProvider fresh = new GazelleProvider();
        assertThrows(IllegalStateException.class,
                () -> fresh.refresh(new SecretMaterial(Map.of("refresh_token", "r"))));
        assertEquals("GazelleProvider[not configured]", fresh.toString());
    }

    @Test
    void aSettingThatIsNotAUrlIsNamedButNotEchoed() {
        GazelleProvider other = new GazelleProvider();
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> other.configure(
                TestContext.of(Map.of("GAZELLE_OAUTH_TOKEN_URL", "ftp://user:pw@example.org/token"), state)));
        assertTrue(error.getMessage().startsWith("GAZELLE_OAUTH_TOKEN_URL is not an absolute http(s) URL"),
                error.getMessage());
        assertFalse(error.getMessage().contains("pw"), error.getMessage());
    }

    private ImportedSecret assertDoesNotThrowImport(String code) {
        try {
            return provider.importSecret(new SecretInput.AuthorizationCode(code, REDIRECT));
        } catch (InvalidSecretException e) {
            throw new AssertionError("the code should still work: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> query = new HashMap<>();
        for (String pair : uri.getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return query;
    }

    private static String quote(String json) {
        return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
