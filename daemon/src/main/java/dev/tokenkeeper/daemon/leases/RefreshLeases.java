package dev.tokenkeeper.daemon.leases;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.Leases;
import org.tinylog.Logger;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The refresh leases of the daemon's store, or, for a store that offers none, what its only daemon
 * does: every lease is granted, and a refresh commits as a compare-and-set followed by its history
 * event. Two daemons on such a store may both refresh a credential; the compare-and-set keeps one.
 */
public final class RefreshLeases {

    private final TokenStore store;
    private final AtomicBoolean toldAlone = new AtomicBoolean();

    /** @param store the daemon's store */
    public RefreshLeases(TokenStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * @param id    the credential
     * @param owner this daemon's name
     * @param until when the lease runs out if not released
     * @return true when this daemon may refresh the credential now
     */
    public boolean tryLease(CredentialId id, String owner, Instant until) {
        return leases().map(leases -> leases.tryLease(id, owner, until)).orElse(true);
    }

    /**
     * @param id    the credential
     * @param owner the name passed to {@link #tryLease}
     */
    public void release(CredentialId id, String owner) {
        leases().ifPresent(leases -> leases.releaseLease(id, owner));
    }

    /**
     * @param updated         the refreshed credential, one version up
     * @param expectedVersion the version the refresh started from
     * @param event           its history event
     * @param owner           the lease holder
     * @return false when another writer changed the credential meanwhile (nothing is written)
     */
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner) {
        Optional<Leases> leases = leases();
        if (leases.isPresent()) {
            return leases.get().commitRefresh(updated, expectedVersion, event, owner);
        }
        if (!store.compareAndSet(updated, expectedVersion)) {
            return false;
        }
        try {
            store.appendHistory(event);
        } catch (StoreException e) {
            Logger.warn("the refresh of {} is committed, its history event is not ({})", updated.id(), e.getMessage());
        }
        return true;
    }

    /**
     * {@link #commitRefresh(StoredCredential, long, RefreshEvent, String)} that also writes when the
     * credential is next due, in the same step, where the store keeps its due queue.
     *
     * @param updated         the refreshed credential, one version up
     * @param expectedVersion the version the refresh started from
     * @param event           its history event
     * @param owner           the lease holder
     * @param nextDue         when it is next due (empty: kept out of claims)
     * @return false when another writer changed the credential meanwhile (nothing is written)
     */
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner,
                                 Optional<Instant> nextDue) {
        Optional<DueWork> due = store.capability(DueWork.class);
        return due.isPresent() ? due.get().commitRefresh(updated, expectedVersion, event, owner, nextDue)
                : commitRefresh(updated, expectedVersion, event, owner);
    }

    private Optional<Leases> leases() {
        Optional<Leases> leases = store.capability(Leases.class);
        if (leases.isEmpty() && toldAlone.compareAndSet(false, true)) {
            Logger.info("the {} store offers no refresh leases: this daemon refreshes as the store's only user",
                    store.id());
        }
        return leases;
    }
}
