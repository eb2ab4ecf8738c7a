package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;

import java.time.Duration;
import java.util.Optional;

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
     * credential has moved on since: a newer version with another secret. A newer version with the
     * same secret is a change of status only (another daemon's failed refresh marked it expired),
     * and the rejected token is still the current one.
     *
     * @param version the version whose token was rejected
     * @param secret  that version's sealed secret, when known
     */
    record Rejected(long version, Optional<SealedSecret> secret) implements RefreshTrigger {

        /** @param version the version whose token was rejected; any newer version counts as moved on */
        public Rejected(long version) {
            this(version, Optional.empty());
        }

        /**
         * @param row the row whose token was rejected
         * @return the trigger for it
         */
        public static Rejected of(StoredCredential row) {
            return new Rejected(row.version(), Optional.of(row.secret()));
        }

        /**
         * @param now the row read now
         * @return true when the credential has a new secret since the rejected version
         */
        boolean replacedBy(StoredCredential now) {
            return now.version() != version && secret.map(rejected -> !rejected.equals(now.secret())).orElse(true);
        }
    }
}
