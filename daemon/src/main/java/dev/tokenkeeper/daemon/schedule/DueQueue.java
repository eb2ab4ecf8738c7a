package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When each credential is next due, ordered by time: adding, moving or removing one credential
 * costs O(log n), and taking the due ones costs O(log n) each. (Quartz's in-memory job store keeps
 * triggers in a list, so one trigger per credential made every re-plan O(n).) The plan of a store
 * without a due queue of its own; filled from a full read of the store at start.
 */
final class DueQueue implements Plan {

    /**
     * One planned attempt.
     *
     * @param at    when
     * @param id    which credential
     * @param retry true for a retry after a transient failure (refresh even if not due)
     * @param seq   tie-breaker
     */
    record Due(Instant at, CredentialId id, boolean retry, long seq) implements Comparable<Due> {
        @Override
        public int compareTo(Due other) {
            int byTime = at.compareTo(other.at);
            return byTime != 0 ? byTime : Long.compare(seq, other.seq);
        }
    }

    private final ConcurrentSkipListSet<Due> byTime = new ConcurrentSkipListSet<>();
    private final Map<CredentialId, Due> byId = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    /** Plans (or re-plans) a credential. */
    void put(CredentialId id, Instant at, boolean retry) {
        Due next = new Due(at, id, retry, sequence.incrementAndGet());
        byId.compute(id, (key, old) -> {
            if (old != null) {
                byTime.remove(old);
            }
            byTime.add(next);
            return next;
        });
    }

    /** Takes a credential off the plan. */
    void remove(CredentialId id) {
        byId.computeIfPresent(id, (key, old) -> {
            byTime.remove(old);
            return null;
        });
    }

    /** @return the planned attempt of a credential, if any */
    Optional<Due> get(CredentialId id) {
        return Optional.ofNullable(byId.get(id));
    }

    /**
     * Removes and returns every attempt due at or before {@code now}.
     *
     * @param now the current time
     * @return the due attempts, earliest first
     */
    List<Due> takeDue(Instant now) {
        List<Due> due = new ArrayList<>();
        Due first;
        while ((first = byTime.isEmpty() ? null : byTime.first()) != null && !first.at().isAfter(now)) {
            Due taken = first;
            boolean mine = byId.remove(taken.id(), taken);
            if (byTime.remove(taken) && mine) {
                due.add(taken);
            }
        }
        return due;
    }

    @Override
    public void put(CredentialId id, Optional<Instant> at, boolean retry) {
        at.ifPresentOrElse(when -> put(id, when, retry), () -> remove(id));
    }

    @Override
    public Optional<Instant> at(CredentialId id) {
        return get(id).map(Due::at);
    }

    @Override
    public Map<CredentialId, Instant> at(Collection<CredentialId> ids) {
        Map<CredentialId, Instant> at = new HashMap<>();
        ids.forEach(id -> get(id).ifPresent(due -> at.put(id, due.at())));
        return at;
    }

    @Override
    public boolean retrying(CredentialId id) {
        return get(id).filter(Due::retry).isPresent();
    }

    /** Hands over everything due, whatever the limit. */
    @Override
    public List<Taken> takeDue(Instant now, int limit) {
        return takeDue(now).stream().map(due -> new Taken(due.id(), due.retry(), Optional.empty())).toList();
    }

    @Override
    public Optional<Instant> earliest() {
        try {
            return Optional.of(byTime.first().at());
        } catch (NoSuchElementException empty) {
            return Optional.empty();
        }
    }

    /** @return how many credentials are planned */
    int size() {
        return byId.size();
    }
}
