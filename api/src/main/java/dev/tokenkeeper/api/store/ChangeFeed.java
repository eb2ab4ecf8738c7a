package dev.tokenkeeper.api.store;

import dev.tokenkeeper.api.ChangeListener;

/**
 * Announces changes to the stored credentials and consumers, so that a daemon sharing the store
 * with others re-plans and re-reads a credential soon after another daemon imported, refreshed or
 * deleted it, rather than at its next validation sweep.
 *
 * <p>Without it the daemon's validation sweep and its consumer re-read (every few minutes) are how
 * it learns of other daemons' changes; a store only one daemon uses needs nothing more. A store
 * whose feed can be switched off by a setting offers this capability only while it is on (it may
 * then be asked only after {@link dev.tokenkeeper.api.TokenStore#open}).
 */
public non-sealed interface ChangeFeed extends StoreCapability {

    /**
     * Starts announcing changes. Changes made through this instance may be announced too. After a
     * gap in which changes may have been lost (a reconnection), the store announces
     * {@link dev.tokenkeeper.api.StoreChange.Everything}. Announcements stop at
     * {@link dev.tokenkeeper.api.TokenStore#close()}.
     *
     * <p>Called at most once, after {@link dev.tokenkeeper.api.TokenStore#open}.
     *
     * @param listener told about changes, on a thread of the store's
     * @throws IllegalStateException when called a second time
     */
    void watch(ChangeListener listener);
}
