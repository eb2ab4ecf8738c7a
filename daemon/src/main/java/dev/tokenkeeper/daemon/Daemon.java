package dev.tokenkeeper.daemon;

import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.daemon.access.ConsumerDirectory;
import dev.tokenkeeper.daemon.access.ConsumerRowUpgrade;
import dev.tokenkeeper.daemon.changes.ChangeFollower;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.StateDirectory;
import dev.tokenkeeper.daemon.crypto.ConsumerRowMac;
import dev.tokenkeeper.daemon.crypto.KeyConfigurationException;
import dev.tokenkeeper.daemon.crypto.LoadedKey;
import dev.tokenkeeper.daemon.crypto.MasterKeyLoader;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.folders.FolderModes;
import dev.tokenkeeper.daemon.http.AccessPolicy;
import dev.tokenkeeper.daemon.http.AdminToken;
import dev.tokenkeeper.daemon.http.BoundAddress;
import dev.tokenkeeper.daemon.http.ControlApi;
import dev.tokenkeeper.daemon.legacy.SettingImports;
import dev.tokenkeeper.daemon.legacy.SettingsRowInStore;
import dev.tokenkeeper.daemon.legacy.SettingsRowWriter;
import dev.tokenkeeper.daemon.legacy.WantedRow;
import dev.tokenkeeper.daemon.metrics.RefreshMetrics;
import dev.tokenkeeper.daemon.notify.Notifications;
import dev.tokenkeeper.daemon.plugin.Discovered;
import dev.tokenkeeper.daemon.plugin.PluginLoader;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.plugin.Renewal;
import dev.tokenkeeper.daemon.recovery.CrashRecovery;
import dev.tokenkeeper.daemon.refresh.Backoff;
import dev.tokenkeeper.daemon.refresh.ConsumerPatience;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.ProviderGate;
import dev.tokenkeeper.daemon.refresh.RefreshIntents;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshPlanner;
import dev.tokenkeeper.daemon.refresh.ReportLimit;
import dev.tokenkeeper.daemon.refresh.TokenCache;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import dev.tokenkeeper.daemon.sink.FileSink;
import dev.tokenkeeper.daemon.spool.SpooledStore;
import dev.tokenkeeper.daemon.tls.TlsConnector;
import dev.tokenkeeper.daemon.tls.TlsSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.quartz.SchedulerException;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;


/**
 * A running tokenkeeper: plugins found, store open, key loaded, scheduler and control API up.
 * {@link #close()} shuts it down in order: stop scheduling and let running refreshes finish, stop
 * the API, close the store.
 */
public final class Daemon implements AutoCloseable {

    private final TokenStore store;
    private final RefreshScheduler scheduler;
    private final ControlApi api;
    private final CredentialService credentials;
    private final RefreshPipeline pipeline;
    private final Path state;
    private Notifications notifications;

    private Daemon(TokenStore store, RefreshScheduler scheduler, ControlApi api, CredentialService credentials,
                   RefreshPipeline pipeline, Path state) {
        this.state = state;
        this.store = store;
        this.scheduler = scheduler;
        this.api = api;
        this.credentials = credentials;
        this.pipeline = pipeline;
    }

