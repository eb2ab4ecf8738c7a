package dev.tokenkeeper.bench.rig;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.api.store.StoreCapability;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store in a hash map, for the scheduling measurement only: it takes the store's cost out so that
 * what is left is Quartz, the pipeline's own work and the upstream call.
 */
public final class MemoryStore implements TokenStore, Leases, Purge {

    private final Map<CredentialId, StoredCredential> rows = new ConcurrentHashMap<>();
    private final Map<CredentialId, String> leases = new ConcurrentHashMap<>();

    @Override
    public String id() {
        return "memory";
    }

    /** Offers leases and a purge, like the real stores, so that the pipeline does the same work. */
    @Override
    public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        return StoreCapability.offeredBy(type, this);
    }

    @Override
    public void open(PluginContext context) {
    }

    /** A replaced row is gone from memory at once: nothing to purge. */
    @Override
    public PurgeResult purgeOverwritten() {
        return new PurgeResult.NothingToPurge("memory: a replaced row leaves no copy behind");
    }

    @Override
    public Optional<StoredCredential> get(CredentialId id) {
        return Optional.ofNullable(rows.get(id));
    }

    @Override
    public List<StoredCredential> list() {
        return new ArrayList<>(rows.values());
    }

    @Override
    public boolean insert(StoredCredential credential) {
        return rows.putIfAbsent(credential.id(), credential) == null;
    }

    @Override
    public boolean compareAndSet(StoredCredential updated, long expectedVersion) {
        boolean[] written = {false};
        rows.computeIfPresent(updated.id(), (id, old) -> {
            if (old.version() == expectedVersion) {
                written[0] = true;
                return updated;
            }
            return old;
        });
        return written[0];
    }

    @Override
    public boolean delete(CredentialId id) {
        return rows.remove(id) != null;
    }

    @Override
    public boolean tryLease(CredentialId id, String owner, Instant until) {
        return leases.putIfAbsent(id, owner) == null || owner.equals(leases.get(id));
    }

    @Override
    public void releaseLease(CredentialId id, String owner) {
        leases.remove(id, owner);
    }

    @Override
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner) {
        if (!compareAndSet(updated, expectedVersion)) {
            return false;
        }
        appendHistory(event);
        releaseLease(updated.id(), owner);
        return true;
    }

    @Override
    public void appendHistory(RefreshEvent event) {
    }

    @Override
    public List<RefreshEvent> history(CredentialId id, Instant since, int limit) {
        return List.of();
    }

    @Override
    public void close() {
    }
}
