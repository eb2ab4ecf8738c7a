package dev.tokenkeeper.inprocess;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.StoreCapability;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The real SQLite store (found as the daemon finds it, through {@link ServiceLoader}) behind a test's
 * store: every core call and capability passed on, so that a subclass overrides only the calls it
 * counts or holds up.
 */
public abstract class SqliteStoreWrapper implements TokenStore {

    /** The wrapped store. */
    protected final TokenStore sqlite = ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
            .filter(found -> found.id().equals("sqlite")).findFirst()
            .orElseThrow(() -> new IllegalStateException("store-sqlite is not on the test class path"));

    @Override
    public String id() {
        return sqlite.id();
    }

    @Override
    public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        return sqlite.capability(type);
    }

    @Override
    public void open(PluginContext context) {
        sqlite.open(context);
    }

    @Override
    public Optional<StoredCredential> get(CredentialId id) {
        return sqlite.get(id);
    }

    @Override
    public List<StoredCredential> list() {
        return sqlite.list();
    }

    @Override
    public boolean insert(StoredCredential credential) {
        return sqlite.insert(credential);
    }

    @Override
    public boolean compareAndSet(StoredCredential updated, long expectedVersion) {
        return sqlite.compareAndSet(updated, expectedVersion);
    }

    @Override
    public boolean delete(CredentialId id) {
        return sqlite.delete(id);
    }

    @Override
    public void appendHistory(RefreshEvent event) {
        sqlite.appendHistory(event);
    }

    @Override
    public List<RefreshEvent> history(CredentialId id, Instant since, int limit) {
        return sqlite.history(id, since, limit);
    }

    @Override
    public void close() {
        sqlite.close();
    }
}
