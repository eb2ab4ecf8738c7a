package dev.tokenkeeper.daemon.refresh;

import java.time.Duration;

/** Why a refresh was asked for; decides whether it still needs doing once the lease is held. */
public sealed interface RefreshTrigger {

    /**
     * The schedule fired: refresh if the plan says it is due.
     *
     * @param advance how much earlier than the planner's time the schedule put it, to keep the refreshes
     *                of one provider's accounts apart; a refresh this much early is still due
     */
    record Scheduled(Duration advance) implements RefreshTrigger {
        /** Fired at the planner's own time. */
        public Scheduled() {
            this(Duration.ZERO);
        }
    }

    /** A retry after a transient failure: refresh unless a human is needed. */
    record Retry() implements RefreshTrigger {
    }

    /**
     * A refresh that was in flight when the daemon stopped, resumed at start-up with the refresh token
     * still committed: refresh unless a human is needed; a rejection means the upstream rotated the
     * token while the daemon was down.
     */
    record Recovery() implements RefreshTrigger {
    }

    /** A user asked for it ({@code refresh --force}): refresh regardless. */
    record Forced() implements RefreshTrigger {
    }

    /**
     * A consumer needs a token valid for at least this long.
     *
     * @param minValidity how long the access token must still be valid
     */
    record OnDemand(Duration minValidity) implements RefreshTrigger {
    }

    /**
     * A consumer or the validation sweep saw the token of this version rejected; refresh unless the
     * credential has moved on since.
     *
     * @param version the version whose token was rejected
     */
    record Rejected(long version) implements RefreshTrigger {
    }
}
