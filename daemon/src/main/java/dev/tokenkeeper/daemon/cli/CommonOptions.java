package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.config.DaemonConfig;
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

    /** @return the environment with these flags laid over it */
    Settings settings() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("TOKENKEEPER_STATE_DIR", stateDir);
        overrides.put("TOKENKEEPER_LISTEN", listen);
        overrides.put("TOKENKEEPER_ADMIN_TOKEN_FILE", adminTokenFile);
        overrides.put("TOKENKEEPER_PLUGIN_DIR", pluginDir);
        return Settings.of(System.getenv(), overrides);
    }

    /** @return the daemon configuration these settings give */
    DaemonConfig config() {
        return DaemonConfig.from(settings());
    }
}
