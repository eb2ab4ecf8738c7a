package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.store.DueWork;
import org.tinylog.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The plan kept in the store's due queue ({@link DueWork}): planning a credential writes its next due
 * time to its row, and taking the due ones claims them with this daemon's lease, as many as it has
 * free workers, so that daemons sharing the store divide the due rows between them (one that falls
 * behind claims less; one that dies leaves its claims to run out and be taken by the others).
 * Nothing is held in memory: no full read at start.
 *
 * @param due   the store's due queue
 * @param owner this daemon's lease owner name
 * @param lease how long a claim's lease lasts (renewed while its refresh runs)
 */
record StorePlan(DueWork due, String owner, Duration lease) implements Plan {

    @Override
    public void put(CredentialId id, Optional<Instant> at, boolean retry) {
        due.plan(id, at, retry);
    }

    /** Only views read it: a store that does not answer in time leaves the time unknown, not the view failed. */
    @Override
    public Optional<Instant> at(CredentialId id) {
        try {
            return due.nextDue(id);
        } catch (StoreUnavailableException e) {
            Logger.debug("next refresh time of {} not read: {}", id, e.getMessage());
            return Optional.empty();
        }
    }

    /** Only views read it: a store that does not answer in time leaves the times unknown, not the view failed. */
    @Override
    public Map<CredentialId, Instant> at(Collection<CredentialId> ids) {
        try {
            return due.nextDue(ids);
        } catch (StoreUnavailableException e) {
            Logger.debug("next refresh times of {} credentials not read: {}", ids.size(), e.getMessage());
            return Map.of();
        }
    }

    /** @return false: a retry stays planned in the store, and only a claim reads that it is one */
    @Override
    public boolean retrying(CredentialId id) {
        return false;
    }

    @Override
    public List<Taken> takeDue(Instant now, int limit) {
        if (limit < 1) {
            return List.of();
        }
        return due.claimDue(owner, now, now.plus(lease), limit).stream()
                .map(claim -> new Taken(claim.credential().id(), claim.retry(), Optional.of(claim)))
                .toList();
    }

    /** @return the store's earliest due time; the epoch for a row not planned yet */
    @Override
    public Optional<Instant> earliest() {
        return due.earliestDue().map(at -> at.equals(Instant.MIN) ? Instant.EPOCH : at);
    }
}
