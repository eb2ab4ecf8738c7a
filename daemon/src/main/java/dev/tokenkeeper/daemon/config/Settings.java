package dev.tokenkeeper.daemon.config;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every setting by its environment-variable name: the process environment, with command-line
 * flags laid over it. Blank values count as unset. A secret ({@link SecretSettings}) may instead
 * come from {@code X_FILE} or the systemd credential {@code x}, read on first use.
 */
public final class Settings {

    private final Map<String, String> values;
    private final Map<String, Optional<String>> secrets = new ConcurrentHashMap<>();

    private Settings(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /**
     * @param environment the process environment (or a test's)
     * @param overrides   values from command-line flags, which win
     * @return the merged settings
     */
    public static Settings of(Map<String, String> environment, Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>();
        environment.forEach((name, value) -> {
            if (name != null && value != null) {
                merged.put(name, value);
            }
        });
        overrides.forEach((name, value) -> {
            if (value != null) {
                merged.put(name, value);
            }
        });
        return new Settings(merged);
    }

    /** @return settings read from this process's environment only */
    public static Settings fromEnvironment() {
        return of(System.getenv(), Map.of());
    }

    /**
     * @param name the variable name
     * @return its trimmed value, if set and not blank; for a secret, else its file's or credential's
     * @throws ConfigurationException when a secret's sources conflict or its file cannot be used
     */
    public Optional<String> get(String name) {
        if (SecretSettings.hasFileForms(name)) {
            return secrets.computeIfAbsent(name, secret -> SecretSettings.resolve(secret, values));
        }
        String value = values.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    /**
     * Reads a setting that has an older alias (for example {@link OriginalSettings#AUTO_REFRESH_ENABLED} for
     * {@code TOKENKEEPER_AUTO_REFRESH_ENABLED}); the primary name wins.
     *
     * @param name  the primary name
     * @param alias the older name
     * @return the value, if either is set
     */
    public Optional<String> get(String name, String alias) {
        return alias == null ? get(name) : get(name).or(() -> get(alias));
    }

    /**
     * @param name         the variable name
     * @param alias        an older name, or null
     * @param defaultValue what to use when unset
     * @return the value as a boolean ({@code true/false/1/0/yes/no/on/off})
     * @throws ConfigurationException when the value is none of those
     */
    public boolean bool(String name, String alias, boolean defaultValue) {
        Optional<String> raw = get(name, alias);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        switch (raw.get().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on":
                return true;
            case "false", "0", "no", "off":
                return false;
            default:
                throw new ConfigurationException(name + "='" + shown(name, raw.get()) + "' is not a boolean: use true or false");
        }
    }

    /**
     * @param name         the variable name
     * @param alias        an older name, or null
     * @param defaultValue what to use when unset
     * @param min          the smallest allowed value
     * @param max          the largest allowed value
     * @return the value as a number
     * @throws ConfigurationException when the value is not a number in range
     */
    public double number(String name, String alias, double defaultValue, double min, double max) {
        Optional<String> raw = get(name, alias);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            double value = Double.parseDouble(raw.get());
            if (value < min || value > max || Double.isNaN(value)) {
                throw new ConfigurationException(name + "=" + shown(name, raw.get()) + " is out of range: use a number from "
                        + min + " to " + max);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ConfigurationException(name + "='" + shown(name, raw.get()) + "' is not a number");
        }
    }

    /** @return the value as a message may show it: a secret's never */
    private static String shown(String name, String value) {
        return SecretSettings.isSecret(name) ? "[redacted]" : value;
    }

    /** @return a view of every setting, for handing to plugins */
    public Map<String, String> asMap() {
        return values;
    }
}
