package dev.tokenkeeper.api.store;

import dev.tokenkeeper.api.SettingsRow;
import dev.tokenkeeper.api.StoredCredential;

import java.util.Optional;
import java.util.function.Function;

/**
 * Writes a legacy {@link SettingsRow} in the same transaction as every write of a credential, for
 * deployments whose older clients read a token from such a row (opt-in: the row holds a token in
 * clear).
 *
 * <p>Without it the daemon writes the rows its own way, after each commit.
 */
public non-sealed interface SettingsRows extends StoreCapability {

    /**
     * Asks the store to write, with every {@link dev.tokenkeeper.api.TokenStore#insert},
     * {@link dev.tokenkeeper.api.TokenStore#compareAndSet} and {@link Leases#commitRefresh} of a
     * credential, the row {@code rows} names for it. Called at most once, after
     * {@link dev.tokenkeeper.api.TokenStore#open}.
     *
     * @param rows for a credential about to be written, the row to write with it, or empty; called
     *             inside the store's transaction, so it must be quick and must not call the store
     * @throws dev.tokenkeeper.api.StoreException when the store cannot prepare the rows' table
     */
    void keepSettingsRows(Function<StoredCredential, Optional<SettingsRow>> rows);
}
