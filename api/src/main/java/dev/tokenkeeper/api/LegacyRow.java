package dev.tokenkeeper.api;

import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The row of a key-value settings table ({@code system_settings}) that clients older than
 * tokenkeeper read a provider's token from, in the shape they read ({@link TokenProvider#legacyRow}).
 * The daemon keeps it in step with one credential when the setting {@link #setting()} asks for it:
 * {@code true} for {@code <provider>:default}, {@code <provider>:<account>} for another account,
 * {@code false} or unset for none. The store writes the row in the commit's transaction when it
 * can ({@link dev.tokenkeeper.api.store.SettingsRows#keepSettingsRows}); otherwise the daemon writes it after each commit.
 *
 * @param setting the setting that asks for the row
 * @param key     the row's key
 * @param value   the row's value, a JSON document, from the committed credential and its opened
 *                secret; it may hold the secret in clear (that is what the old clients read)
 */
public record LegacyRow(String setting, String key,
                        BiFunction<StoredCredential, SecretMaterial, String> value) {

    /** Rejects nulls. */
    public LegacyRow {
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** @return the setting and key only */
    @Override
    public String toString() {
        return "LegacyRow[" + setting + ", " + key + "]";
    }
}
