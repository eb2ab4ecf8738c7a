package dev.tokenkeeper.api;

/**
 * Receives a store's change announcements (see {@link dev.tokenkeeper.api.store.ChangeFeed#watch}). Called on a
 * thread of the store's; an implementation returns quickly (it hands the work to a thread of its
 * own) and never throws.
 */
@FunctionalInterface
public interface ChangeListener {

    /**
     * Credentials changed in the store, possibly through another daemon.
     *
     * @param change which ones, or {@link StoreChange.Everything} when the store cannot tell
     */
    void changed(StoreChange change);
}
