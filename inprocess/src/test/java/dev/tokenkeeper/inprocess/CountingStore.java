package dev.tokenkeeper.inprocess;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.StoreCapability;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real SQLite store (or another store handed in), counting the credential reads of the store's
 * core: rows read one at a time ({@code get}), pages ({@code listPage}) and whole-table reads
 * ({@code list}), the latter split by who asked: the scheduler's planning (package
 * {@code dev.tokenkeeper.daemon.schedule}) or any other part. Capabilities are the wrapped store's own,
 * uncounted, except the due queue's reads of due times ({@link DueWork#nextDue}), one credential or a
 * page at a time.
 */
final class CountingStore extends SqliteStoreWrapper {

    private static final String PLANNER = "dev.tokenkeeper.daemon.schedule.";

    private final AtomicInteger gets = new AtomicInteger();
    private final AtomicInteger plannerLists = new AtomicInteger();
    private final AtomicInteger otherLists = new AtomicInteger();
    private final AtomicInteger pages = new AtomicInteger();
    private final AtomicInteger largestPage = new AtomicInteger();
    private final AtomicInteger dueReadsOne = new AtomicInteger();
    private final AtomicInteger dueReadsPage = new AtomicInteger();

    /** Counts the real SQLite store's reads. */
    CountingStore() {
    }

    /** @param wrapped the store whose reads are counted */
    CountingStore(TokenStore wrapped) {
        super(wrapped);
    }

    /** @return pages read so far */
    int pages() {
        return pages.get();
    }

    /** @return the most rows one page read asked for */
    int largestPage() {
        return largestPage.get();
    }

    /** @return due times read one credential at a time so far */
    int dueReadsOne() {
        return dueReadsOne.get();
    }

    /** @return due times read a page at a time so far */
    int dueReadsPage() {
        return dueReadsPage.get();
    }

    @Override
    public List<StoredCredential> listPage(Optional<CredentialId> after, int limit) {
        pages.incrementAndGet();
        largestPage.accumulateAndGet(limit, Math::max);
        return sqlite.listPage(after, limit);
    }

    @Override
    public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        Optional<C> offered = sqlite.capability(type);
        if (type != DueWork.class || offered.isEmpty()) {
            return offered;
        }
        DueWork due = (DueWork) offered.get();
        // Every DueWork call passed on, the reads of due times counted on the way.
        return Optional.of(type.cast(Proxy.newProxyInstance(DueWork.class.getClassLoader(), new Class<?>[] {DueWork.class},
                (proxy, method, arguments) -> {
                    if (method.getName().equals("nextDue")) {
                        (method.getParameterTypes()[0] == CredentialId.class ? dueReadsOne : dueReadsPage).incrementAndGet();
                    }
                    try {
                        return method.invoke(due, arguments);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                })));
    }

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
}
