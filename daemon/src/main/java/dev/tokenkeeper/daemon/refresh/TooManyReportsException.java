package dev.tokenkeeper.daemon.refresh;

import java.time.Duration;

/**
 * A consumer reported the current token as rejected once more than {@link ReportLimit} allows an
 * upstream call for (the control API answers 429 with {@code Retry-After}); no upstream call was made
 * beyond the limit's.
 */
public final class TooManyReportsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    /**
     * @param message    which credential, the limit, and what to do
     * @param retryAfter when a report may refresh again
     */
    public TooManyReportsException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    /** @return when a report may refresh again */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** @return {@link #retryAfter()} in whole seconds, rounded up, at least 1 (for {@code Retry-After}) */
    public long retryAfterSeconds() {
        return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }
}
