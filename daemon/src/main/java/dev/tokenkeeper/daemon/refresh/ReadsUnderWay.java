package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Store reads of credentials that are under way, so that a change another daemon announces while
 * one runs can keep that read's row out of the token cache: the row may have been read just before
 * the change was committed, and a daemon that plans in the store does not read the changed row of a
 * credential it does not hold (it would otherwise read every other daemon's refreshes).
 */
final class ReadsUnderWay {

    /** How many reads of one credential run, and whether a change was announced during them. */
    private static final class Reading {
        int readers;
        boolean changed;
    }

    private final ConcurrentHashMap<CredentialId, Reading> reading = new ConcurrentHashMap<>();

    /** @param id a credential about to be read from the store */
    void begin(CredentialId id) {
        reading.compute(id, (key, current) -> {
            Reading now = current != null ? current : new Reading();
            now.readers++;
            return now;
        });
    }

    /**
     * @param id a credential whose read has ended
     * @return true when a change of it was announced while it was read
     */
    boolean end(CredentialId id) {
        boolean[] changed = new boolean[1];
        reading.computeIfPresent(id, (key, current) -> {
            changed[0] = current.changed;
            return --current.readers == 0 ? null : current;
        });
        return changed[0];
    }

    /** @param id a credential another daemon changed */
    void changed(CredentialId id) {
        reading.computeIfPresent(id, (key, current) -> {
            current.changed = true;
            return current;
        });
    }
}
