package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.StoredCredential;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The console's small parts: escaping, the secret form detection, times, sessions and pending authorizations. */
class ConsolePartsTest {


    @Test
    void everyTextAndAttributeIsEscaped() {
        String html = new Html().raw("<p").attr("title", "\"><script>x</script>").raw(">")
                .text("<b>&'\u0007").raw("</p>").toString();
        assertEquals("<p title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">&lt;b&gt;&amp;&#39;?</p>", html);
    }

    @Test
    void thePastedSecretIsReadInTheFormItHas() {
        assertInstanceOf(SecretInput.CookieHeader.class, SecretForms.detect("access_token_web=a; refresh_token_web=b"));
        assertEquals("a=b; c=d", ((SecretInput.CookieHeader) SecretForms.detect("Cookie: a=b; c=d")).header());
        assertInstanceOf(SecretInput.TokenJson.class, SecretForms.detect(" {\"access_token\":\"x\",\"refresh_token\":\"y\"}"));
        assertInstanceOf(SecretInput.TokenJson.class, SecretForms.detect("{\"access_token\":\"x\"}"));
        for (String pasted : new String[] {"Authorization: Bearer abc.def-ghi_jkl", "Bearer abcdefghijkl", "abcdefghijkl_9-Z"}) {
            assertEquals(pasted, ((SecretInput.AccessToken) SecretForms.detect(" " + pasted + "\n")).token(), pasted);
        }
        assertInstanceOf(SecretInput.CookieHeader.class, SecretForms.detect("session=abc"));
        assertInstanceOf(SecretInput.CookieFile.class, SecretForms.detect("[{\"name\":\"a\",\"value\":\"b\"}]"));
        assertInstanceOf(SecretInput.CookieFile.class, SecretForms.detect("{\"cookies\":[{\"name\":\"a\"}]}"));
        assertInstanceOf(SecretInput.CookieFile.class, SecretForms.detect("# Netscape HTTP Cookie File\n.vinted.fr\tTRUE\t/\tTRUE\t0\ta\tb"));
        assertInstanceOf(SecretInput.CookieFile.class, SecretForms.detect(".vinted.fr\tTRUE\t/\tTRUE\t0\ta\tb"));
    }

    @Test
    void timesReadAsPeopleSayThem() {
        Instant now = Instant.parse("2026-11-25T12:00:00Z");
        assertEquals("in 1 h 12 min", RelativeTime.relative(now.plus(Duration.ofMinutes(72)), now));
        assertEquals("3 min ago", RelativeTime.relative(now.minus(Duration.ofMinutes(3)).minusSeconds(20), now));
        assertEquals("in 2 d 5 h", RelativeTime.relative(now.plus(Duration.ofHours(53)), now));
        assertEquals("now", RelativeTime.relative(now, now));
        assertEquals("2026-11-25 12:00:00 UTC", RelativeTime.absolute(now));
    }

    @Test
    void sessionsEndWhenIdleOrTooOldAndAreBounded() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
        ConsoleSessions sessions = new ConsoleSessions(clock);
        ConsoleSessions.Session s = sessions.create();
        assertTrue(s.csrfMatches(s.csrf()));
        assertFalse(s.csrfMatches(s.csrf() + "x"));
        assertFalse(s.csrfMatches(null));
        assertFalse(s.id().equals(s.csrf()));
        clock.advance(ConsoleSessions.IDLE.minusSeconds(1));
        assertTrue(sessions.find(s.id()).isPresent(), "a request keeps it alive");
        clock.advance(ConsoleSessions.IDLE.plusSeconds(1));
        assertTrue(sessions.find(s.id()).isEmpty(), "idle too long");

        ConsoleSessions.Session kept = sessions.create();
        for (int i = 0; i < ConsoleSessions.LIFETIME.toMinutes() / 10 + 1; i++) {
            clock.advance(Duration.ofMinutes(10));
            sessions.find(kept.id());
        }
        assertTrue(sessions.find(kept.id()).isEmpty(), "no session outlives its lifetime, however busy");

        Set<String> ids = new HashSet<>();
        for (int i = 0; i < ConsoleSessions.MAX_SESSIONS * 2; i++) {
            ids.add(sessions.create().id());
        }
        assertEquals(ConsoleSessions.MAX_SESSIONS * 2, ids.size(), "ids are random");
        assertTrue(sessions.size() <= ConsoleSessions.MAX_SESSIONS);
        assertTrue(sessions.find("").isEmpty() && sessions.find(null).isEmpty() && sessions.find("guess").isEmpty());
    }

