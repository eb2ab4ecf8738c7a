package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.contract.TestContext;
import static dev.tokenkeeper.provider.vinted.SecretAssertions.assertNoSecretIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.ValidationResult;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider as the daemon sees it: identity, discovery, presentation, settings, real time. */
class VintedProviderTest {

    @TempDir
    Path state;

    @Test
    void identifiesItselfAndIsDiscoverable() throws Exception {
        VintedProvider provider = new VintedProvider();
        assertEquals("vinted", provider.id());
        assertEquals("Vinted (web session cookies)", provider.description());
        assertEquals(Duration.ofDays(1), provider.keepAlive());
        assertEquals("vinted:default", CredentialId.defaultFor(provider.id()).toString());

        ModuleDescriptor descriptor = VintedProvider.class.getModule().getDescriptor();
        assertTrue(descriptor.provides().stream().anyMatch(p -> p.service().equals(TokenProvider.class.getName())
                && p.providers().equals(List.of(VintedProvider.class.getName()))));
        try (InputStream services = VintedProvider.class.getClassLoader()
                .getResourceAsStream("META-INF/services/" + TokenProvider.class.getName())) {
            assertEquals(VintedProvider.class.getName(), new String(services.readAllBytes(), StandardCharsets.UTF_8).strip());
        }
    }

    @Test
    void presentsTheAccessTokenTheFullCookieHeaderAndABearerHeader() throws Exception {
        try (FakeVinted fake = FakeVinted.start()) {
            VintedProvider provider = configured(fake, Clock.systemUTC());
            String browser = fake.newSession();
            SecretMaterial secret = provider.importSecret(new SecretInput.CookieHeader(browser)).issued().secret();

            Presentation presentation = provider.present(secret);

            Map<String, String> cookies = CookieExports.parseHeader(browser);
            assertEquals(cookies.get("access_token_web"), presentation.token());
            assertEquals(cookies, CookieExports.parseHeader(presentation.headers().get("Cookie")));
            assertEquals("Bearer " + cookies.get("access_token_web"), presentation.headers().get("Authorization"));
            assertNoSecretIn(fake, List.of(presentation.toString(), secret.toString(), provider.toString()));
        }
    }

    @Test
    void presentingASessionWithoutAccessTokenSaysWhatToDo() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new VintedProvider()
                .present(new SecretMaterial(Map.of("cookie.refresh_token_web", "secret-value"))));
        assertFalse(e.getMessage().contains("secret-value"));
        assertTrue(e.getMessage().contains("import fresh cookies"));
    }

    @Test
    void malformedSettingsAreNamed() {
        VintedProvider provider = new VintedProvider();
        IllegalArgumentException url = assertThrows(IllegalArgumentException.class, () -> provider.configure(
                new TestContext(Map.of("VINTED_BASE_URL", "www.vinted.fr"), state, Clock.systemUTC())));
        assertTrue(url.getMessage().startsWith("VINTED_BASE_URL must be an http(s) URL"), url.getMessage());
        IllegalArgumentException budget = assertThrows(IllegalArgumentException.class, () -> provider.configure(
                new TestContext(Map.of("VINTED_MAX_REQUESTS_PER_5_MIN", "1"), state, Clock.systemUTC())));
        assertTrue(budget.getMessage().contains("at least 2"), budget.getMessage());
        IllegalArgumentException timeout = assertThrows(IllegalArgumentException.class, () -> provider.configure(
                new TestContext(Map.of("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "soon"), state, Clock.systemUTC())));
        assertTrue(timeout.getMessage().contains("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS must be a whole number"));
    }

    @Test
    void sendsTheConfiguredUserAgentAndACountryLanguage() throws Exception {
        try (FakeVinted fake = FakeVinted.start()) {
            VintedProvider provider = new VintedProvider();
            provider.configure(VintedContexts.forFake(fake, Clock.systemUTC(), state,
                    "VINTED_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"));
            SecretMaterial secret = provider.importSecret(new SecretInput.CookieHeader(fake.newSession())).issued().secret();
            provider.validate(secret);
            RecordedRequest request = fake.requests().get(0);
            assertEquals("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", request.header("user-agent").orElseThrow());
            assertTrue(request.header("accept-language").isPresent());
        }
    }

    @Test
    void withTheRealClockAnExpiredAccessTokenIsRejectedThenRefreshed() throws Exception {
        try (FakeVinted fake = FakeVinted.builder().accessTokenLifetime(Duration.ofSeconds(2)).start()) {
            VintedProvider provider = configured(fake, Clock.systemUTC());
            SecretMaterial secret = provider.importSecret(new SecretInput.CookieHeader(fake.newSession()))
                    .issued().secret();
            assertInstanceOf(ValidationResult.Accepted.class, provider.validate(secret));

            String access = secret.require("cookie.access_token_web");
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !fake.isAccessTokenValid(access));

            assertInstanceOf(ValidationResult.Rejected.class, provider.validate(secret));
            SecretMaterial refreshed = assertInstanceOf(RefreshResult.Refreshed.class, provider.refresh(secret))
                    .issued().secret();
            assertInstanceOf(ValidationResult.Accepted.class, provider.validate(refreshed));
            assertEquals(0, fake.reuseCount());
        }
    }

    private VintedProvider configured(FakeVinted fake, Clock clock) {
        VintedProvider provider = new VintedProvider();
        provider.configure(VintedContexts.forFake(fake, clock, state));
        return provider;
    }
}
