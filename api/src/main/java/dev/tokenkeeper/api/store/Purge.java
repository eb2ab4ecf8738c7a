package dev.tokenkeeper.api.store;

import dev.tokenkeeper.api.PurgeResult;

/**
 * Makes overwritten rows (old ciphertexts) leave the store's files, as far as the store can.
 *
 * <p>Without it a rekey ends with {@link PurgeResult.Failed}, naming the store, and keeps the old
 * key: a purge nobody confirmed must not let the old key be destroyed.
 */
public non-sealed interface Purge extends StoreCapability {

    /**
     * Purges overwritten rows and says what it did: called after every secret was re-sealed with a
     * new key, and the old key is destroyed only when the result
     * {@linkplain PurgeResult#allowsDestroyingOldKeys() allows it}. SQLite, for example, vacuums the
     * database file and truncates its write-ahead log (which would otherwise still hold old
     * ciphertexts).
     *
     * @return what was purged, that there is nothing to purge, that old rows are out of this store's
     *         reach, or that the purge failed (with what to do)
     * @throws dev.tokenkeeper.api.StoreException when the store cannot do it now (taken as {@link PurgeResult.Failed})
     */
    PurgeResult purgeOverwritten();
}
