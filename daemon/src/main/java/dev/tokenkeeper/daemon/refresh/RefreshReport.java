package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.StoredCredential;

import java.time.Instant;
import java.util.Optional;

/** What one pass of the refresh pipeline did. */
public sealed interface RefreshReport {

    /** @return the credential as it stands afterwards */
    StoredCredential credential();

    /**
     * New secret material was committed.
     *
     * @param credential the committed credential
     */
    record Refreshed(StoredCredential credential) implements RefreshReport {
    }

    /**
     * Nothing needed doing (not due, already replaced, or another daemon just did it).
     *
     * @param credential the current credential
     * @param why        one line
     */
    record Skipped(StoredCredential credential, String why) implements RefreshReport {
    }

    /**
     * A transient failure; the old token is kept and a retry is planned.
     *
     * @param credential    the credential, with its last error
     * @param reason        one line
     * @param nextAttemptAt when to try again
     */
    record RetryLater(StoredCredential credential, String reason, Instant nextAttemptAt) implements RefreshReport {
    }

    /**
     * The upstream refused for good or the secret cannot be read: a human must act.
     *
     * @param credential the credential, now {@code requires_configuration} or {@code error}
     * @param reason     one line
     */
    record NeedsHuman(StoredCredential credential, String reason) implements RefreshReport {
    }

    /** @return the next time the scheduler should look at this credential, if the report says */
    default Optional<Instant> retryAt() {
        return this instanceof RetryLater later ? Optional.of(later.nextAttemptAt()) : Optional.empty();
    }
}
