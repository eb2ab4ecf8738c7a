package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.contract.MutableClock;
import static dev.tokenkeeper.provider.vinted.SecretAssertions.assertNoSecretIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.ValidationResult;
import java.nio.file.Path;
import java.time.Duration;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Refreshing a session against the imitation: rotation, CSRF, and every way Vinted says no. */
class VintedRefreshTest {

    private static final String PERMANENT = "vinted rejected the session (invalid_authentication_token): "
            + "import fresh cookies with `tokenkeeper import vinted --cookie ...`";

    @TempDir
    Path state;

    private final MutableClock clock = MutableClock.startingNow();
    private FakeVinted fake;

    @AfterEach
    void stop() {
        if (fake != null) {
            fake.close();
        }
    }

    @Test
    void sixRefreshCyclesKeepTheSessionAliveWithoutEverReusingARefreshToken() throws Exception {
        Duration access = Duration.ofSeconds(600);
        Duration refresh = Duration.ofSeconds(1500);
        fake = FakeVinted.builder().clock(clock).accessTokenLifetime(access).refreshTokenLifetime(refresh).start();
        VintedProvider provider = provider();
        String browser = fake.newSession();
        SecretMaterial secret = provider.importSecret(new SecretInput.CookieHeader(browser)).issued().secret();
        Set<String> spentRefreshTokens = new HashSet<>();

        for (int cycle = 1; cycle <= 6; cycle++) {
            // Refresh at 80 % of the access lifetime, as a scheduler with a margin would.
            clock.advance(Duration.ofSeconds(480));
            String accessBefore = secret.require("cookie.access_token_web");
            String refreshBefore = secret.require("cookie.refresh_token_web");
            assertTrue(fake.isAccessTokenValid(accessBefore), "cycle " + cycle + ": the session lapsed");
            assertEquals(refreshBefore, fake.currentRefreshToken(browser), "cycle " + cycle);

            RefreshResult result = provider.refresh(secret);

            IssuedSecret issued = assertInstanceOf(RefreshResult.Refreshed.class, result, () -> "cycle " + result).issued();
            secret = issued.secret();
            assertTrue(spentRefreshTokens.add(refreshBefore));
            String refreshAfter = secret.require("cookie.refresh_token_web");
            assertNotEquals(refreshBefore, refreshAfter);
            assertEquals(fake.currentRefreshToken(browser), refreshAfter);
            assertTrue(fake.isAccessTokenValid(secret.require("cookie.access_token_web")));
            // Every cookie the answers set replaced the old value, not only the two tokens.
            assertEquals(fake.lastIssuedCookie("datadome"), secret.field("cookie.datadome"));
            assertEquals(fake.lastIssuedCookie("_vinted_fr_session"), secret.field("cookie._vinted_fr_session"));
            assertEquals(fake.lastIssuedCookie("access_token_web"), secret.field("cookie.access_token_web"));
            assertEquals(Optional.of(clock.instant().plus(access)), issued.accessExpiresAt());
            assertEquals(Optional.of(clock.instant().plus(refresh)), issued.refreshExpiresAt());
            assertEquals(clock.instant(), issued.issuedAt());
            assertInstanceOf(ValidationResult.Accepted.class, provider.validate(secret));
        }

        // 6 x 480 s = 2880 s: far past the first refresh token's 1500 s, yet the chain is intact.
        assertTrue(fake.isSessionAlive(browser));
        assertEquals(0, fake.reuseCount());
        assertEquals(6, fake.refreshCount());
        assertEquals(List.of(6), List.copyOf(fake.refreshesPerSession().values()));
        assertEquals(9, secret.fields().size(), "companion cookies are carried over");
        for (RecordedRequest request : fake.requests()) {
            if (request.endpoint() == FakeEndpoint.REFRESH) {
                assertTrue(request.header("x-csrf-token").isPresent());
                assertEquals(Optional.of(fake.baseUrl()), request.header("origin"));
                assertEquals(Optional.of(fake.baseUrl() + "/session-refresh?ref_url=%2F"), request.header("referer"));
                assertEquals(Optional.of("same-origin"), request.header("sec-fetch-site"));
                assertEquals(Optional.of("cors"), request.header("sec-fetch-mode"));
                assertEquals(Optional.of("empty"), request.header("sec-fetch-dest"));
                assertEquals(Optional.of("application/json, text/plain, */*"), request.header("accept"));
                assertTrue(request.header("user-agent").orElseThrow().contains("Chrome/"));
                assertTrue(request.header("accept-language").isPresent());
                assertTrue(request.cookies().containsAll(Set.of("refresh_token_web", "access_token_web",
                        "_vinted_fr_session", "datadome", "anon_id", "v_uid")));
            }
        }
        assertEquals(6, fake.requestCount(FakeEndpoint.HOME));
        assertEquals(6, fake.requestCount(FakeEndpoint.REFRESH));
    }

