package dev.tokenkeeper.daemon.legacy;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.LegacyRow;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.SettingsRow;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.plugin.Discovered;
import dev.tokenkeeper.daemon.plugin.Plugins;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A legacy {@code system_settings} row a provider's setting asks for ({@link TokenProvider#legacyRow}),
 * and the credential it is kept in step with.
 *
 * @param id  the credential
 * @param row the row's setting, key and shape
 */
public record WantedRow(CredentialId id, LegacyRow row) {

    /**
     * @param settings the daemon's settings
     * @param plugins  the providers found
     * @return the rows the settings ask for: {@code true} for {@code <provider>:default},
     *         {@code <provider>:<account>} for another account, {@code false} or unset for none
     * @throws ConfigurationException when a setting names a credential of another provider
     */
    public static List<WantedRow> from(Settings settings, Plugins plugins) {
        List<WantedRow> wanted = new ArrayList<>();
        for (Discovered<TokenProvider> found : plugins.providers().values()) {
            String provider = found.plugin().id();
            found.plugin().legacyRow().ifPresent(row -> settings.get(row.setting())
                    .filter(value -> !value.equalsIgnoreCase("false"))
                    .ifPresent(value -> wanted.add(new WantedRow(credential(row.setting(), value, provider), row))));
        }
        return List.copyOf(wanted);
    }

    private static CredentialId credential(String setting, String value, String provider) {
        if (value.equalsIgnoreCase("true")) {
            return CredentialId.defaultFor(provider);
        }
        CredentialId id = CredentialId.parse(value);
        if (!id.provider().equals(provider)) {
            throw new ConfigurationException(setting + "=" + value + " names a credential of another provider: set it to"
                    + " true (for " + CredentialId.defaultFor(provider) + ") or to " + provider + ":<account>");
        }
        return id;
    }

    /**
     * @param credential a committed credential
     * @return whether the row holds its token: it is this row's credential, and active
     */
    public boolean matches(StoredCredential credential) {
        return credential.id().equals(id) && credential.status() == CredentialStatus.ACTIVE;
    }

    /**
     * @param credential a committed credential
     * @param opener     opens its secret
     * @return the row to write, when the credential {@link #matches} and its secret opens
     */
    public Optional<SettingsRow> of(StoredCredential credential, Function<StoredCredential, Optional<SecretMaterial>> opener) {
        if (!matches(credential)) {
            return Optional.empty();
        }
        return opener.apply(credential).map(secret -> new SettingsRow(row.key(), row.value().apply(credential, secret)));
    }
}
