package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Walks every stored credential in id order a page at a time ({@link TokenStore#listPage}), so that
 * a part that looks at all of them (the metrics' gauges, notifications, the file sink, the report)
 * holds one page in memory, not the table
 * (issue 26: the daemon's memory must not grow with the number of credentials).
 */
public final class CredentialPages implements Iterable<StoredCredential> {

    /** Rows per store read: large enough that a walk is few round trips, small enough to be a few hundred kB. */
    public static final int PAGE = 500;

    private final TokenStore store;
    private final int page;

    /**
     * @param store the store to walk
     * @param page  credentials per store read, at least 1
     */
    public CredentialPages(TokenStore store, int page) {
        this.store = store;
        this.page = TokenStore.pageLimit(page);
    }

    /**
     * @param action called with each credential, in id order
     * @throws dev.tokenkeeper.api.StoreException when a page cannot be read (the walk stops there)
     */
    @Override
    public void forEach(Consumer<? super StoredCredential> action) {
        for (StoredCredential credential : this) {
            action.accept(credential);
        }
    }

    /**
     * @return every credential in id order, each page read when the one before is used up
     *         ({@code hasNext} throws {@link dev.tokenkeeper.api.StoreException} when a page cannot be read)
     */
    @Override
    public Iterator<StoredCredential> iterator() {
        return new Iterator<>() {
            private Iterator<StoredCredential> rows = Collections.emptyIterator();
            private Optional<CredentialId> after = Optional.empty();
            private boolean more = true;

            @Override
            public boolean hasNext() {
                while (!rows.hasNext() && more) {
                    List<StoredCredential> read = store.listPage(after, page);
                    more = read.size() == page;
                    if (!read.isEmpty()) {
                        after = Optional.of(read.get(read.size() - 1).id());
                    }
                    rows = read.iterator();
                }
                return rows.hasNext();
            }

            @Override
            public StoredCredential next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("no credential after " + after.map(CredentialId::toString).orElse("none"));
                }
                return rows.next();
            }
        };
    }
}
