package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.api.FailureKind;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** What one Vinted answer means for the session, before it is turned into a refresh or validation result. */
public sealed interface Verdict {

    /** A 2xx answer. */
    record Success() implements Verdict {
    }

    /** 401, 422 or a non-HTML 403 complaining about the CSRF token: fetch a fresh one and try again. */
    record CsrfRefused() implements Verdict {
    }

    /**
     * 401 (other than a CSRF complaint): the session's token is not accepted.
     *
     * @param code what Vinted said, e.g. {@code invalid_authentication_token}, or {@code HTTP 401}
     */
    record Unauthenticated(String code) implements Verdict {
        /** Rejects null. */
        public Unauthenticated {
            Objects.requireNonNull(code, "code");
        }
    }

    /**
     * Anything a later retry may fix: anti-bot wall, rate limit, server error, an unexpected answer.
     *
     * @param kind       what went wrong
     * @param reason     one line, no secrets
     * @param retryAfter how long to wait, if known
     */
    record Temporary(FailureKind kind, String reason, Optional<Duration> retryAfter) implements Verdict {
        /** Rejects nulls. */
        public Temporary {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(retryAfter, "retryAfter");
        }
    }

    /**
     * Classifies an answer to an API call (JSON expected).
     *
     * @param answer         what Vinted answered
     * @param request        the request, for messages, e.g. {@code POST /web/api/auth/refresh}
     * @param blockedBackoff the least time to wait after an anti-bot 403
     * @return the verdict
     */
    static Verdict of(UpstreamAnswer answer, String request, Duration blockedBackoff) {
        return of(answer, request, blockedBackoff, true);
    }

    /**
     * Classifies an answer. DataDome's wall is not always a 403: it also answers 200 with an HTML
     * challenge page, or redirects to {@code captcha-delivery.com}; both are "blocked" like the 403.
     *
     * @param answer         what Vinted answered
     * @param request        the request, for messages, e.g. {@code POST /web/api/auth/refresh}
     * @param blockedBackoff the least time to wait after an anti-bot answer
     * @param expectsJson    true for API calls: an HTML page in a 2xx is then a challenge, not an answer
     * @return the verdict
     */
    static Verdict of(UpstreamAnswer answer, String request, Duration blockedBackoff, boolean expectsJson) {
        int status = answer.status();
        if (answer.redirectsToCaptcha()) {
            return blocked(answer, request, blockedBackoff, "redirect to captcha-delivery.com");
        }
        if (status >= 200 && status < 300) {
            if (answer.isChallengePage() || (expectsJson && answer.isHtml())) {
                return blocked(answer, request, blockedBackoff, "HTML challenge page in a " + status);
            }
            return new Success();
        }
        // An HTML 403 is the anti-bot wall even if its scripts happen to say "csrf": API refusals are JSON or text.
        boolean csrfStatus = status == 401 || status == 422 || (status == 403 && !answer.isHtml());
        if (csrfStatus && answer.mentionsCsrf()) {
            return new CsrfRefused();
        }
        if (status == 401) {
            return new Unauthenticated(answer.invalidAuthentication() ? "invalid_authentication_token" : "HTTP 401");
        }
        if (status == 403) {
            // DataDome/Cloudflare page or {"code":106}: never expiry, never a reason to touch the session.
            String what = answer.errorCode().orElse(-1) == 106 ? "access denied, code 106"
                    : answer.isHtml() ? "anti-bot HTML page" : "access denied";
            return blocked(answer, request, blockedBackoff, what);
        }
        if (status == 429) {
            return new Temporary(FailureKind.RATE_LIMITED, "vinted answered 429 (too many requests) to " + request
                    + answer.retryAfter().map(d -> "; retry after " + d.toSeconds() + " s").orElse(""), answer.retryAfter());
        }
        if (status >= 500) {
            return new Temporary(FailureKind.SERVER_ERROR, "vinted answered " + status + " to " + request,
                    answer.retryAfter());
        }
        return new Temporary(FailureKind.BAD_RESPONSE, "vinted answered an unexpected " + status + " to " + request,
                answer.retryAfter());
    }

    private static Temporary blocked(UpstreamAnswer answer, String request, Duration blockedBackoff, String what) {
        Duration wait = answer.retryAfter().filter(d -> d.compareTo(blockedBackoff) > 0).orElse(blockedBackoff);
        return new Temporary(FailureKind.BLOCKED, "vinted answered " + answer.status() + " (" + what + ") to " + request
                + ": anti-bot wall, not expiry; leaving vinted alone for " + wait.toSeconds() + " s", Optional.of(wait));
    }
}
