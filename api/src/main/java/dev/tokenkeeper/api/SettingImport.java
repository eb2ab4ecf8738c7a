package dev.tokenkeeper.api;

import java.util.Objects;
import java.util.function.Function;

/**
 * A setting whose value the daemon imports at start as the credential {@code <provider>:default},
 * when that credential does not exist yet ({@link TokenProvider#settingImport}): how deployments
 * older than tokenkeeper handed their secret over. The setting should also be a secret setting, so
 * it may come from a file.
 *
 * @param setting the setting's environment name
 * @param input   turns the setting's value into the secret input the provider imports
 */
public record SettingImport(String setting, Function<String, SecretInput> input) {

    /** Rejects nulls. */
    public SettingImport {
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(input, "input");
    }
}