    @ParameterizedTest(name = "CSRF refused with {0}")
    @ValueSource(ints = {401, 403, 422})
    void aStaleCsrfTokenIsFetchedAgainOnceWhateverStatusTheRefusalHas(int status) throws Exception {
        fake = FakeVinted.builder().clock(clock).csrfFailureStatus(status).start();
        VintedProvider provider = provider();
        String browser = fake.newSession();
        SecretMaterial secret = imported(provider, browser);
        fake.failNext(FakeEndpoint.HOME, 1, Fault.staleCsrf());

        RefreshResult result = provider.refresh(secret);

        assertInstanceOf(RefreshResult.Refreshed.class, result);
        assertEquals(2, fake.requestCount(FakeEndpoint.HOME));
        assertEquals(2, fake.requestCount(FakeEndpoint.REFRESH));
        assertEquals(1, fake.refreshCount());
        assertEquals(0, fake.reuseCount());
    }

    @Test
    void theCsrfTokenIsAlsoFoundInThePageScript() throws Exception {
        fake = FakeVinted.builder().clock(clock).csrfPlacement(FakeVinted.CsrfPlacement.SCRIPT_ONLY).start();
        VintedProvider provider = provider();
        assertInstanceOf(RefreshResult.Refreshed.class, provider.refresh(imported(provider, fake.newSession())));
    }

    @Test
    void aPageWithoutCsrfTokenIsATransientFailureThatSpendsNothing() throws Exception {
        fake = FakeVinted.builder().clock(clock).csrfPlacement(FakeVinted.CsrfPlacement.NONE).start();
        VintedProvider provider = provider();
        String browser = fake.newSession();
        SecretMaterial secret = imported(provider, browser);

        RefreshResult.TransientFailure failure = assertInstanceOf(RefreshResult.TransientFailure.class,
                provider.refresh(secret));

        assertEquals(FailureKind.BAD_RESPONSE, failure.kind());
        assertTrue(failure.reason().contains("CSRF"), failure.reason());
        assertEquals(secret.require("cookie.refresh_token_web"), fake.currentRefreshToken(browser));
        assertEquals(0, fake.refreshCount());
        assertEquals(4, fake.requestCount(), "tried twice, then stopped");

        fake.csrfRequired(false);
        assertInstanceOf(RefreshResult.Refreshed.class, provider.refresh(secret), "no token needed, none sent");
    }

    @Test
    void aSpentRefreshTokenIsAPermanentFailure() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider();
        SecretMaterial old = imported(provider, fake.newSession());
        assertInstanceOf(RefreshResult.Refreshed.class, provider.refresh(old));

        RefreshResult.PermanentFailure failure = assertInstanceOf(RefreshResult.PermanentFailure.class,
                provider.refresh(old));