    @Test
    void aStateIsUsedOnceWithinItsLifetimeAndCarriesAnS256Challenge() {
        // RFC 7636, appendix B.
        assertEquals("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                PendingAuthorizations.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
        PendingAuthorizations pending = new PendingAuthorizations(clock);
        URI redirect = URI.create("http://127.0.0.1:8787/ui/oauth/callback");
        PendingAuthorizations.Started started = pending.start(new CredentialId("gazelle", "web"), redirect);
        assertTrue(pending.finish("forged").isEmpty());
        PendingAuthorizations.Pending found = pending.finish(started.state()).orElseThrow();
        assertEquals("gazelle:web", found.id().toString());
        assertEquals(started.codeChallenge(), PendingAuthorizations.challenge(found.codeVerifier()));
        assertFalse(found.toString().contains(found.codeVerifier()));
        assertTrue(pending.finish(started.state()).isEmpty(), "single use");

        PendingAuthorizations.Started late = pending.start(new CredentialId("gazelle", "web"), redirect);
        clock.advance(PendingAuthorizations.LIFETIME.plusSeconds(1));
        assertTrue(pending.finish(late.state()).isEmpty(), "too old");
    }

    @Test
    void theOverviewListIsReadAtMostOncePerSecondAndAfterEveryForm() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
        int[] reads = {0};
        CredentialSnapshot snapshot = new CredentialSnapshot(() -> {
            reads[0]++;
            return java.util.List.of();
        }, clock);
        snapshot.get();
        snapshot.get();
        assertEquals(1, reads[0]);
        clock.advance(CredentialSnapshot.MAX_AGE);
        snapshot.get();
        assertEquals(2, reads[0]);
        snapshot.invalidate();
        snapshot.get();
        assertEquals(3, reads[0]);
    }

    /** A credential that cannot refresh says so, and the way to renew it, instead of "nothing to do". */
    @Test
    void anAccessTokenAloneSaysWhatToDoBeforeItEnds() {
        Instant end = Instant.parse("2027-01-04T00:00:00Z");
        StoredCredential credential = new dev.tokenkeeper.api.StoredCredential(
                CredentialId.parse("gazelle:default"), CredentialStatus.ACTIVE,
                SealedSecret.of(new byte[] {1}), end.minusSeconds(30 * 86400), Optional.of(end),
                Optional.of(end), 1, Optional.empty(), Optional.empty(), end.minusSeconds(30 * 86400));
        Set<String> forms = Set.of("token-json", "access-token", "authorization-code");
        assertEquals("no refresh token: import again before " + end + ". Paste a new access token in the import box, or run "
                        + "`tokenkeeper import gazelle --account default --access-token -`.",
                ConsolePages.whatToDo(new ConsolePages.Row(credential, Optional.empty(), forms,
                        Optional.of("no refresh token: import again before " + end))));
        assertEquals("Nothing: it is refreshed before it expires.", ConsolePages.whatToDo(new ConsolePages.Row(credential,
                Optional.empty(), forms, Optional.empty())));
    }

    /** A credential that needs a human lists the ways set up to bring it back, then pasting (issue 25 part 4). */
    @Test
    void aCredentialThatNeedsAHumanListsTheWaysSetUp() {
        Instant at = Instant.parse("2027-01-04T00:00:00Z");
        StoredCredential credential = new StoredCredential(CredentialId.parse("vinted:default"),
                CredentialStatus.REQUIRES_CONFIGURATION, SealedSecret.of(new byte[] {1}), at, Optional.empty(),
                Optional.empty(), 2, Optional.of(at), Optional.of("sign-in: the site showed a captcha"), at);
        Set<String> forms = Set.of("cookie", "cookie-file");
        String paste = "Log in to Vinted in a browser, copy the Cookie header and import it again.";
        assertEquals(paste, ConsolePages.whatToDo(new ConsolePages.Row(credential, Optional.empty(), forms, Optional.empty())),
                "nothing else set up: pasting only");
        assertEquals("Sign in through CookieCloud. The automatic sign-in did not work: the site showed a captcha. Or paste: "
                + paste, ConsolePages.whatToDo(new ConsolePages.Row(credential, Optional.empty(), forms, Optional.empty(),
                List.of("Sign in through CookieCloud.", "The automatic sign-in did not work: the site showed a captcha."))));
    }
}
