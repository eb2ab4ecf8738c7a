package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.http.RetryAfter;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What an answer of Gazelle's that is neither a success nor a refusal of the token says: a failure
 * a later attempt may get over. The token endpoint and the API answer 403, 429 and 5xx alike.
 *
 * @param kind       what went wrong
 * @param reason     one line without secrets: who answered which status, and what it means
 * @param retryAfter the wait the answer asked for ({@code Retry-After}), if it did
 */
public record FailedAnswer(FailureKind kind, String reason, Optional<Duration> retryAfter) {

    /**
     * @param who        who answered, for the reason, e.g. {@code Gazelle API}
     * @param response   the answer
     * @param urlSetting the setting to check when the status makes no sense for the call
     * @param now        the time, to turn a {@code Retry-After} date into a wait
     * @return blocked (403), rate-limited (429), a server error (5xx), or a bad response
     */
    public static FailedAnswer of(String who, UpstreamResponse response, String urlSetting, Instant now) {
        int status = response.status();
        String what = who + " answered HTTP " + status;
        Optional<Duration> retryAfter = RetryAfter.of(response.headers(), now);
        if (status == 403) {
            return new FailedAnswer(FailureKind.BLOCKED, what + " (access denied or anti-bot block)", retryAfter);
        }
        if (status == 429) {
            return new FailedAnswer(FailureKind.RATE_LIMITED, what + " (too many requests)"
                    + retryAfter.map(wait -> "; retry after " + wait.toSeconds() + " s").orElse(""), retryAfter);
        }
        if (status >= 500) {
            return new FailedAnswer(FailureKind.SERVER_ERROR, what + " (server error)", retryAfter);
        }
        return new FailedAnswer(FailureKind.BAD_RESPONSE, what + " (unexpected); check " + urlSetting, retryAfter);
    }
}
