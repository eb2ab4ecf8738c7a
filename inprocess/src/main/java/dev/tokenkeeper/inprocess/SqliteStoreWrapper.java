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
 * The real SQLite store (found as the daemon finds it, through {@link ServiceLoader}), or another
 * store handed in, behind a test's store: every core call and capability passed on, so that a subclass overrides only the calls it
 * counts or holds up.
 */
public abstract class SqliteStoreWrapper implements TokenStore {

    /** The wrapped store (SQLite unless a subclass handed another one to {@link #SqliteStoreWrapper(TokenStore)}). */
    protected final TokenStore sqlite;

    /** Wraps the real SQLite store. */
    protected SqliteStoreWrapper() {
        this(ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
                .filter(found -> found.id().equals("sqlite")).findFirst()
                .orElseThrow(() -> new IllegalStateException("store-sqlite is not on the test class path")));
    }

    /**
     * Wraps another store (the PostgreSQL one, for a test of the due queue in the store).
     *
     * @param wrapped the store every call is passed on to
     */
    protected SqliteStoreWrapper(TokenStore wrapped) {
        this.sqlite = wrapped;
    }

    @Override
    public String id() {
        return sqlite.id();
    }

    @Override
    public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        return sqlite.capability(type);
    }

    @Override
    public void warmUp() {
        sqlite.warmUp();
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
    public List<StoredCredential> listPage(Optional<CredentialId> after, int limit) {
        return sqlite.listPage(after, limit);
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
