package dev.tokenkeeper.api.contract;

import dev.tokenkeeper.api.PluginContext;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link PluginContext} for tests: fixed settings, a state folder and a clock.
 *
 * @param settings       setting name to value
 * @param stateDirectory the state folder
 * @param clock          the clock
 */
public record TestContext(Map<String, String> settings, Path stateDirectory, Clock clock) implements PluginContext {

    /**
     * Copies the settings, so that the context cannot change under a plugin.
     *
     * @param settings       setting name to value
     * @param stateDirectory the state folder
     * @param clock          the clock
     */
    public TestContext {
        settings = Map.copyOf(settings);
    }

    /**
     * @param stateDirectory the state folder
     * @param clock          the clock
     * @return a context without settings
     */
    public static TestContext of(Path stateDirectory, Clock clock) {
        return new TestContext(Map.of(), stateDirectory, clock);
    }

    /**
     * @param settings       setting name to value
     * @param stateDirectory the state folder
     * @return a context on the system clock
     */
    public static TestContext of(Map<String, String> settings, Path stateDirectory) {
        return new TestContext(settings, stateDirectory, Clock.systemUTC());
    }

    /**
     * @param name  the setting's variable name
     * @param value its value
     * @return a copy with one setting added or replaced
     */
    public TestContext with(String name, String value) {
        Map<String, String> copy = new HashMap<>(settings);
        copy.put(name, value);
        return new TestContext(copy, stateDirectory, clock);
    }

    /**
     * @param name the setting's variable name
     * @return a copy without that setting
     */
    public TestContext without(String name) {
        Map<String, String> copy = new HashMap<>(settings);
        copy.remove(name);
        return new TestContext(copy, stateDirectory, clock);
    }

    @Override
    public Optional<String> setting(String name) {
        return Optional.ofNullable(settings.get(name)).filter(value -> !value.isBlank());
    }
}
