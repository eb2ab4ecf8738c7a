package dev.tokenkeeper.api;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * What the daemon tells a provider or store when it configures it: settings, the state folder and
 * the clock. Handed over once, before any other call.
 */
public interface PluginContext {

    /**
     * Reads a setting by its environment-variable name, for example {@code GAZELLE_OAUTH_TOKEN_URL}.
     * Command-line flags and test overrides are already applied.
     *
     * @param name the variable name
     * @return the value, if set and not blank
     */
    Optional<String> setting(String name);

    /**
     * @param name         the variable name
     * @param defaultValue what to use when it is not set
     * @return the value, or the default
     */
    default String setting(String name, String defaultValue) {
        return setting(name).orElse(defaultValue);
    }

    /** @return the daemon's state folder (exists, writable, private to the daemon) */
    Path stateDirectory();

    /** @return the clock to read "now" from; tests may move it */
    Clock clock();

    /**
     * A setting's value as an error message may quote it: cut after 32 characters, and with
     * control characters shown as {@code ?}, so that a value cannot forge log lines. Never pass a
     * secret.
     *
     * @param value the value read
     * @return the value to quote
     */
    static String printable(String value) {
        String cut = value.length() > 32 ? value.substring(0, 32) + "..." : value;
        return cut.codePoints()
                .map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString();
    }
}
