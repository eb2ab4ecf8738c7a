package dev.tokenkeeper.daemon.scrub;

import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.http.UpstreamText;

import java.util.Collection;

/**
 * The daemon's own guard on a provider's failure reason before it reaches {@code lastError}, the
 * history, {@code status}, {@code report} or the log: whatever a provider copied from its upstream,
 * token-like runs and any fragment of 8+ characters of the credential's secret are removed.
 */
public final class FailureText {

    /** Long enough for a useful line, short enough for a status table. */
    public static final int MAX_LENGTH = 300;

    private FailureText() {
    }

    /**
     * @param result the provider's answer
     * @param secret the secret material the daemon holds for that credential
     * @return the same answer with its reason scrubbed; a success unchanged
     */
    public static RefreshResult scrubbed(RefreshResult result, SecretMaterial secret) {
        Collection<String> secrets = secret.fields().values();
        if (result instanceof RefreshResult.TransientFailure failure) {
            return new RefreshResult.TransientFailure(failure.kind(),
                    UpstreamText.summary(failure.reason(), secrets, MAX_LENGTH), failure.retryAfter());
        }
        if (result instanceof RefreshResult.PermanentFailure failure) {
            return new RefreshResult.PermanentFailure(UpstreamText.summary(failure.reason(), secrets, MAX_LENGTH));
        }
        return result;
    }
}
