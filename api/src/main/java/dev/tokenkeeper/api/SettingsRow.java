package dev.tokenkeeper.api;

import java.util.Objects;

/**
 * A row of a key-value settings table that some deployments read next to the store, such as the
 * legacy {@code system_settings} row {@code gazelle_oauth_token} older clients take their token
 * from; see {@link dev.tokenkeeper.api.store.SettingsRows#keepSettingsRows}. Its value may hold a secret in clear (that is
 * what those clients read), so {@link #toString()} shows the key only.
 *
 * @param key  the row's key
 * @param json the row's value, a JSON document
 */
public record SettingsRow(String key, String json) {

    /** Rejects nulls. */
    public SettingsRow {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(json, "json");
    }

    /** @return the key only */
    @Override
    public String toString() {
        return "SettingsRow[" + key + ", value hidden]";
    }
}
