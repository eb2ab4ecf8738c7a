package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.store.DueWork;

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

    @Override
    public Optional<Instant> at(CredentialId id) {
        return due.nextDue(id);
    }

    @Override
    public Map<CredentialId, Instant> at(Collection<CredentialId> ids) {
        return due.nextDue(ids);
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
