package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.contract.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The variants of Vinted's answers that UPSTREAMS.md lists, against the imitation. */
class VintedVariantsTest {

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
    void aChallengePageIn200IsBlockedAndSpendsNothing() throws Exception {
        assertBlocked(Fault.challengePage());
    }

    @Test
    void aRedirectToTheCaptchaIsBlockedAndSpendsNothing() throws Exception {
        assertBlocked(Fault.captchaRedirect());
    }

    @Test
    void aRefreshAnswered201Succeeds() throws Exception {
        assertRefreshes(Fault.created());
    }

    @Test
    void aRefreshRepeatingTheTokensInItsBodySucceeds() throws Exception {
        assertRefreshes(Fault.tokensInBody());
    }

    @Test
    void withoutACsrfTokenOnThePageTheRefreshCookieAloneIsPresented() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        fake.cookieOnlyRefresh(true);
        String browser = fake.newSession();
        SecretMaterial secret = provider().importSecret(new SecretInput.CookieHeader(browser)).issued().secret();

        RefreshResult result = provider().refresh(secret);

        SecretMaterial next = assertInstanceOf(RefreshResult.Refreshed.class, result, result::toString).issued().secret();
        assertEquals(fake.currentRefreshToken(browser), next.require("cookie.refresh_token_web"));
        assertEquals(0, fake.reuseCount());
    }

    @Test
    void anExpiredSessionLoadsTheCsrfPageWithoutItsAccountCookies() throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        fake.redirectExpiredSessions(true);
        String browser = fake.newSession(Duration.ofSeconds(60));
        SecretMaterial secret = provider().importSecret(new SecretInput.CookieHeader(browser)).issued().secret();
        clock.advance(Duration.ofSeconds(120));

        RefreshResult result = provider().refresh(secret);

        SecretMaterial next = assertInstanceOf(RefreshResult.Refreshed.class, result, result::toString).issued().secret();
        assertTrue(fake.isAccessTokenValid(next.require("cookie.access_token_web")));
        RecordedRequest home = fake.requests().stream().filter(r -> r.endpoint() == FakeEndpoint.HOME).findFirst()
                .orElseThrow();
        assertTrue(!home.cookies().contains(FakeVinted.ACCESS_TOKEN)
                && !home.cookies().contains(FakeVinted.REFRESH_TOKEN)
                && !home.cookies().contains(FakeVinted.SESSION_COOKIE), home.cookies().toString());
        assertTrue(home.cookies().contains("datadome"), "the anti-bot cookies still go along");
    }

    private void assertBlocked(Fault fault) throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        String browser = fake.newSession();
        VintedProvider provider = provider();
        SecretMaterial secret = provider.importSecret(new SecretInput.CookieHeader(browser)).issued().secret();
        String refreshBefore = fake.currentRefreshToken(browser);
        fake.failNext(FakeEndpoint.REFRESH, 1, fault);

        RefreshResult result = provider.refresh(secret);

        RefreshResult.TransientFailure failure = assertInstanceOf(RefreshResult.TransientFailure.class, result,
                result::toString);
        assertEquals(FailureKind.BLOCKED, failure.kind(), failure.reason());
        assertEquals(Optional.of(Duration.ofSeconds(900)), failure.retryAfter());
        assertEquals(refreshBefore, fake.currentRefreshToken(browser), "the refresh token was not spent");
        int requests = fake.requestCount();
        // The pause holds: no request reaches Vinted until it is over.
        assertEquals(FailureKind.BLOCKED, assertInstanceOf(RefreshResult.TransientFailure.class,
                provider.refresh(secret)).kind());
        assertEquals(requests, fake.requestCount());
        clock.advance(Duration.ofSeconds(901));
        assertInstanceOf(RefreshResult.Refreshed.class, provider.refresh(secret));
    }

    private void assertRefreshes(Fault fault) throws Exception {
        fake = FakeVinted.builder().clock(clock).start();
        String browser = fake.newSession();
        VintedProvider provider = provider();
        SecretMaterial secret = provider.importSecret(new SecretInput.CookieHeader(browser)).issued().secret();
        fake.failNext(FakeEndpoint.REFRESH, 1, fault);

        RefreshResult result = provider.refresh(secret);

        SecretMaterial next = assertInstanceOf(RefreshResult.Refreshed.class, result, result::toString).issued().secret();
        assertNotEquals(secret.require("cookie.refresh_token_web"), next.require("cookie.refresh_token_web"));
        assertEquals(fake.currentRefreshToken(browser), next.require("cookie.refresh_token_web"));
        assertTrue(fake.isAccessTokenValid(next.require("cookie.access_token_web")));
    }

    private VintedProvider provider() {
        if (cached == null) {
            cached = new VintedProvider();
            cached.configure(VintedContexts.forFake(fake, clock, state));
        }
        return cached;
    }

    private VintedProvider cached;
}
