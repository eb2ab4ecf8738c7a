package dev.tokenkeeper.bench.rig;

import dev.tokenkeeper.bench.startup.DaemonState;
import dev.tokenkeeper.daemon.assembly.Assembly;
import dev.tokenkeeper.daemon.assembly.Inputs;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.config.Settings;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The daemon in this process, built by its own {@link Assembly} (every part {@code bin/tokenkeeper
 * run} has, the control API on a free loopback port included) on a state folder and master key file
 * of its own, with the Gazelle provider pointed at a local imitation. Built, not started: a
 * benchmark pre-fills its store with rows sealed by {@link Assembly#sealer()}, then starts it.
 */
public final class InProcessDaemon {

    private InProcessDaemon() {
    }

    /**
     * @param state    the state folder to create (its master key file goes beside it)
     * @param tokenUrl the imitation upstream
     * @param settings more settings (they win over the bench's)
     * @param inputs   the clock and the plugins: {@link Inputs#found()} or a store given as an object
     * @return the built assembly, to start
     * @throws IOException when the state folder cannot be written
     */
    public static Assembly build(Path state, URI tokenUrl, Map<String, String> settings, Inputs inputs) throws IOException {
        Map<String, String> environment = new HashMap<>(DaemonState.prepare(state, 0).environment(0, tokenUrl));
        environment.putAll(settings);
        return Assembly.build(DaemonConfig.from(Settings.of(environment, Map.of())), inputs);
    }
}
