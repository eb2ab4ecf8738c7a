package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.config.InstalledService;
import dev.tokenkeeper.daemon.config.Settings;
import picocli.CommandLine.Option;

import java.util.HashMap;
import java.util.Map;

/** Flags every command takes; each overrides the environment variable it names. */
public final class CommonOptions {

    // On every subcommand through this mixin; a usage-help option also stops required parameters
    // from being demanded first.
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Option(names = "--state-dir", description = "state folder (TOKENKEEPER_STATE_DIR)")
    String stateDir;

    @Option(names = "--listen", description = "control API address host:port (TOKENKEEPER_LISTEN)")
    String listen;

    @Option(names = "--admin-token-file", description = "bearer token file (TOKENKEEPER_ADMIN_TOKEN_FILE)")
    String adminTokenFile;

    @Option(names = "--plugin-dir", description = "extra provider and store jars (TOKENKEEPER_PLUGIN_DIR)")
    String pluginDir;

    /**
     * @return what a client of the daemon uses: the environment with these flags laid over it, and
     *         the installed service's settings, state and admin token where the user has none
     */
    Settings settings() {
        return InstalledService.DEBIAN.clientSettings(System.getenv(), overrides());
    }

    /** @return what {@code tokenkeeper run} uses: the environment with these flags laid over it */
    Settings daemonSettings() {
        return Settings.of(System.getenv(), overrides());
    }

    private Map<String, String> overrides() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("TOKENKEEPER_STATE_DIR", stateDir);
        overrides.put("TOKENKEEPER_LISTEN", listen);
        overrides.put("TOKENKEEPER_ADMIN_TOKEN_FILE", adminTokenFile);
        overrides.put("TOKENKEEPER_PLUGIN_DIR", pluginDir);
        return overrides;
    }

    /** @return the daemon configuration these settings give */
    DaemonConfig config() {
        return DaemonConfig.from(settings());
    }
}