    /**
     * Starts everything.
     *
     * @param config the configuration
     * @return the running daemon
     * @throws ConfigurationException when a setting, the key or the store is wrong (message says how to fix it)
     */
    public static Daemon start(DaemonConfig config) {
        Clock clock = Clock.systemUTC();
        Path state = config.stateDirectory();
        boolean newState = ConsumerRowUpgrade.isNewStateFolder(state);
        StateDirectory.create(state);
        if (newState) {
            ConsumerRowUpgrade.markNothingToUpgrade(state);
        }
        FolderModes.checkState(state);
        if (System.getProperty("org.sqlite.tmpdir") == null) {
            // Under systemd's sandbox /tmp may be private or read-only; the state folder is ours.
            System.setProperty("org.sqlite.tmpdir", state.toString());
        }
        if (!config.listen().isLoopback() && !config.allowRemoteListen()) {
            throw new ConfigurationException("TOKENKEEPER_LISTEN=" + config.listen().host() + ":" + config.listen().port()
                    + " is not a loopback address: set TOKENKEEPER_ALLOW_REMOTE=true if other machines must reach the API");
        }
        Plugins plugins = PluginLoader.load(config.pluginDirectory());
        plugins.problems().forEach(problem -> Logger.warn("plugin {} skipped: {}", problem.jar(), problem.reason()));
        PluginContext context = new DaemonPluginContext(config.settings(), state, clock);
        for (Discovered<TokenProvider> provider : plugins.providers().values()) {
            provider.plugin().configure(context);
        }
        Discovered<TokenStore> storeFound = plugins.stores().get(config.storeId());
        if (storeFound == null) {
            throw new ConfigurationException("TOKENKEEPER_STORE=" + config.storeId() + " is not installed: installed stores are "
                    + plugins.stores().keySet());
        }
        LoadedKey key;
        try {
            key = MasterKeyLoader.load(config.settings()::get, state);
        } catch (KeyConfigurationException e) {
            throw new ConfigurationException(e.getMessage());
        }
        AdminToken adminToken = AdminToken.loadOrCreate(config.adminTokenFile());
        TokenStore store = new SpooledStore(storeFound.plugin(), state.resolve("spool"),
                (long) config.settings().number("TOKENKEEPER_SPOOL_RETRY_SECONDS", null, 5, 1, 3600));
        store.open(context);
        try {
            SecretSealer sealer = new SecretSealer(key.keyring());
            SecureRandom random = new SecureRandom();
            TokenCache cache = new TokenCache();
            RefreshPipeline pipeline = new RefreshPipeline(store, sealer, plugins::provider,
                    new RefreshPlanner(config.refreshPolicy(), random),
                    new Backoff(config.refreshPolicy(), random), config.refreshPolicy(), clock, owner(), cache);
            pipeline.limitUpstreamCalls(new ProviderGate(
                    (int) config.settings().number("TOKENKEEPER_PROVIDER_CONCURRENCY", null, 8, 1, 1024),
                    config.settings().number("TOKENKEEPER_PROVIDER_RATE_PER_SECOND", null, 0, 0, 100_000)));
            RefreshIntents intents =
                    RefreshIntents.in(state.resolve("inflight"));
            pipeline.recordIntents(intents);
            CrashRecovery.resume(intents, pipeline);
            CredentialService credentials = new CredentialService(store, sealer, pipeline, cache, clock);
            credentials.answerConsumersWithin(ConsumerPatience.from(config.settings()));
            credentials.limitReports(ReportLimit.from(config.settings(), clock));
            SettingImports.run(config.settings(), plugins, credentials);
            RefreshScheduler scheduler = new RefreshScheduler(pipeline, store::list,
                    (int) config.settings().number("TOKENKEEPER_REFRESH_THREADS", null, 4, 1, 64),
                    config.checkInterval(), config.autoRefreshEnabled(),
                    Duration.ofMillis((long) config.settings().number("TOKENKEEPER_SCHEDULER_TICK_MILLIS", null, 200, 10, 60_000)),
                    clock);
            ConsumerDirectory consumers = new ConsumerDirectory(store, new ConsumerRowMac(sealer::keyring),
                    new ConsumerRowUpgrade(state), clock,
                    Duration.ofMillis((long) config.settings().number("TOKENKEEPER_AUTH_FAILURE_DELAY_MILLIS", null, 200, 0, 10_000)));
            consumers.start(new ChangeFollower(store, pipeline, scheduler)
                    .onConsumersChanged(consumers::reread).start());
            PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            RefreshMetrics refreshMetrics = new RefreshMetrics(metrics, store::list, clock);
            refreshMetrics.startAtZero(plugins.providers().keySet());
            pipeline.addListener(refreshMetrics);
            Notifications notifications = Notifications.start(config.settings(), state, metrics, store::list, clock,
                    provider -> Renewal.forms(plugins, provider));
            pipeline.addListener(notifications);
            FileSink.attach(config.settings(), pipeline, store::list, clock);
            List<WantedRow> legacyRows = WantedRow.from(config.settings(), plugins);
            boolean rowInStore = SettingsRowInStore.install(legacyRows, store, stored -> {
                try {
                    return Optional.of(sealer.open(stored.id(), stored.secret()));
                } catch (UnsealException e) {
                    return Optional.empty();
                }
            });
            if (!rowInStore) legacyRows.forEach(row -> pipeline.addListener(SettingsRowWriter.start(row, config.settings(), stored -> {
                try {
                    return Optional.of(pipeline.open(stored).secret());
                } catch (UnsealException e) {
                    return Optional.empty();
                }
            })));
            ControlApi api = new ControlApi(credentials, scheduler, plugins, adminToken, metrics, config.listen(),
                    credentials.keyRotation(config.settings()::get, state), notifications,
                    AccessPolicy.from(config.settings(), config.listen()), consumers,
                    TlsSettings.from(config.settings()).map(TlsConnector::new)
                            .orElse(null));
            if (!config.listen().isLoopback() && TlsSettings.from(config.settings()).isEmpty()) {
                Logger.warn("the control API listens on {} without TLS: bearer tokens cross the network in clear; set"
                        + " TOKENKEEPER_TLS_CERT_FILE and TOKENKEEPER_TLS_KEY_FILE", config.listen().host());
            }
            if (!config.listen().isLoopback()) {
                Logger.warn("the control API listens on {}, reachable from other machines; keep the admin token secret",
                        config.listen().host());
            }
            String bound = config.listen().unixSocket().isPresent() ? config.listen().display()
                    : config.listen().host() + ":" + api.port();
            BoundAddress.writeLine(state, bound);
            Logger.info("tokenkeeper listening on {}; store {}; {} credentials planned; master key from {}; scheduler {}",
                    bound, store.id(), scheduler.plannedAtStart(), key.source(),
                    config.autoRefreshEnabled() ? "active (validation every " + scheduler.state().intervalMinutes() + " min)" : "stopped");
            Daemon daemon = new Daemon(store, scheduler, api, credentials, pipeline, state);
            daemon.notifications = notifications;
            return daemon;
        } catch (RuntimeException | SchedulerException e) {
            store.close();
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("scheduler could not start: " + e.getMessage(), e);
        }
    }

    /** @return the control API's port */
    public int port() {
        return api.port();
    }

    /**
     * @param bound how long the scheduler may go without its tick
     * @return true when the scheduler's heartbeat is recent (what the systemd watchdog is fed from)
     */
    public boolean healthy(Duration bound) {
        return scheduler.alive(bound);
    }

    /** @return the credential operations, for in-process callers */
    public CredentialService credentials() {
        return credentials;
    }

    private static String owner() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        byte[] nonce = new byte[4];
        new SecureRandom().nextBytes(nonce);
        return host + "/" + ProcessHandle.current().pid() + "/" + HexFormat.of().formatHex(nonce);
    }

    @Override
    public void close() {
        Logger.info("shutting down: letting running refreshes finish");
        scheduler.close();
        if (!pipeline.closeAndAwaitIdle(Duration.ofSeconds(30))) {
            Logger.warn("a refresh was still running after 30 s; stopping anyway");
        }
        api.close();
        if (notifications != null) {
            notifications.close();
        }
        BoundAddress.remove(state);
        store.close();
        Logger.info("stopped");
    }

}
