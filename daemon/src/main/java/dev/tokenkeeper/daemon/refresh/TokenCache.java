package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The opened, current credentials in memory, at most {@code maxEntries} of them: the least recently
 * used is dropped first, and a token read of a dropped one reads it from the store again and opens
 * it ({@link CredentialService#token}). Bounded so that the daemon's memory does not grow with the
 * number of stored credentials (issue 26). Plain in memory on purpose: the process already holds
 * the master key, so an attacker who can read its memory can read everything anyway; keeping the
 * secret opened saves a store read and an AES-GCM open on every token read. Entries only move
 * forward: an older version never replaces a newer one that is cached.
 * <p>
 * Striped: each credential belongs to one of up to 16 segments, each a small LRU under its own
 * lock, so concurrent token reads of different credentials seldom wait for each other; the
 * segments' bounds add up to {@code maxEntries}.
 */
public final class TokenCache {

    /** The setting that bounds the cache: most opened credentials held. */
    public static final String SETTING = "TOKENKEEPER_TOKEN_CACHE_SIZE";
    /** Default bound: a few tens of MB at most, and more than most deployments have credentials. */
    public static final int DEFAULT_SIZE = 10_000;

    private static final int MAX_SEGMENTS = 16;

    private final Segment[] segments;
    private final int maxEntries;

    /** A cache of {@link #DEFAULT_SIZE} entries. */
    public TokenCache() {
        this(DEFAULT_SIZE);
    }

    /**
     * @param maxEntries the most credentials held opened
     * @throws IllegalArgumentException when it is below 1
     */
    public TokenCache(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException(SETTING + " must be at least 1, not " + maxEntries);
        }
        this.maxEntries = maxEntries;
        int count = Math.min(MAX_SEGMENTS, Integer.highestOneBit(maxEntries));
        this.segments = new Segment[count];
        for (int i = 0; i < count; i++) {
            segments[i] = new Segment(maxEntries / count + (i < maxEntries % count ? 1 : 0));
        }
    }

    /**
     * @param id the credential
     * @return the cached credential, if any
     */
    public Optional<LiveCredential> get(CredentialId id) {
        return Optional.ofNullable(segment(id).get(id));
    }

    /**
     * Stores the credential unless a newer version is already cached; may drop the least recently
     * used credential of its segment to stay within the bound.
     *
     * @param live the credential
     */
    public void put(LiveCredential live) {
        segment(live.stored().id()).put(live);
    }

    /**
     * Stores the credential only where an older version of it is cached (a consumer's read put it
     * there): a refresh keeps what consumers read current without adding what nobody here reads.
     *
     * @param live the credential
     */
    public void replace(LiveCredential live) {
        segment(live.stored().id()).replace(live);
    }

    /** @param id the credential to forget */
    public void remove(CredentialId id) {
        segment(id).remove(id);
    }

    /**
     * Forgets the credential if the cached entry is this version (a newer one stays).
     *
     * @param id      the credential
     * @param version the version to forget
     */
    public void removeVersion(CredentialId id, long version) {
        segment(id).removeVersion(id, version);
    }

    /**
     * Forgets every credential: the store's announcements were missed, so any entry may be older
     * than the store's row; each is read again on its next use.
     */
    public void invalidateAll() {
        for (Segment segment : segments) {
            segment.clear();
        }
    }

    /** @return how many credentials are held now */
    public int size() {
        int size = 0;
        for (Segment segment : segments) {
            size += segment.size();
        }
        return size;
    }

    /** @return the most credentials ever held at once */
    public int maxEntries() {
        return maxEntries;
    }

    private Segment segment(CredentialId id) {
        int hash = id.hashCode();
        return segments[(hash ^ (hash >>> 16)) & (segments.length - 1)];
    }

    /** One stripe: an access-ordered map that drops its eldest entry beyond its bound. */
    private static final class Segment {

        private final Map<CredentialId, LiveCredential> entries;

        Segment(int bound) {
            this.entries = new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<CredentialId, LiveCredential> eldest) {
                    return size() > bound;
                }
            };
        }

        synchronized LiveCredential get(CredentialId id) {
            return entries.get(id);
        }

        synchronized void put(LiveCredential live) {
            entries.merge(live.stored().id(), live, Segment::newer);
        }

        synchronized void replace(LiveCredential live) {
            entries.computeIfPresent(live.stored().id(), (id, old) -> newer(old, live));
        }

        /** Entries only move forward: the same version opened again replaces, an older one never does. */
        private static LiveCredential newer(LiveCredential old, LiveCredential candidate) {
            return candidate.stored().version() >= old.stored().version() ? candidate : old;
        }

        synchronized void remove(CredentialId id) {
            entries.remove(id);
        }

        synchronized void removeVersion(CredentialId id, long version) {
            entries.computeIfPresent(id, (key, live) -> live.stored().version() == version ? null : live);
        }

        synchronized void clear() {
            entries.clear();
        }

        synchronized int size() {
            return entries.size();
        }
    }
}
