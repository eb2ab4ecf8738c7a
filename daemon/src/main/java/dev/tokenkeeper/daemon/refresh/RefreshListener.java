package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;

import java.time.Instant;
import java.util.Optional;

/** Told about every committed change, so the schedule and the metrics follow. */
public interface RefreshListener {

    /**
     * A credential was imported, refreshed, or changed status.
     *
     * @param credential  the credential as committed
     * @param nextAttempt when to retry, after a transient failure
     */
    void changed(StoredCredential credential, Optional<Instant> nextAttempt);

    /**
     * An event was added to a credential's history (an import, a refresh, a failure).
     *
     * @param event the event
     */
    default void recorded(RefreshEvent event) {
    }

    /**
     * A credential was deleted.
     *
     * @param id the credential
     */
    default void removed(CredentialId id) {
    }
}
