package dev.tokenkeeper.api.http;

import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * The whole answer, body included, did not arrive within the deadline given to
 * {@link CappedBody#send}: the server answered its headers but the body stalled or trickled, or
 * nothing came at all. Its message names the deadline only, never the request.
 */
public final class DeadlineExceededException extends HttpTimeoutException {

    private static final long serialVersionUID = 1L;

    /** The deadline that passed. */
    private final Duration deadline;

    /** @param deadline the deadline that passed */
    public DeadlineExceededException(Duration deadline) {
        super("no complete answer within " + deadline.toSeconds() + " s");
        this.deadline = deadline;
    }

    /** @return the deadline that passed */
    public Duration deadline() {
        return deadline;
    }
}
