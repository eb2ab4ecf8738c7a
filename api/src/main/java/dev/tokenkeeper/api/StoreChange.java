package dev.tokenkeeper.api;

import java.util.Objects;
import java.util.Set;

/**
 * What a {@link TokenStore} announces to its {@link ChangeListener}: which credentials changed in
 * the backing storage (through this daemon or another one sharing it), or that it cannot tell.
 */
public sealed interface StoreChange {

    /**
     * These credentials were inserted, changed (a refresh, a status change, a re-import) or deleted.
     * The listener reads them again with {@link TokenStore#get}; a missing one was deleted.
     *
     * @param ids the changed credentials, never empty
     */
    record Credentials(Set<CredentialId> ids) implements StoreChange {

        /** Copies the set and rejects an empty one. */
        public Credentials {
            ids = Set.copyOf(Objects.requireNonNull(ids, "ids"));
            if (ids.isEmpty()) {
                throw new IllegalArgumentException("a change names at least one credential");
            }
        }
    }

    /**
     * Changes may have been missed (the store lost its notification connection, or it cannot say
     * which rows changed): the listener reads every credential again with {@link TokenStore#list}.
     */
    record Everything() implements StoreChange {
    }

    /**
     * Consumers were added or removed (see {@link dev.tokenkeeper.api.store.Consumers#insertConsumer}): a daemon that caches
     * them reads them again, so that a revoked consumer token stops working at once everywhere.
     */
    record Consumers() implements StoreChange {
    }
}
