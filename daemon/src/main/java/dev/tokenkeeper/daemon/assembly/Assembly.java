package dev.tokenkeeper.daemon.assembly;

import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.Tally;
import dev.tokenkeeper.daemon.access.ConsumerDirectory;
import dev.tokenkeeper.daemon.access.ConsumerRowUpgrade;
import dev.tokenkeeper.daemon.changes.ChangeFollower;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.StateDirectory;
import dev.tokenkeeper.daemon.console.ConsoleRoutes;
import dev.tokenkeeper.daemon.console.CookieCloudWay;
import dev.tokenkeeper.daemon.cookiecloud.CookieCloudLinks;
import dev.tokenkeeper.daemon.cookiecloud.UploadReceiver;
import dev.tokenkeeper.daemon.crypto.AccountSecretSeal;
import dev.tokenkeeper.daemon.crypto.ConsumerRowMac;
import dev.tokenkeeper.daemon.crypto.KeyConfigurationException;
import dev.tokenkeeper.daemon.crypto.LoadedKey;
import dev.tokenkeeper.daemon.crypto.MasterKeyLoader;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.folders.FolderModes;
import dev.tokenkeeper.daemon.http.AdminToken;
import dev.tokenkeeper.daemon.http.ApiRoutes;
import dev.tokenkeeper.daemon.http.BoundAddress;
import dev.tokenkeeper.daemon.http.ControlApi;
import dev.tokenkeeper.daemon.http.ControlApiSettings;
import dev.tokenkeeper.daemon.http.SignInRoutes;
import dev.tokenkeeper.daemon.http.CookieCloudRoutes;
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
import dev.tokenkeeper.daemon.refresh.CredentialPages;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import dev.tokenkeeper.daemon.refresh.ProviderGate;
import dev.tokenkeeper.daemon.refresh.LeaseOwners;
import dev.tokenkeeper.daemon.refresh.RefreshIntents;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.ReportLimit;
import dev.tokenkeeper.daemon.refresh.TokenCache;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import dev.tokenkeeper.daemon.signin.SignInSettings;
import dev.tokenkeeper.daemon.signin.SignInSecrets;
import dev.tokenkeeper.daemon.signin.SignIns;
import dev.tokenkeeper.daemon.sink.FileSink;
import dev.tokenkeeper.daemon.spool.SpooledStore;
import dev.tokenkeeper.daemon.tls.TlsConnector;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The daemon's parts, built in order by {@link #build}, started in order by {@link #start()}, and
 * owned: {@link #close()} stops everything that started, in reverse order. A start that fails
 * half-way closes the parts that had started before the exception leaves {@link #start()}.
 * <p>
 * Building reads the settings, the key and the admin token and prepares the state folder; it starts
 * no thread, server, scheduler or store query. The parts, in start order: the store, crash recovery,
 * the setting imports, the scheduler, the change follower, the consumers, metrics, notifications,
 * the file sink, the legacy rows, the sign-in and the control API (with the bound-address file).
 */
public final class Assembly implements AutoCloseable {

    private static final Duration REFRESH_DRAIN = Duration.ofSeconds(30);
    private static final Duration BESIDE_WAIT = Duration.ofSeconds(60);

    private final DaemonConfig config;
    private final PartSettings settings;
    private final Clock clock;
    private final LoadedKey key;
    private final Plugins plugins;
    private final TokenStore store;
    private final SecretSealer sealer;
    private final RefreshPipeline pipeline;
    private final CredentialService credentials;
    private final RefreshScheduler scheduler;
    private final PrometheusMeterRegistry metrics;
    private final Notifications notifications;
    private final ControlApi api;
    /** The JVM metrics bound on a thread of their own while the parts before them start. */
    private final FutureTask<RefreshMetrics> metricsBound;
    /** The control API's server built on that thread after them, while the parts before it start. */
    private final FutureTask<Void> apiBuilt;
    private final List<Part> parts;
    private final StartedParts started = new StartedParts(this::stopRefreshing);

    private Assembly(DaemonConfig config, Inputs inputs) {
        this.config = config;
        this.clock = inputs.clock();
        Path state = config.stateDirectory();
        this.settings = PartSettings.from(config);
        prepareState(state);
        if (!config.listen().isLoopback() && !config.allowRemoteListen()) {
            throw new ConfigurationException("TOKENKEEPER_LISTEN=" + config.listen().host() + ":" + config.listen().port()
                    + " is not a loopback address: set TOKENKEEPER_ALLOW_REMOTE=true if other machines must reach the API");
        }
        this.plugins = plugins(config, inputs);
        PluginContext context = new DaemonPluginContext(config.settings(), state, clock);
        for (Discovered<TokenProvider> provider : plugins.providers().values()) {
            provider.plugin().configure(context);
        }
        Discovered<TokenStore> storeFound = plugins.stores().get(config.storeId());
        if (storeFound == null) {
            throw new ConfigurationException("TOKENKEEPER_STORE=" + config.storeId() + " is not installed: installed stores are "
                    + plugins.stores().keySet());
        }
        try {
            this.key = MasterKeyLoader.load(config.settings()::get, state);
        } catch (KeyConfigurationException e) {
            throw new ConfigurationException(e.getMessage());
        }
        AdminToken adminToken = AdminToken.loadOrCreate(config.adminTokenFile());
        // A refresh reads its row, waits at most a lease for the upstream's deadline, and writes within the store's
        // timeouts (the consumer patience bounds both): four times that, and never less than the default.
        Duration noticesKept = Collections.max(List.of(SpooledStore.NOTICES_KEPT,
                config.refreshPolicy().lease().plus(settings.consumerPatience()).multipliedBy(4)));
        this.store = new SpooledStore(storeFound.plugin(), state.resolve("spool"), settings.spoolRetry().toSeconds(), clock,
                noticesKept);
        this.sealer = new SecretSealer(key.keyring());
        TokenCache cache = new TokenCache(settings.tokenCacheSize());
        String owner = owner();
        this.pipeline = new RefreshPipeline(store, sealer, plugins::provider, config.refreshPolicy(), new SecureRandom(),
                clock, owner, cache);
        pipeline.limitUpstreamCalls(new ProviderGate(settings.providerConcurrency(), settings.providerRatePerSecond()));
        Optional<DueWork> dueWork = store.capability(DueWork.class);
        // On a due queue the claim's lease row records the work in flight: no note per refresh there.
        RefreshIntents intents = dueWork.isPresent() ? RefreshIntents.none() : RefreshIntents.in(state.resolve("inflight"));
        pipeline.recordIntents(intents);
        this.credentials = new CredentialService(store, sealer, pipeline, cache, clock);
        credentials.answerConsumersWithin(settings.consumerPatience());
        credentials.limitReports(ReportLimit.from(config.settings(), clock));
        this.scheduler = new RefreshScheduler(pipeline, store::list, settings.scheduling(), clock);
        if (inputs.ticksByHand()) {
            scheduler.tickByHand();
        }
        dueWork.ifPresent(due -> scheduler.planIn(due, owner, config.refreshPolicy().lease()));
        // Only a claim's refresh asks what changed since its claim read the row.
        pipeline.rememberChangesOnlyOf(scheduler::claimedHere);
        ConsumerDirectory consumers = new ConsumerDirectory(store, new ConsumerRowMac(sealer::keyring),
                new ConsumerRowUpgrade(state), clock, settings.authFailureDelay());
        ChangeFollower follower = new ChangeFollower(store, pipeline, scheduler).onConsumersChanged(consumers::reread)
                .replanAfterGaps(dueWork.isPresent()
                        // The store's plan needs no re-plan: whoever changed a row wrote its next due time.
                        ? () -> { }
                        : () -> store.list().forEach(scheduler::plan));
        AtomicBoolean storeAnnounces = new AtomicBoolean();
        this.metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        CredentialPages pages = new CredentialPages(store, CredentialPages.PAGE);
        // Its JVM binders (the platform MXBeans, a gauge each) were a fifth of building on the main thread.
        Optional<Tally> tally = store.capability(Tally.class);
        this.metricsBound = new FutureTask<>(() -> new RefreshMetrics(metrics, pages, tally, clock));
        this.notifications = Notifications.of(config.settings(), state, metrics, pages::forEach, clock,
                provider -> Renewal.forms(plugins, provider), pipeline::untilExpiry);
        Optional<FileSink> sink = FileSink.fromSettings(config.settings(), this::openLive, clock);
        SignInSettings signInSettings = SignInSettings.from(config.settings(), plugins.providers().entrySet().stream()
                .filter(entry -> entry.getValue().plugin().signIn().isPresent()).map(Map.Entry::getKey)
                .collect(Collectors.toSet()));
        SignIns signIns = new SignIns(signInSettings, new SignInSecrets(signInSettings.fromSettings(), store,
                new AccountSecretSeal(sealer), clock), plugins::provider, credentials, pipeline, notifications, state, clock);
        List<WantedRow> legacyRows = WantedRow.from(config.settings(), plugins);
        List<SettingsRowWriter> rowWriters = new ArrayList<>();
        this.api = new ControlApi(ApiRoutes.standard(credentials, scheduler, plugins, adminToken, metrics,
                        credentials.keyRotation(config.settings()::get, state), notifications, consumers)
                .with(new ConsoleRoutes(credentials, scheduler, plugins, adminToken, clock).ways(credential ->
                        Stream.concat(CookieCloudWay.advice(store, credential.id()).stream(),
                                signIns.advice(credential).stream()).toList()))
                .with(new SignInRoutes(signIns))
                .with(new CookieCloudRoutes(new CookieCloudLinks(store, new AccountSecretSeal(sealer), pipeline::provider,
                        clock), new UploadReceiver(credentials, pipeline, clock))),
                new ControlApiSettings(config.listen(), settings.access(), settings.tls().map(TlsConnector::new)));
        this.apiBuilt = new FutureTask<>(api::prepare, null);

        this.parts = List.of(
                new Part("store", () -> store.open(context), store),
                Part.startOnly("crash recovery", () -> dueWork.ifPresentOrElse(
                        due -> CrashRecovery.resumeLeased(LeaseOwners.record(state.resolve("lease-owners"), owner), due, pipeline),
                        () -> CrashRecovery.resume(intents, pipeline))),
                Part.startOnly("setting imports", () -> SettingImports.run(config.settings(), plugins, credentials)),
                new Part("scheduler", scheduler::start, scheduler),
                new Part("change follower", () -> storeAnnounces.set(follower.start()), follower),
                new Part("consumers", () -> consumers.start(storeAnnounces.get()), consumers),
                Part.startOnly("metrics", () -> {
                    RefreshMetrics refreshMetrics = awaitBeside(metricsBound, "the JVM metrics were not bound");
                    refreshMetrics.startAtZero(plugins.providers().keySet());
                    pipeline.addListener(refreshMetrics);
                }),
                new Part("notifications", () -> {
                    notifications.start();
                    pipeline.addListener(notifications);
                }, notifications),
                new Part("file sink", () -> sink.ifPresent(found -> {
                    pipeline.addListener(found);
                    found.writeEach(pages::forEach);
                    found.syncEvery(pages::forEach, settings.sinkSync());
                }), () -> sink.ifPresent(FileSink::close)),
                new Part("legacy rows", () -> {
                    if (!SettingsRowInStore.install(legacyRows, store, this::openSecret)) {
                        for (WantedRow row : legacyRows) {
                            SettingsRowWriter writer = SettingsRowWriter.of(row, config.settings(),
                                    stored -> openLive(stored).map(LiveCredential::secret));
                            rowWriters.add(writer);
                            writer.start();
                            pipeline.addListener(writer);
                        }
                    }
                }, () -> rowWriters.forEach(SettingsRowWriter::close)),
                new Part("sign-in", () -> {
                    pipeline.addListener(signIns);
                    signIns.start();
                }, signIns),
                new Part("control API", () -> {
                    awaitBeside(apiBuilt, "the control API's server was not built");
                    listen();
                }, () -> {
                    api.close();
                    BoundAddress.remove(state);
                }));
    }

    /**
     * Builds every part; nothing starts yet.
     *
     * @param config the configuration
     * @param inputs the clock and plugins given as objects
     * @return the assembly, to {@link #start()}
     * @throws ConfigurationException when a setting, the key or the store is wrong (the message says how to fix it)
     */
    public static Assembly build(DaemonConfig config, Inputs inputs) {
        return new Assembly(config, inputs);
    }

    /**
     * Starts every part in order. Meanwhile, on a thread of its own, the JVM metrics are bound and
     * then the control API's server (Javalin, its routes, Jetty's server object) is built; the
     * metrics part and the control API await theirs (at most 60 s each) before they start, and a
     * failed start awaits the thread before it returns.
     *
     * @return this
     * @throws RuntimeException when a part cannot start; the parts started before it are closed again
     */
    public Assembly start() {
        return start(UnaryOperator.identity());
    }

    /** @param seam wraps each part before it starts: a test makes the N-th fail */
    Assembly start(UnaryOperator<Part> seam) {
        // Neither needs a part: on the second core while the store opens and the parts before them start.
        Thread builder = new Thread(() -> {
            metricsBound.run();
            apiBuilt.run();
        }, "start-beside");
        builder.setDaemon(true);
        builder.start();
        try {
            started.start(parts, seam);
        } finally {
            // A start that failed before the control API leaves no thread of its own behind.
            awaitQuietly(builder);
        }
        Logger.info("tokenkeeper listening on {}; store {}; {}; master key from {}; scheduler {}",
                boundAddress(), store.id(), scheduler.planSummary(), key.source(),
                config.autoRefreshEnabled() ? "active (validation every " + scheduler.state().intervalMinutes() + " min)"
                        : "stopped");
        return this;
    }

    /** @return the parts' names in start order */
    List<String> partNames() {
        return parts.stream().map(Part::name).toList();
    }

    /** @return the parts started and not yet closed, in start order */
    List<String> startedParts() {
        return started.names();
    }

    /** @return the control API's port (0 on a Unix domain socket, or before the start) */
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

    /**
     * Runs what is due at the clock's time now (for inputs built with {@link Inputs#tickByHand()}):
     * the planned refreshes and retries (handed to the refresh workers), the validation sweep when
     * its interval has passed, and the notification check.
     *
     * @throws IllegalStateException when the scheduler ticks on its own
     */
    public void tick() {
        scheduler.tick();
        notifications.checkAll();
    }

    /** @return the credential operations */
    public CredentialService credentials() {
        return credentials;
    }

    /** @return the refresh pipeline */
    public RefreshPipeline pipeline() {
        return pipeline;
    }

    /** @return the refresh scheduler */
    public RefreshScheduler scheduler() {
        return scheduler;
    }

    /** @return the store the parts use (the configured one behind the spool) */
    public TokenStore store() {
        return store;
    }

    /** @return seals and opens secrets with the master key */
    public SecretSealer sealer() {
        return sealer;
    }

    /** @return the metrics registry {@code /metrics} scrapes */
    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    /** @return the providers and stores in use */
    public Plugins plugins() {
        return plugins;
    }

    /**
     * Stops scheduling and lets running refreshes finish (up to 30 s), so every part still hears of
     * what they commit; then closes every started part in reverse order: the control API (and the
     * bound-address file), legacy rows, the file sink, notifications, consumers, the change
     * follower, the scheduler, the store.
     */
    @Override
    public void close() {
        // Said here, not in stopRefreshing: a start that fails half-way prints its one error line only.
        Logger.info("shutting down: letting running refreshes finish");
        started.close();
        Logger.info("stopped");
    }

    private void stopRefreshing() {
        scheduler.close();
        if (!pipeline.closeAndAwaitIdle(REFRESH_DRAIN)) {
            Logger.warn("a refresh was still running after 30 s; stopping anyway");
        }
    }

    private static <T> T awaitBeside(FutureTask<T> task, String late) throws Exception {
        try {
            return task.get(BESIDE_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            throw new IllegalStateException(late + " within " + BESIDE_WAIT.toSeconds() + " s (is the machine overloaded?)", e);
        }
    }

    private static void awaitQuietly(Thread builder) {
        try {
            builder.join(BESIDE_WAIT.toMillis() * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void listen() {
        api.start();
        if (!config.listen().isLoopback() && settings.tls().isEmpty()) {
            Logger.warn("the control API listens on {} without TLS: bearer tokens cross the network in clear; set"
                    + " TOKENKEEPER_TLS_CERT_FILE and TOKENKEEPER_TLS_KEY_FILE", config.listen().host());
        }
        if (!config.listen().isLoopback()) {
            Logger.warn("the control API listens on {}, reachable from other machines; keep the admin token secret",
                    config.listen().host());
        }
        BoundAddress.writeLine(config.stateDirectory(), boundAddress());
    }

    private String boundAddress() {
        return config.listen().unixSocket().isPresent() ? config.listen().display()
                : config.listen().host() + ":" + api.port();
    }

    private Optional<LiveCredential> openLive(StoredCredential stored) {
        try {
            return Optional.of(pipeline.open(stored));
        } catch (UnsealException e) {
            return Optional.empty();
        }
    }

    private Optional<SecretMaterial> openSecret(StoredCredential stored) {
        try {
            return Optional.of(sealer.open(stored.id(), stored.secret()));
        } catch (UnsealException e) {
            return Optional.empty();
        }
    }

    private static Plugins plugins(DaemonConfig config, Inputs inputs) {
        Plugins found = inputs.findPlugins() ? PluginLoader.load(config.pluginDirectory())
                : new Plugins(Map.of(), Map.of(), List.of());
        found.problems().forEach(problem -> Logger.warn("plugin {} skipped: {}", problem.jar(), problem.reason()));
        return found.with(inputs.providers(), inputs.stores());
    }

    private static void prepareState(Path state) {
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
}
