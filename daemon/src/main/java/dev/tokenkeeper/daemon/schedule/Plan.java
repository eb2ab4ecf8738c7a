package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.store.DueWork;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * When each credential is next due, and the taking of the due ones: in this daemon's memory
 * ({@link DueQueue}, for a store without a due queue of its own: SQLite, one daemon) or in the
 * store ({@link StorePlan}, whose claims several daemons divide among themselves).
 */
sealed interface Plan permits DueQueue, StorePlan {

    /**
     * One credential taken off the plan to be refreshed now.
     *
     * @param id    the credential
     * @param retry true for a retry after a transient failure (refresh even if not due)
     * @param claim the store's claim, holding its lease, when the plan is the store's
     */
    record Taken(CredentialId id, boolean retry, Optional<DueWork.Claim> claim) {
    }

    /**
     * Plans (or re-plans) a credential.
     *
     * @param id    the credential
     * @param at    when it is next due; empty to take it off the plan
     * @param retry true when that time is a retry after a transient failure
     */
    void put(CredentialId id, Optional<Instant> at, boolean retry);

    /**
     * @param id a credential
     * @return when it is planned next, if it is
     */
    Optional<Instant> at(CredentialId id);

    /**
     * @param ids a page of credentials
     * @return when each planned one is next due (one store query for the page on the store's plan)
     */
    Map<CredentialId, Instant> at(Collection<CredentialId> ids);

    /**
     * @param id a credential
     * @return true when it is planned as a retry
     */
    boolean retrying(CredentialId id);

    /**
     * Takes what is due at {@code now}.
     *
     * @param now   the current time
     * @param limit how many this daemon can start now (free refresh workers); the memory plan hands
     *              over everything due (its workers queue the rest), the store's claims no more
     * @return the due ones, earliest first
     */
    List<Taken> takeDue(Instant now, int limit);

    /** @return when the earliest planned attempt is due, if any is planned */
    Optional<Instant> earliest();
}
