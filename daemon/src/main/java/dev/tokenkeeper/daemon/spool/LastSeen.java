package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The last row of each credential the spool read from the store or wrote to it: what reads fall
 * back to while the store is down, and what an outage's compare-and-set is judged against. Without a
 * bound it keeps every row seen, as a store for one daemon needs (its plan reads every row anyway).
 * With one (a store whose due queue hands out rows, where nothing is ever read whole but walks of
 * the whole table pass through), it keeps the rows used most recently, so that its memory does not
 * grow with the number of credentials; a row it dropped is one the store must answer for.
 */
final class LastSeen {

    private final int most;
    private final Map<CredentialId, StoredCredential> rows;

    /**
     * @param most the most rows kept, at least 1; {@link Integer#MAX_VALUE} for no bound
     */
    LastSeen(int most) {
        if (most < 1) {
            throw new IllegalArgumentException("keeps at least one row, not " + most);
        }
        this.most = most;
        this.rows = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<CredentialId, StoredCredential> eldest) {
                return size() > LastSeen.this.most;
            }
        };
    }

    /** @return true when rows may have been dropped, so a row not kept may still exist */
    boolean bounded() {
        return most != Integer.MAX_VALUE;
    }

    synchronized Optional<StoredCredential> get(CredentialId id) {
        return Optional.ofNullable(rows.get(id));
    }

    /** @return the row kept before, if any */
    synchronized Optional<StoredCredential> put(StoredCredential row) {
        return Optional.ofNullable(rows.put(row.id(), row));
    }

    synchronized void remove(CredentialId id) {
        rows.remove(id);
    }

    /** @param into receives every row kept */
    synchronized void copyInto(Map<CredentialId, StoredCredential> into) {
        into.putAll(rows);
    }

    synchronized int size() {
        return rows.size();
    }
}
