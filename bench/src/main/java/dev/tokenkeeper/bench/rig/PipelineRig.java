package dev.tokenkeeper.bench.rig;

import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.RefreshPolicy;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.metrics.RefreshMetrics;
import dev.tokenkeeper.daemon.refresh.Backoff;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.ProviderGate;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshPlanner;
import dev.tokenkeeper.daemon.refresh.TokenCache;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import dev.tokenkeeper.daemon.spool.SpooledStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The daemon's refresh machinery assembled in this process exactly as {@code Daemon.start} assembles
 * it (spooled store, sealer, planner, backoff, provider gate, credential service, metrics listener
 * and optionally the Quartz scheduler), with a real Gazelle provider pointed at a local
 * upstream. Only the control API and plugin discovery are left out.
 */
public final class PipelineRig implements AutoCloseable {

    private final TokenStore store;
    private final SecretSealer sealer;
    private final RefreshPipeline pipeline;
    private final CredentialService credentials;
    private final RefreshScheduler scheduler;

    private PipelineRig(TokenStore store, SecretSealer sealer, RefreshPipeline pipeline, CredentialService credentials,
                        RefreshScheduler scheduler) {
        this.store = store;
        this.sealer = sealer;
        this.pipeline = pipeline;
        this.credentials = credentials;
        this.scheduler = scheduler;
    }

    /**
     * The settings a benchmark daemon gets.
     *
     * @param state    the state folder
     * @param tokenUrl the imitation upstream
     * @param extra    more settings (they win)
     * @return the settings
     */
    public static Settings settings(Path state, URI tokenUrl, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER_STATE_DIR", state.toString());
        env.put("GAZELLE_OAUTH_TOKEN_URL", tokenUrl.toString());
        env.put("GAZELLE_CLIENT_ID", "bench-client");
        env.put("GAZELLE_CLIENT_SECRET", "bench-secret");
        env.putAll(extra);
        return Settings.of(env, Map.of());
    }

    /**
     * @param settings   the settings (see {@link #settings})
     * @param state      the state folder
     * @param backing    the store under the spool (opened here)
     * @param key        the master key
     * @param withScheduler whether to add the Quartz scheduler as the daemon does
     * @return the assembled rig
     * @throws Exception when Quartz cannot start
     */
    public static PipelineRig open(Settings settings, Path state, TokenStore backing, MasterKey key, boolean withScheduler)
            throws Exception {
        Clock clock = Clock.systemUTC();
        DaemonPluginContext context = new DaemonPluginContext(settings, state, clock);
        TokenProvider gazelle = Installed.provider("gazelle");
        gazelle.configure(context);
        TokenStore store = new SpooledStore(backing, state.resolve("spool"),
                (long) settings.number("TOKENKEEPER_SPOOL_RETRY_SECONDS", null, 5, 1, 3600));
        store.open(context);
        SecretSealer sealer = new SecretSealer(Keyring.of(key));
        SecureRandom random = new SecureRandom();
        RefreshPolicy policy = RefreshPolicy.from(settings);
        TokenCache cache = new TokenCache();
        RefreshPipeline pipeline = new RefreshPipeline(store, sealer,
                id -> gazelle.id().equals(id) ? Optional.<TokenProvider>of(gazelle) : Optional.empty(),
                new RefreshPlanner(policy, random), new Backoff(policy, random), policy, clock,
                "bench/" + ProcessHandle.current().pid(), cache);
        pipeline.limitUpstreamCalls(new ProviderGate(
                (int) settings.number("TOKENKEEPER_PROVIDER_CONCURRENCY", null, 8, 1, 1024),
                settings.number("TOKENKEEPER_PROVIDER_RATE_PER_SECOND", null, 0, 0, 100_000)));
        CredentialService credentials = new CredentialService(store, sealer, pipeline, cache, clock);
        RefreshScheduler scheduler = null;
        if (withScheduler) {
            scheduler = new RefreshScheduler(pipeline, store::list,
                    (int) settings.number("TOKENKEEPER_REFRESH_THREADS", null, 4, 1, 64),
                    Duration.ofMinutes(30), settings.bool("TOKENKEEPER_AUTO_REFRESH_ENABLED", null, true),
                    Duration.ofMillis((long) settings.number("TOKENKEEPER_SCHEDULER_TICK_MILLIS", null, 200, 10, 60_000)),
                    clock);
            scheduler.start();
        }
        pipeline.addListener(new RefreshMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), store::list, clock));
        return new PipelineRig(store, sealer, pipeline, credentials, scheduler);
    }

    /** @return the (spooled) store */
    public TokenStore store() {
        return store;
    }

    /** @return the sealer */
    public SecretSealer sealer() {
        return sealer;
    }

    /** @return the refresh pipeline */
    public RefreshPipeline pipeline() {
        return pipeline;
    }

    /** @return the credential service (token reads) */
    public CredentialService credentials() {
        return credentials;
    }

    /** @return the scheduler, if one was asked for */
    public Optional<RefreshScheduler> scheduler() {
        return Optional.ofNullable(scheduler);
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.close();
        }
        pipeline.closeAndAwaitIdle(Duration.ofSeconds(30));
        store.close();
    }
}
