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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real SQLite store, counting the credential reads of the store's core: rows read one at a time
 * ({@code get}) and whole-table reads ({@code list}), the latter split by who asked: the scheduler's
 * planning (package {@code dev.tokenkeeper.daemon.schedule}) or any other part. Capabilities are the
 * SQLite store's own, uncounted.
 */
final class CountingStore implements TokenStore {

    private static final String PLANNER = "dev.tokenkeeper.daemon.schedule.";

    private final TokenStore sqlite = ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
            .filter(found -> found.id().equals("sqlite")).findFirst()
            .orElseThrow(() -> new IllegalStateException("store-sqlite is not on the test class path"));
    private final AtomicInteger gets = new AtomicInteger();
    private final AtomicInteger plannerLists = new AtomicInteger();
    private final AtomicInteger otherLists = new AtomicInteger();

    /** @return rows read one at a time so far */
    int gets() {
        return gets.get();
    }

    /** @return whole-table reads the scheduler's planning made */
    int plannerLists() {
        return plannerLists.get();
    }

    /** @return whole-table reads any other part made */
    int otherLists() {
        return otherLists.get();
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
    public void open(PluginContext context) {
        sqlite.open(context);
    }

    @Override
    public Optional<StoredCredential> get(CredentialId id) {
        gets.incrementAndGet();
        return sqlite.get(id);
    }

    @Override
    public List<StoredCredential> list() {
        boolean planner = StackWalker.getInstance().walk(frames -> frames.anyMatch(
                frame -> frame.getClassName().startsWith(PLANNER)));
        (planner ? plannerLists : otherLists).incrementAndGet();
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
