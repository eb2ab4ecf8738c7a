package dev.tokenkeeper.daemon.config;

import dev.tokenkeeper.api.PluginContext;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * What providers and stores are told: the daemon's settings, state folder and clock.
 *
 * @param settings       all settings
 * @param stateDirectory the state folder
 * @param clock          the clock
 */
public record DaemonPluginContext(Settings settings, Path stateDirectory, Clock clock) implements PluginContext {

    @Override
    public Optional<String> setting(String name) {
        return settings.get(name);
    }
}
