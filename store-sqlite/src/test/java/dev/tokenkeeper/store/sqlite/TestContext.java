package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.PluginContext;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link PluginContext} for tests: fixed settings, a state folder and a clock.
 *
 * @param settings       setting name to value
 * @param stateDirectory the state folder
 * @param clock          the clock
 */
record TestContext(Map<String, String> settings, Path stateDirectory, Clock clock) implements PluginContext {

    TestContext {
        settings = Map.copyOf(settings);
    }

    /** A context without settings. */
    static TestContext of(Path stateDirectory, Clock clock) {
        return new TestContext(Map.of(), stateDirectory, clock);
    }

    @Override
    public Optional<String> setting(String name) {
        return Optional.ofNullable(settings.get(name)).filter(value -> !value.isBlank());
    }
}
