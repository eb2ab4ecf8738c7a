package dev.tokenkeeper.store.supabase;

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
record TestContext(Map<String, String> settings, Path stateDirectory, Clock clock) implements PluginContext {

    TestContext {
        settings = Map.copyOf(settings);
    }

    /** A context pointing at {@code supabase} with its service key. */
    static TestContext of(FakePostgrest supabase, Path stateDirectory, Clock clock) {
        return new TestContext(supabase.settings(), stateDirectory, clock);
    }

    /** @return a copy with one setting added or replaced */
    TestContext with(String name, String value) {
        Map<String, String> copy = new HashMap<>(settings);
        copy.put(name, value);
        return new TestContext(copy, stateDirectory, clock);
    }

    /** @return a copy without one setting */
    TestContext without(String name) {
        Map<String, String> copy = new HashMap<>(settings);
        copy.remove(name);
        return new TestContext(copy, stateDirectory, clock);
    }

    @Override
    public Optional<String> setting(String name) {
        return Optional.ofNullable(settings.get(name)).filter(value -> !value.isBlank());
    }
}
