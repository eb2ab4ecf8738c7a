package dev.tokenkeeper.provider.gazelle;

import dev.tokenkeeper.api.PluginContext;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link PluginContext} for tests: fixed settings, a temporary state folder and a clock.
 *
 * @param settings       variable name to value; blank values count as unset, like the daemon's
 * @param stateDirectory the state folder (a {@code @TempDir})
 * @param clock          the clock
 */
public record TestContext(Map<String, String> settings, Path stateDirectory, Clock clock) implements PluginContext {

    /**
     * Copies the settings.
     *
     * @param settings       variable name to value
     * @param stateDirectory the state folder
     * @param clock          the clock
     */
    public TestContext {
        settings = Map.copyOf(settings);
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(clock, "clock");
    }

    /**
     * @param settings       the settings
     * @param stateDirectory the state folder
     * @return a context on the system clock
     */
    public static TestContext of(Map<String, String> settings, Path stateDirectory) {
        return new TestContext(settings, stateDirectory, Clock.systemUTC());
    }

    /**
     * @param name  a variable name
     * @param value its value
     * @return a copy with that setting added or replaced
     */
    public TestContext with(String name, String value) {
        Map<String, String> copy = new HashMap<>(settings);
        copy.put(name, value);
        return new TestContext(copy, stateDirectory, clock);
    }

    /**
     * @param name a variable name
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

    /** @return the setting names only; values may be secrets */
    @Override
    public String toString() {
        return "TestContext[settings=" + new java.util.TreeSet<>(settings.keySet()) + ", state=" + stateDirectory + "]";
    }
}
