package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.contract.MutableClock;
import static dev.tokenkeeper.provider.vinted.SecretAssertions.assertNoSecretIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.ValidationResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation: {@code GET /api/v2/users/current} with the session's cookies. */
class VintedValidateTest {

    @TempDir
    Path state;

    private final MutableClock clock = MutableClock.startingNow();
    private FakeVinted fake;
    private VintedProvider provider;

    @BeforeEach
    void start() {
        fake = FakeVinted.builder().clock(clock).accessTokenLifetime(Duration.ofSeconds(120)).start();
        provider = new VintedProvider();
        provider.configure(VintedContexts.forFake(fake, clock, state, "TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "1"));
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void aLiveSessionIsAcceptedAnExpiredOneRejectedUntilRefreshed() throws Exception {
        SecretMaterial secret = imported(fake.newSession());
        assertInstanceOf(ValidationResult.Accepted.class, provider.validate(secret));
        RecordedRequest check = fake.requests().get(0);
        assertEquals(FakeEndpoint.CURRENT_USER, check.endpoint());
        assertTrue(check.cookies().contains("access_token_web"));

        clock.advance(Duration.ofSeconds(120));
        ValidationResult.Rejected rejected = assertInstanceOf(ValidationResult.Rejected.class, provider.validate(secret));
        assertEquals("vinted rejected the access token (invalid_authentication_token)", rejected.reason());

        SecretMaterial refreshed = assertInstanceOf(RefreshResult.Refreshed.class, provider.refresh(secret))
                .issued().secret();
        assertInstanceOf(ValidationResult.Accepted.class, provider.validate(refreshed));
    }

    @Test
    void aRevokedOrAnonymousSessionIsRejected() throws Exception {
        String browser = fake.newSession();
        SecretMaterial secret = imported(browser);
        fake.revoke(browser);
        assertInstanceOf(ValidationResult.Rejected.class, provider.validate(secret));
        assertInstanceOf(ValidationResult.Rejected.class, provider.validate(imported(fake.anonymousSession())));
    }

    @Test
    void aSessionWithoutAccessTokenIsRejectedWithoutAsking() {
        ValidationResult result = provider.validate(new SecretMaterial(Map.of("cookie.refresh_token_web", "x")));
        assertInstanceOf(ValidationResult.Rejected.class, result);
        assertEquals(0, fake.requestCount());
    }

    @Test
    void theAntiBotWallIsInconclusiveNotARejection() throws Exception {
        SecretMaterial secret = imported(fake.newSession());
        fake.blockAll(true);
        ValidationResult.Inconclusive blocked = assertInstanceOf(ValidationResult.Inconclusive.class,
                provider.validate(secret));
        assertEquals(FailureKind.BLOCKED, blocked.kind());
        assertEquals(Optional.of(Duration.ofSeconds(900)), blocked.retryAfter());
    }

    @Test
    void codeOneHundredSixIsInconclusiveToo() throws Exception {
        SecretMaterial secret = imported(fake.newSession());
        fake.failNext(FakeEndpoint.CURRENT_USER, 1, Fault.accessDenied());
        ValidationResult.Inconclusive blocked = assertInstanceOf(ValidationResult.Inconclusive.class,
                provider.validate(secret));
        assertEquals(FailureKind.BLOCKED, blocked.kind());
        assertTrue(blocked.reason().contains("code 106"), blocked.reason());
    }

    @Test
    void serverErrorsAndNetworkFailuresAreInconclusive() throws Exception {
        SecretMaterial secret = imported(fake.newSession());
        fake.failNext(FakeEndpoint.CURRENT_USER, 1, Fault.serviceUnavailable());
        assertEquals(FailureKind.SERVER_ERROR, inconclusiveKind(provider.validate(secret)));
        // The JDK client retries a GET once when a pooled connection turns out closed: drop both.
        fake.failNext(FakeEndpoint.CURRENT_USER, 2, Fault.dropConnection());
        assertEquals(FailureKind.NETWORK, inconclusiveKind(provider.validate(secret)));
        fake.clearFaults();
        fake.failNext(FakeEndpoint.CURRENT_USER, 1, Fault.slow(Duration.ofSeconds(3)));
        assertEquals(FailureKind.NETWORK, inconclusiveKind(provider.validate(secret)));
        fake.failNext(FakeEndpoint.CURRENT_USER, 1, Fault.rateLimited(Duration.ofSeconds(30)));
        ValidationResult limited = provider.validate(secret);
        assertEquals(FailureKind.RATE_LIMITED, inconclusiveKind(limited));
        assertEquals(Optional.of(Duration.ofSeconds(30)), ((ValidationResult.Inconclusive) limited).retryAfter());
    }

    @Test
    void noReasonCarriesASecret() throws Exception {
        String browser = fake.newSession();
        SecretMaterial secret = imported(browser);
        List<String> shown = new ArrayList<>();
        for (Fault fault : List.of(Fault.serviceUnavailable(), Fault.invalidToken(), Fault.okWithoutToken(),
                Fault.rateLimited(Duration.ofSeconds(1)), Fault.accessDenied())) {
            fake.failNext(FakeEndpoint.CURRENT_USER, 1, fault);
            shown.add(describe(provider.validate(secret)));
        }
        shown.add(describe(provider.validate(secret))); // during the pause
        shown.add(describe(provider.validate(new SecretMaterial(
                Map.of("cookie.refresh_token_web", secret.require("cookie.refresh_token_web"))))));
        assertNoSecretIn(fake, shown);
    }

    private static String describe(ValidationResult result) {
        if (result instanceof ValidationResult.Rejected r) {
            return result + " " + r.reason();
        }
        if (result instanceof ValidationResult.Inconclusive i) {
            return result + " " + i.reason();
        }
        return result.toString();
    }

    private static FailureKind inconclusiveKind(ValidationResult result) {
        return assertInstanceOf(ValidationResult.Inconclusive.class, result).kind();
    }

    private SecretMaterial imported(String browser) throws Exception {
        return provider.importSecret(new SecretInput.CookieHeader(browser)).issued().secret();
    }
}
