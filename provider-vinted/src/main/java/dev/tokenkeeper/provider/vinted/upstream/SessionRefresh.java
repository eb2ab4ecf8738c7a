package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.provider.vinted.session.SessionCookies;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Refreshes a Vinted web session the way the web app does: load the home page (fresh anti-bot
 * cookies and the CSRF token of the session), then {@code POST /web/api/auth/refresh} with every
 * session cookie and {@code X-Csrf-Token}. Every cookie the answers set replaces the old value.
 *
 * <p>The home page is always loaded first, although it costs a request of the budget: a browser never
 * calls the refresh endpoint without a page around it, Vinted may require the token, and the page
 * renews the anti-bot cookies that keep the refresh call itself from being walled. A refresh is thus
 * two requests, always (four when the CSRF token was refused once and is fetched again).
 *
 * @param http           the HTTP side
 * @param gate           pause and request budget
 * @param blockedBackoff the least wait after an anti-bot 403
 * @param clock          the clock
 */
public record SessionRefresh(VintedHttp http, UpstreamGate gate, Duration blockedBackoff, Clock clock) {

    /** The refresh endpoint. */
    public static final String REFRESH_PATH = "/web/api/auth/refresh";
    /** The page the web app calls the refresh endpoint from. */
    public static final String REFRESH_REFERER = "/session-refresh?ref_url=%2F";
    /** The page the CSRF token is read from. */
    public static final String HOME_PATH = "/";

    private static final String POST_REFRESH = "POST " + REFRESH_PATH;
    private static final String GET_HOME = "GET " + HOME_PATH;
    private static final String REIMPORT = "import fresh cookies with `tokenkeeper import vinted --cookie ...`";

    /**
     * @param secret the current session
     * @return the refreshed session, a transient failure (the refresh token was not spent, as far as
     *         can be told), or a permanent failure (Vinted rejected the session)
     */
    public RefreshResult run(SecretMaterial secret) {
        SessionCookies start = SessionCookies.fromMaterial(secret);
        if (start.get(SessionCookies.REFRESH_TOKEN).isEmpty()) {
            return new RefreshResult.PermanentFailure("the stored vinted session has no refresh_token_web: " + REIMPORT);
        }
        SessionCookies session = start;
        boolean noCsrfRefusedBefore = false;
        for (int attempt = 1; attempt <= 2; attempt++) {
            Optional<Verdict.Temporary> refused = gate.admit(2);
            if (refused.isPresent()) {
                return settle(start, session, failure(refused.get()));
            }
            // 1. The home page: CSRF token and fresh anti-bot cookies.
            // Expired account cookies can get the home page redirected away (no CSRF token on it): load
            // it as an anonymous visitor then, which still starts a session with a CSRF token.
            SessionCookies visitor = session.accessTokenExpired(clock.instant()) ? session.withoutAccountCookies() : session;
            UpstreamAnswer home;
            try {
                home = http.navigate(HOME_PATH, visitor);
            } catch (IOException e) {
                gate.unused(1);
                return settle(start, session, noAnswer(GET_HOME, e, false));
            }
            session = session.apply(home.setCookies());
            Verdict homeVerdict = Verdict.of(home, GET_HOME, blockedBackoff, false);
            if (homeVerdict instanceof Verdict.Temporary t && t.kind() != FailureKind.BAD_RESPONSE) {
                gate.unused(1);
                gate.observe(t);
                return settle(start, session, failure(t));
            }
            Optional<String> csrf = homeVerdict instanceof Verdict.Success ? CsrfToken.find(home.body()) : Optional.empty();

            // 2. The refresh itself.
            // Without a CSRF token on the page and after one refusal: the refresh_token_web cookie alone,
            // which no CSRF protection covers (it protects the browser session).
            boolean cookieAlone = csrf.isEmpty() && noCsrfRefusedBefore;
            UpstreamAnswer answer;
            try {
                answer = http.fetch("POST", REFRESH_PATH, REFRESH_REFERER, cookieAlone ? session.refreshTokenAlone() : session,
                        csrf.map(token -> Map.of("X-Csrf-Token", token)).orElse(Map.of()));
            } catch (IOException e) {
                return settle(start, session, noAnswer(POST_REFRESH, e, true));
            }
            session = session.apply(answer.setCookies());
            Verdict verdict = Verdict.of(answer, POST_REFRESH, blockedBackoff);
            if (verdict instanceof Verdict.Success) {
                if (answer.sets(SessionCookies.ACCESS_TOKEN) && session.hasReadableAccessToken()) {
                    return new RefreshResult.Refreshed(session.issued(answer.receivedAt()));
                }
                if (answer.sets(SessionCookies.ACCESS_TOKEN)) {
                    // Keep the old, readable access token; a rotated refresh token is still kept by settle().
                    Optional<String> oldAccess = start.get(SessionCookies.ACCESS_TOKEN);
                    SessionCookies kept = oldAccess.isPresent()
                            ? session.with(SessionCookies.ACCESS_TOKEN, oldAccess.get()) : session;
                    return settle(start, kept, RefreshResult.TransientFailure.of(FailureKind.BAD_RESPONSE,
                            "vinted answered " + answer.status() + " to " + POST_REFRESH
                                    + " with an access_token_web that is not a readable JWT"));
                }
                return settle(start, session, RefreshResult.TransientFailure.of(FailureKind.BAD_RESPONSE,
                        "vinted answered " + answer.status() + " to " + POST_REFRESH + " without a new access_token_web"));
            }
            if (verdict instanceof Verdict.Unauthenticated u) {
                return new RefreshResult.PermanentFailure("vinted rejected the session (" + u.code() + "): " + REIMPORT);
            }
            if (verdict instanceof Verdict.Temporary t) {
                gate.observe(t);
                return settle(start, session, failure(t));
            }
            if (attempt == 2) {
                return settle(start, session, RefreshResult.TransientFailure.of(FailureKind.BAD_RESPONSE,
                        "vinted refused the CSRF token twice on " + POST_REFRESH
                                + (csrf.isEmpty() ? " (its home page carries no csrf-token; the refresh_token_web cookie"
                                + " alone was refused too)" : "")
                                + "; the session is untouched, the next attempt tries again"));
            }
            // CSRF refused: the token was stale or missing; read a fresh one once.
            noCsrfRefusedBefore = csrf.isEmpty();
        }
        throw new IllegalStateException("unreachable");
    }

    /**
     * A failure must not lose a refresh token that rotated on the way (set by the home page or by a
     * refused answer): whatever the outcome, a new refresh token is handed back for committing.
     */
    private RefreshResult settle(SessionCookies start, SessionCookies now, RefreshResult failure) {
        if (!now.get(SessionCookies.REFRESH_TOKEN).equals(start.get(SessionCookies.REFRESH_TOKEN))) {
            return new RefreshResult.Refreshed(now.issued(clock.instant()));
        }
        return failure;
    }

    private static RefreshResult.TransientFailure failure(Verdict.Temporary t) {
        return new RefreshResult.TransientFailure(t.kind(), t.reason(), t.retryAfter());
    }

    private static RefreshResult.TransientFailure noAnswer(String request, IOException e, boolean refreshSent) {
        String what = e instanceof HttpTimeoutException ? "timed out" : "failed (" + e.getClass().getSimpleName() + ")";
        return RefreshResult.TransientFailure.of(FailureKind.NETWORK, request + " to vinted " + what
                + (refreshSent ? "; if vinted refreshed the session anyway, the next refresh is rejected and the"
                + " cookies must be imported again" : ""));
    }
}
