package dev.tokenkeeper.api.store;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;

import java.time.Instant;

/**
 * Refresh leases, so that of several daemons sharing the store only one refreshes a credential at a
 * time. Must be atomic across processes, not read-then-write.
 *
 * <p>Without it the daemon behaves as the store's only user: it takes no lease, and commits a
 * refresh as a {@linkplain dev.tokenkeeper.api.TokenStore#compareAndSet compare-and-set} followed
 * by a history append. Two daemons on such a store may then both refresh a credential; the
 * compare-and-set keeps one result.
 */
public non-sealed interface Leases extends StoreCapability {

    /**
     * Takes the credential's refresh lease. Succeeds when no one holds the lease, when it has run
     * out, or when {@code owner} already holds it (extending it).
     *
     * @param id    the credential
     * @param owner a name unique to the calling daemon process
     * @param until when the lease runs out if not released
     * @return true when the caller now holds the lease; false also when the credential is gone
     */
    boolean tryLease(CredentialId id, String owner, Instant until);

    /**
     * Gives the lease back, if {@code owner} holds it; otherwise does nothing.
     *
     * @param id    the credential
     * @param owner the name passed to {@link #tryLease}
     */
    void releaseLease(CredentialId id, String owner);

    /**
     * Commits a refresh: compare-and-set the credential, append its history event and give the
     * lease back, in one durable step where the store can (each durable write costs a disk flush);
     * where it cannot, the history append and the release are best effort (a lease runs out by
     * itself).
     *
     * @param updated         the new state; its version must be {@code expectedVersion + 1}
     * @param expectedVersion the version the caller read
     * @param event           the history event of the refresh
     * @param owner           the lease holder
     * @return true when the compare-and-set succeeded; nothing is written otherwise
     * @throws IllegalArgumentException when {@code updated.version() != expectedVersion + 1}
     */
    boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner);
}
