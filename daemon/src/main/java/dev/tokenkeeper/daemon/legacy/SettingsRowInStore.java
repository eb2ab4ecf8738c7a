package dev.tokenkeeper.daemon.legacy;

import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.SettingsRow;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.SettingsRows;
import org.tinylog.Logger;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The legacy rows written by the store itself, in the same transaction as each commit of their
 * credential, for stores that can ({@link dev.tokenkeeper.api.store.SettingsRows}: the PostgreSQL store).
 * Other stores leave them to {@link SettingsRowWriter}, which writes them through PostgREST after the
 * commit.
 */
public final class SettingsRowInStore {

    private SettingsRowInStore() {
    }

    /**
     * @param wanted the rows asked for
     * @param store  the store
     * @param opener opens a credential's secret (without touching the store or the token cache)
     * @return true when the store writes the rows, or none is wanted; false when the daemon must write them
     */
    public static boolean install(List<WantedRow> wanted, TokenStore store,
                                  Function<StoredCredential, Optional<SecretMaterial>> opener) {
        if (wanted.isEmpty()) {
            return true;
        }
        Optional<SettingsRows> rows = store.capability(SettingsRows.class);
        if (rows.isEmpty()) {
            return false;
        }
        rows.get().keepSettingsRows(credential -> wanted.stream()
                .flatMap(row -> row.of(credential, opener).stream())
                .findFirst()
                .map(SettingsRow.class::cast));
        wanted.forEach(row -> Logger.info("the {} store keeps the system_settings row '{}' in step with {},"
                + " in the same transaction", store.id(), row.row().key(), row.id()));
        return true;
    }
}
