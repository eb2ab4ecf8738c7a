package dev.tokenkeeper.inprocess;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real SQLite store, counting the credential reads of the store's core: rows read one at a time
 * ({@code get}) and whole-table reads ({@code list}), the latter split by who asked: the scheduler's
 * planning (package {@code dev.tokenkeeper.daemon.schedule}) or any other part. Capabilities are the
 * SQLite store's own, uncounted.
 */
final class CountingStore extends SqliteStoreWrapper {

    private static final String PLANNER = "dev.tokenkeeper.daemon.schedule.";

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