        assertEquals(PERMANENT, failure.reason());
        assertEquals(1, fake.reuseCount());
    }

    @Test
    void aRevokedOrExpiredSessionIsAPermanentFailure() throws Exception {
        fake = FakeVinted.builder().clock(clock).refreshTokenLifetime(Duration.ofSeconds(600)).start();
        VintedProvider provider = provider();
        String revoked = fake.newSession();
        SecretMaterial one = imported(provider, revoked);
        SecretMaterial two = imported(provider, fake.newSession());
        fake.revoke(revoked);
        assertEquals(PERMANENT, assertInstanceOf(RefreshResult.PermanentFailure.class, provider.refresh(one)).reason());

        clock.advance(Duration.ofSeconds(600));
        assertEquals(PERMANENT, assertInstanceOf(RefreshResult.PermanentFailure.class, provider.refresh(two)).reason());
        assertEquals(0, fake.refreshCount());
    }

    @Test
    void anAntiBotPageOnTheRefreshIsATransientBlockWithALongBackoff() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider();
        String browser = fake.newSession();
        SecretMaterial secret = imported(provider, browser);
        fake.failNext(FakeEndpoint.REFRESH, 1, Fault.blockedPage());

        RefreshResult.TransientFailure failure = assertInstanceOf(RefreshResult.TransientFailure.class,
                provider.refresh(secret));

        assertEquals(FailureKind.BLOCKED, failure.kind());
        assertEquals(Optional.of(Duration.ofSeconds(900)), failure.retryAfter());
        assertTrue(failure.reason().contains("anti-bot HTML page"), failure.reason());
        assertUntouched(browser, secret);

        // While the pause lasts, nothing is sent, for this session or any other.
        int sent = fake.requestCount();
        SecretMaterial other = imported(provider, fake.newSession());
        RefreshResult.TransientFailure held = assertInstanceOf(RefreshResult.TransientFailure.class, provider.refresh(other));
        assertEquals(FailureKind.BLOCKED, held.kind());
        assertTrue(held.retryAfter().orElseThrow().toSeconds() > 890);
        assertEquals(ValidationResult.Inconclusive.class, provider.validate(secret).getClass());
        assertEquals(sent, fake.requestCount());

        clock.advance(Duration.ofSeconds(900));
        assertInstanceOf(RefreshResult.Refreshed.class, provider.refresh(secret));
        assertEquals(0, fake.reuseCount());
    }

    @Test
    void accessDeniedCode106IsATransientBlockToo() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider("VINTED_BLOCKED_BACKOFF_SECONDS", "1800");
        String browser = fake.newSession();
        SecretMaterial secret = imported(provider, browser);
        fake.failNext(FakeEndpoint.REFRESH, 1, Fault.accessDenied());

        RefreshResult.TransientFailure failure = assertInstanceOf(RefreshResult.TransientFailure.class,
                provider.refresh(secret));

        assertEquals(FailureKind.BLOCKED, failure.kind());
        assertEquals(Optional.of(Duration.ofSeconds(1800)), failure.retryAfter());
        assertTrue(failure.reason().contains("code 106"), failure.reason());
        assertUntouched(browser, secret);
    }

    @Test
    void aWallOnTheHomePageStopsBeforeTheRefreshIsSent() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider();
        String browser = fake.newSession();
        SecretMaterial secret = imported(provider, browser);
        fake.blockAll(true);

        RefreshResult.TransientFailure failure = assertInstanceOf(RefreshResult.TransientFailure.class,
                provider.refresh(secret));

        assertEquals(FailureKind.BLOCKED, failure.kind());
        assertEquals(1, fake.requestCount());
        assertEquals(0, fake.requestCount(FakeEndpoint.REFRESH));
        assertUntouched(browser, secret);
    }

    @Test
    void tooManyRequestsHonoursRetryAfter() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider();
        SecretMaterial secret = imported(provider, fake.newSession());
        fake.failNext(FakeEndpoint.REFRESH, 1, Fault.rateLimited(Duration.ofSeconds(120)));

        RefreshResult.TransientFailure failure = assertInstanceOf(RefreshResult.TransientFailure.class,
                provider.refresh(secret));

        assertEquals(FailureKind.RATE_LIMITED, failure.kind());
        assertEquals(Optional.of(Duration.ofSeconds(120)), failure.retryAfter());
        assertEquals(0, fake.refreshCount());
    }

    @Test
    void serverErrorsDroppedConnectionsAndTimeoutsAreTransient() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "1");
        String browser = fake.newSession();
        SecretMaterial secret = imported(provider, browser);

        fake.failNext(FakeEndpoint.REFRESH, 1, Fault.serviceUnavailable());
        assertEquals(FailureKind.SERVER_ERROR, transientKind(provider.refresh(secret)));

        fake.failNext(FakeEndpoint.REFRESH, 1, Fault.dropConnection());
        assertEquals(FailureKind.NETWORK, transientKind(provider.refresh(secret)));

        fake.failNext(FakeEndpoint.HOME, 1, Fault.slow(Duration.ofSeconds(3)));
        RefreshResult slow = provider.refresh(secret);
        assertEquals(FailureKind.NETWORK, transientKind(slow));
        assertTrue(((RefreshResult.TransientFailure) slow).reason().contains("timed out"));

        fake.failNext(FakeEndpoint.REFRESH, 1, Fault.okWithoutToken());
        RefreshResult empty = provider.refresh(secret);
        assertEquals(FailureKind.BAD_RESPONSE, transientKind(empty));
        assertTrue(((RefreshResult.TransientFailure) empty).reason().contains("without a new access_token_web"));

        assertUntouched(browser, secret);
        assertInstanceOf(RefreshResult.Refreshed.class, provider.refresh(secret));
    }

    @Test
    void aLostRefreshAnswerCannotBeRecoveredAndSaysSo() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        VintedProvider provider = provider();
        SecretMaterial secret = imported(provider, fake.newSession());
        fake.failNext(FakeEndpoint.REFRESH, 1, Fault.loseResponse());

        RefreshResult.TransientFailure lost = assertInstanceOf(RefreshResult.TransientFailure.class,
                provider.refresh(secret));
        assertEquals(FailureKind.NETWORK, lost.kind());
        assertTrue(lost.reason().contains("the next refresh is rejected"), lost.reason());

        // Vinted rotated the token behind our back: the next attempt is reuse, and says what to do.
        assertEquals(PERMANENT, assertInstanceOf(RefreshResult.PermanentFailure.class, provider.refresh(secret)).reason());
    }

    @Test
    void noReasonCarriesASecret() throws Exception {
        fake = FakeVinted.builder().clock(clock).csrfPlacement(FakeVinted.CsrfPlacement.NONE).start();
        VintedProvider provider = provider("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "1");
        SecretMaterial secret = imported(provider, fake.newSession());
        List<RefreshResult> results = new java.util.ArrayList<>();
        results.add(provider.refresh(secret));
        fake.csrfRequired(false);
        for (Fault fault : List.of(Fault.serviceUnavailable(), Fault.dropConnection(), Fault.okWithoutToken(),
                Fault.rateLimited(Duration.ofSeconds(1)), Fault.invalidToken(), Fault.blockedPage())) {
            clock.advance(Duration.ofMinutes(30));
            fake.failNext(FakeEndpoint.REFRESH, 1, fault);
            results.add(provider.refresh(secret));
        }
        results.add(provider.refresh(secret)); // during the pause
        List<String> shown = new java.util.ArrayList<>();
        for (RefreshResult result : results) {
            shown.add(result.toString());
            if (result instanceof RefreshResult.TransientFailure t) {
                shown.add(t.reason());
            } else if (result instanceof RefreshResult.PermanentFailure p) {
                shown.add(p.reason());
            }
        }
        shown.add(secret.toString());
        shown.add(provider.toString());
        assertNoSecretIn(fake, shown);
    }

    private void assertUntouched(String browser, SecretMaterial secret) {
        assertEquals(secret.require("cookie.refresh_token_web"), fake.currentRefreshToken(browser),
                "the refresh token must not be spent");
        assertEquals(0, fake.refreshCount());
        assertEquals(0, fake.reuseCount());
        assertTrue(fake.isAccessTokenValid(secret.require("cookie.access_token_web")));
    }

    private static FailureKind transientKind(RefreshResult result) {
        return assertInstanceOf(RefreshResult.TransientFailure.class, result).kind();
    }

    private VintedProvider provider(String... settings) {
        VintedProvider provider = new VintedProvider();
        provider.configure(VintedContexts.forFake(fake, clock, state, settings));
        return provider;
    }

    private static SecretMaterial imported(VintedProvider provider, String browser) throws Exception {
        return provider.importSecret(new SecretInput.CookieHeader(browser)).issued().secret();
    }

}
