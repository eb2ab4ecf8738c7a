package dev.tokenkeeper.daemon.legacy;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.SettingsRow;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.daemon.config.Settings;
import org.tinylog.Logger;

import java.util.Optional;
import java.util.function.Function;

/**
 * The legacy Gazelle row written by the store itself, in the same transaction as each commit of
 * the credential, for stores that can ({@link TokenStore#keepSettingsRows}: the PostgreSQL store).
 * Other stores leave it to {@link GazelleSettingsRow}, which writes it through PostgREST after the
 * commit.
 */
public final class SettingsRowInStore {

    private SettingsRowInStore() {
    }

    /**
     * @param settings the daemon's settings ({@code TOKENKEEPER_SUPABASE_LEGACY_GAZELLE})
     * @param store    the store
     * @param opener   opens a credential's secret (without touching the store or the token cache)
     * @return true when the store writes the row, or none is wanted; false when the daemon must write it
     */
    public static boolean install(Settings settings, TokenStore store,
                                  Function<StoredCredential, Optional<SecretMaterial>> opener) {
        Optional<CredentialId> wanted = GazelleSettingsRow.wanted(settings);
        if (wanted.isEmpty()) {
            return true;
        }
        CredentialId id = wanted.get();
        boolean kept = store.keepSettingsRows(credential -> {
            if (!credential.id().equals(id) || credential.status() != CredentialStatus.ACTIVE) {
                return Optional.empty();
            }
            return opener.apply(credential).map(secret -> new SettingsRow(GazelleSettingsRow.KEY,
                    GazelleSettingsRow.legacyValue(credential, secret).toString()));
        });
        if (kept) {
            Logger.info("the {} store keeps the system_settings row '{}' in step with {}, in the same transaction",
                    store.id(), GazelleSettingsRow.KEY, id);
        }
        return kept;
    }
}
