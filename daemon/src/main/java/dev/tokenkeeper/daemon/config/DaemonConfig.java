package dev.tokenkeeper.daemon.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The daemon's own settings, read once at start. Providers and stores read theirs from
 * {@link Settings} directly.
 *
 * @param settings           everything, for plugins
 * @param stateDirectory     where the database, keys and admin token live
 * @param listen             the control API address
 * @param allowRemoteListen  {@code TOKENKEEPER_ALLOW_REMOTE=true}: a non-loopback listen address is intended
 * @param storeId            which store to use ({@code sqlite})
 * @param pluginDirectory    extra provider and store jars
 * @param adminTokenFile     the bearer token file for the API
 * @param autoRefreshEnabled whether the scheduler starts active
 * @param checkInterval      the validation sweep interval
 * @param refreshPolicy      margins, jitter and retry delays
 */
public record DaemonConfig(Settings settings,
                           Path stateDirectory,
                           ListenAddress listen,
                           boolean allowRemoteListen,
                           String storeId,
                           Optional<Path> pluginDirectory,
                           Path adminTokenFile,
                           boolean autoRefreshEnabled,
                           Duration checkInterval,
                           RefreshPolicy refreshPolicy) {

    /**
     * @param settings the merged settings
     * @return the configuration
     * @throws ConfigurationException when a setting is wrong
     */
    public static DaemonConfig from(Settings settings) {
        Path state = StateDirectory.resolve(settings);
        ListenAddress listen = settings.get("TOKENKEEPER_LISTEN").map(ListenAddress::parse).orElse(ListenAddress.DEFAULT);
        Optional<Path> plugins = settings.get("TOKENKEEPER_PLUGIN_DIR").map(Path::of)
                .or(() -> Optional.ofNullable(System.getProperty("tokenkeeper.home"))
                        .map(home -> Path.of(home, "plugins")));
        Path adminToken = settings.get("TOKENKEEPER_ADMIN_TOKEN_FILE").map(Path::of)
                .or(() -> InstalledService.credentialAdminToken(settings))
                .orElse(state.resolve("admin-token"));
        double minutes = settings.number("TOKENKEEPER_CHECK_INTERVAL_MINUTES", OriginalSettings.CHECK_INTERVAL_MINUTES,
                30, 0.05, 7 * 24 * 60);
        return new DaemonConfig(settings, state, listen,
                settings.bool("TOKENKEEPER_ALLOW_REMOTE", null, false),
                settings.get("TOKENKEEPER_STORE").orElse("sqlite"),
                plugins, adminToken,
                settings.bool("TOKENKEEPER_AUTO_REFRESH_ENABLED", OriginalSettings.AUTO_REFRESH_ENABLED, true),
                Duration.ofMillis(Math.round(minutes * 60_000)),
                RefreshPolicy.from(settings));
    }
}
