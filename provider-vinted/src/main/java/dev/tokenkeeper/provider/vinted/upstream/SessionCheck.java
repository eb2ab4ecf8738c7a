package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.provider.vinted.session.SessionCookies;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Asks Vinted whether a session's access token is accepted: {@code GET /api/v2/users/current}. *
 * @param http           the HTTP side
 * @param gate           pause and request budget
 * @param blockedBackoff the least wait after an anti-bot 403
 */
public record SessionCheck(VintedHttp http, UpstreamGate gate, Duration blockedBackoff) {

    /** The authenticated call used as a check. */
    public static final String CURRENT_USER_PATH = "/api/v2/users/current";

    private static final String REQUEST = "GET " + CURRENT_USER_PATH;

    /**
     * @param secret the session
     * @return accepted (200 with a JSON body), rejected (401) or inconclusive (anything else)
     */
    public ValidationResult run(SecretMaterial secret) {
        SessionCookies session = SessionCookies.fromMaterial(secret);
        if (session.get(SessionCookies.ACCESS_TOKEN).isEmpty()) {
            return new ValidationResult.Rejected("the stored vinted session has no access_token_web");
        }
        Optional<Verdict.Temporary> refused = gate.admit(1);
        if (refused.isPresent()) {
            return inconclusive(refused.get());
        }
        UpstreamAnswer answer;
        try {
            answer = http.fetch("GET", CURRENT_USER_PATH, "/", session, Map.of());
        } catch (IOException e) {
            String what = e instanceof HttpTimeoutException ? "timed out" : "failed (" + e.getClass().getSimpleName() + ")";
            return new ValidationResult.Inconclusive(FailureKind.NETWORK, REQUEST + " to vinted " + what, Optional.empty());
        }
        Verdict verdict = Verdict.of(answer, REQUEST, blockedBackoff);
        if (verdict instanceof Verdict.Success) {
            return answer.json().filter(json -> json.isObject()).isPresent()
                    ? new ValidationResult.Accepted()
                    : new ValidationResult.Inconclusive(FailureKind.BAD_RESPONSE,
                            "vinted answered " + answer.status() + " to " + REQUEST + " without a JSON body", Optional.empty());
        }
        if (verdict instanceof Verdict.Unauthenticated u) {
            return new ValidationResult.Rejected("vinted rejected the access token (" + u.code() + ")");
        }
        if (verdict instanceof Verdict.CsrfRefused) {
            return new ValidationResult.Inconclusive(FailureKind.BAD_RESPONSE,
                    "vinted asked for a CSRF token on " + REQUEST, Optional.empty());
        }
        Verdict.Temporary t = (Verdict.Temporary) verdict;
        gate.observe(t);
        return inconclusive(t);
    }

    private static ValidationResult inconclusive(Verdict.Temporary t) {
        return new ValidationResult.Inconclusive(t.kind(), t.reason(), t.retryAfter());
    }
}
