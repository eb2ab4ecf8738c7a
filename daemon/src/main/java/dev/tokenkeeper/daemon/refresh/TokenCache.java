package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The opened, current credentials in memory. Plain in memory on purpose: the process already holds
 * the master key, so an attacker who can read its memory can read everything anyway; keeping the
 * secret opened saves a store read and an AES-GCM open on every token read. Entries only move
 * forward: an older version never replaces a newer one.
 */
public final class TokenCache {

    private final ConcurrentHashMap<CredentialId, LiveCredential> entries = new ConcurrentHashMap<>();

    /**
     * @param id the credential
     * @return the cached credential, if any
     */
    public Optional<LiveCredential> get(CredentialId id) {
        return Optional.ofNullable(entries.get(id));
    }

    /**
     * Stores the credential unless a newer version is already cached.
     *
     * @param live the credential
     */
    public void put(LiveCredential live) {
        entries.merge(live.stored().id(), live,
                (old, candidate) -> candidate.stored().version() >= old.stored().version() ? candidate : old);
    }

    /** @param id the credential to forget */
    public void remove(CredentialId id) {
        entries.remove(id);
    }
}
