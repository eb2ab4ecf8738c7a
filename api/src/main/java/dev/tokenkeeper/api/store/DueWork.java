package dev.tokenkeeper.api.store;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The due queue in the store: each credential row carries when it is next due, and daemons claim
 * due rows in batches with the refresh lease, so that several daemons divide the work instead of
 * each planning every credential. A row whose time was never written (a row from before this
 * capability, or one inserted a moment ago) is <em>unplanned</em> and claimable at once, so that a
 * store fills in its plan page by page.
 *
 * <p>Without it the daemon plans every credential in its own memory, from a full read at start,
 * and takes each refresh's lease on its own (the daemon's only way on a store for one daemon).
 *
 * <p>Added in SDK 0.2 without changing anything else: a store built against 0.2 before it still
 * loads, and simply does not offer it.
 */
public non-sealed interface DueWork extends StoreCapability {

    /**
     * A claimed row.
     *
     * @param credential the row as the claim read it, under the claim's lease
     * @param due        when it was due; empty when it was unplanned
     * @param retry      true when it was planned as a retry after a transient failure
     */
    record Claim(StoredCredential credential, Optional<Instant> due, boolean retry) {

        /** Checks the values. */
        public Claim {
            Objects.requireNonNull(credential, "credential");
            Objects.requireNonNull(due, "due");
        }
    }

    /**
     * Claims up to {@code limit} rows that are due at {@code now} (or unplanned) and whose lease is
     * free or ended, taking their lease for {@code owner} until {@code leaseUntil}, atomically: two
     * callers at the same time never claim the same row, and neither waits for the other's rows.
     * Earliest due first, unplanned rows before all. A store may move a planned row's due time to
     * {@code leaseUntil} as it claims it (when the row is due again should its claimer neither commit
     * nor release it), so that later claims do not walk past the rows being refreshed; each
     * {@link Claim} carries the due time the row had.
     *
     * @param owner      a name unique to the calling daemon process (as for {@link Leases#tryLease})
     * @param now        the caller's time, which planned times are compared with
     * @param leaseUntil when the claims' leases run out if not released
     * @param limit      the most rows to claim, at least 1
     * @return the claimed rows, earliest due first; empty when none is due
     * @throws IllegalArgumentException when {@code limit} is less than 1
     */
    List<Claim> claimDue(String owner, Instant now, Instant leaseUntil, int limit);

    /**
     * {@link Leases#commitRefresh} that also writes when the credential is next due, in the same
     * durable step.
     *
     * @param updated         the new state; its version must be {@code expectedVersion + 1}
     * @param expectedVersion the version the caller read
     * @param event           the history event of the refresh
     * @param owner           the lease holder
     * @param nextDue         when it is next due; empty to keep it out of claims until planned again
     * @return true when the compare-and-set succeeded; nothing is written otherwise
     * @throws IllegalArgumentException when {@code updated.version() != expectedVersion + 1}
     */
    boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner,
                          Optional<Instant> nextDue);

    /**
     * Gives back a claim that ended without a refresh commit (not due after all, validated, a
     * failure to retry), writing when the credential is next due, if {@code owner} holds its lease or
     * nobody does (a refresh of the same daemon that the claim joined gave it back already);
     * otherwise does nothing (another daemon owns it now and plans it).
     *
     * @param id      the credential
     * @param owner   the lease holder
     * @param nextDue when it is next due; empty to keep it out of claims until planned again
     * @param retry   true when that time is a retry after a transient failure
     */
    void release(CredentialId id, String owner, Optional<Instant> nextDue, boolean retry);

    /**
     * Writes when a credential is next due, whoever holds its lease: after an import or a change
     * made through the daemon's API, or a refresh that did not commit through {@link #commitRefresh}.
     *
     * @param id      the credential; nothing happens when there is none
     * @param nextDue when it is next due; empty to keep it out of claims until planned again
     * @param retry   true when that time is a retry after a transient failure
     */
    void plan(CredentialId id, Optional<Instant> nextDue, boolean retry);

    /**
     * @param id the credential
     * @return when it is next due; empty when it is not planned (or there is no such credential)
     */
    Optional<Instant> nextDue(CredentialId id);

    /**
     * When each of a page of credentials is next due, for a view that shows a page of them: a store
     * should answer in one query (a query per credential shown would compete with the consumers'
     * reads for the store's connections). The default asks {@link #nextDue(CredentialId)} for each.
     *
     * <p>Added in SDK 0.2 after the rest of this capability, with a default, so a store built before
     * it still loads.
     *
     * @param ids the credentials, at most a page of them
     * @return when each planned one is next due; a credential that is not planned (or does not exist)
     *         has no entry
     */
    default Map<CredentialId, Instant> nextDue(Collection<CredentialId> ids) {
        Map<CredentialId, Instant> due = new HashMap<>();
        for (CredentialId id : ids) {
            nextDue(id).ifPresent(at -> due.put(id, at));
        }
        return due;
    }

    /**
     * @return the earliest planned time of any row whose lease is free or ended; {@link Instant#MIN}
     *         when an unplanned row exists; empty when nothing is planned
     */
    Optional<Instant> earliestDue();

    /**
     * The credentials whose lease {@code owner} holds or held last (whether or not it has run out),
     * so that a daemon restarted on its state folder finds what its previous run had claimed or was
     * refreshing when it stopped, and presents their refresh tokens again at once: on a store with a
     * due queue the claim itself records the work in flight, and the daemon needs no note of its own
     * per refresh. Rows another daemon has claimed since are not listed.
     *
     * <p>Added after the rest of this capability, with a default that lists nothing: on a store
     * that does not answer, an earlier run's claims are taken by any daemon once their lease runs out.
     *
     * @param owner a lease owner name, as given to {@link #claimDue} or {@link Leases#tryLease}
     * @return the credentials whose lease row names {@code owner}; empty when none
     */
    default List<CredentialId> leasedBy(String owner) {
        return List.of();
    }
}
