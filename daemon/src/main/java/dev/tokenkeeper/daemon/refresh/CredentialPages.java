package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Walks every stored credential in id order a page at a time ({@link TokenStore#listPage}), so that
 * a part that looks at all of them (the metrics' gauges) holds one page in memory, not the table
 * (issue 26: the daemon's memory must not grow with the number of credentials).
 */
public final class CredentialPages {

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
    public void forEach(Consumer<StoredCredential> action) {
        Optional<CredentialId> after = Optional.empty();
        while (true) {
            List<StoredCredential> rows = store.listPage(after, page);
            rows.forEach(action);
            if (rows.size() < page) {
                return;
            }
            after = Optional.of(rows.get(rows.size() - 1).id());
        }
    }
}
