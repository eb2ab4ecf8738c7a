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

    /**
     * Whether every change made through this instance is announced to its own listener too, each
     * change once and in order. A daemon tells its own writes from other daemons' by counting them off
     * against the notices that follow; on a feed that skips its own changes, or may fold two of them into
     * one notice (a poll), that count would take the next notice of another daemon's change for its own,
     * so such a feed answers false, and each notice then counts as another daemon's until the row is
     * read again.
     *
     * @return true only when each own change is announced once; false (the default) otherwise
     */
    default boolean announcesOwnChanges() {
        return false;
    }
}
