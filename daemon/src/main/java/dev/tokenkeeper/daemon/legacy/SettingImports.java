package dev.tokenkeeper.daemon.legacy;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.SettingImport;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.plugin.Discovered;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import org.tinylog.Logger;

import java.util.Optional;

/**
 * Imports, at start, the secrets older deployments hand over in a setting
 * ({@link TokenProvider#settingImport}): each as {@code <provider>:default}, when that credential
 * does not exist yet.
 */
public final class SettingImports {

    private SettingImports() {
    }

    /**
     * @param settings    the daemon's settings
     * @param plugins     the providers found
     * @param credentials where the secrets are imported
     */
    public static void run(Settings settings, Plugins plugins, CredentialService credentials) {
        for (Discovered<TokenProvider> found : plugins.providers().values()) {
            TokenProvider provider = found.plugin();
            Optional<SettingImport> wanted = provider.settingImport();
            if (wanted.isEmpty()) {
                continue;
            }
            SettingImport setting = wanted.get();
            settings.get(setting.setting()).ifPresent(value -> {
                CredentialId id = CredentialId.defaultFor(provider.id());
                if (credentials.find(id).isPresent()) {
                    return;
                }
                try {
                    credentials.importSecret(id, setting.input().apply(value));
                } catch (InvalidSecretException e) {
                    Logger.error("{} could not be imported: {}", setting.setting(), e.getMessage());
                }
            });
        }
    }
}
