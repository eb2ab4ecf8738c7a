package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each credential was last changed through this process (a commit of any refresh path, an
 * import, a change another daemon announced), kept for as long as a claim of the store's due queue
 * can wait for a worker with its lease unlapsed. A claim reads its rows when it takes their leases,
 * but its refreshes run later, one worker at a time: a refresh of the same credential by another path
 * of this process (a consumer's on-demand refresh holds the lease under the same owner name) may commit
 * in between, and the claimed row then holds a refresh token this process has spent. Such a row is
 * read again before anything is presented upstream. A claim whose lease lapsed is read again anyway
 * (its lease may have passed to another daemon), so older changes need not be kept.
 */
final class RecentChanges {

    private final ConcurrentHashMap<CredentialId, Instant> changedAt = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration kept;
    private volatile Instant nextPurge;

    /**
     * @param clock the time
     * @param kept  how long a change is remembered: at least the longest a claim's lease stays unlapsed
     */
    RecentChanges(Clock clock, Duration kept) {
        this.clock = clock;
        this.kept = kept;
        this.nextPurge = clock.instant().plus(kept);
    }

    /** @param id a credential that was changed just now */
    void changed(CredentialId id) {
        Instant now = clock.instant();
        changedAt.put(id, now);
        if (now.isAfter(nextPurge)) {
            nextPurge = now.plus(kept);
            Instant forgotten = now.minus(kept);
            changedAt.values().removeIf(at -> at.isBefore(forgotten));
        }
    }

    /**
     * @param id    a credential
     * @param since when a claim read its row
     * @return true when it was changed through this process at or after that moment
     */
    boolean changedSince(CredentialId id, Instant since) {
        Instant at = changedAt.get(id);
        return at != null && !at.isBefore(since);
    }

    /** @return how many changes are remembered */
    int size() {
        return changedAt.size();
    }
}
