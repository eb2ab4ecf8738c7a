package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.LegacyRoute;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.daemon.access.ConsumerDirectory;
import dev.tokenkeeper.daemon.config.ListenAddress;
import dev.tokenkeeper.daemon.folders.ServiceUser;
import dev.tokenkeeper.daemon.console.ConsoleRoutes;
import dev.tokenkeeper.daemon.notify.Notifications;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.refresh.CredentialNotFoundException;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.NoValidTokenException;
import dev.tokenkeeper.daemon.rekey.KeyRotation;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import dev.tokenkeeper.daemon.tls.TlsConnector;
import dev.tokenkeeper.daemon.unixsocket.SocketListener;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.tinylog.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.tokenkeeper.daemon.http.Requests.error;
import static dev.tokenkeeper.daemon.http.Requests.json;

/**
 * The control API: health, metrics, scheduler, providers, credentials and their tokens, plus the
 * routes older clients of a provider still call (its legacy routes). Every {@code /api/} route needs the admin bearer
 * token. Errors are {@code {"error": code, "message": text}}, never a stack trace.
 */
public final class ControlApi implements AutoCloseable {

    /** Largest request body accepted; cookie strings and token JSON are far smaller. */
    static final long MAX_BODY_BYTES = 256 * 1024;

    private final CredentialService credentials;
    private final RefreshScheduler scheduler;
    private final Plugins plugins;
    private final AdminToken adminToken;
    private final PrometheusMeterRegistry metrics;
    private final AccessPolicy access;
    private final KeyRotation keyRotation;
    private final Notifications notifications;
    private final Javalin app;
    private final BearerAuth bearerAuth;
    private final Path socket;
    private final Map<String, List<LegacyRoute>> legacyRoutes;
    /** Connections the kernel queues before the server accepts them (the listen backlog). */
    private static final int ACCEPT_QUEUE = 1024;

    /**
     * @param credentials the credential operations
     * @param scheduler   the refresh scheduler
     * @param plugins     providers and stores found
     * @param adminToken  the bearer token
     * @param metrics     the metrics registry
     * @param listen      where to listen
     */
    public ControlApi(CredentialService credentials, RefreshScheduler scheduler, Plugins plugins, AdminToken adminToken,
                      PrometheusMeterRegistry metrics, ListenAddress listen) {
        this(credentials, scheduler, plugins, adminToken, metrics, listen, null);
    }

    /**
     * @param credentials the credential operations
     * @param scheduler   the refresh scheduler
     * @param plugins     providers and stores found
     * @param adminToken  the bearer token
     * @param metrics     the metrics registry
     * @param listen      where to listen
     * @param keyRotation what {@code POST /api/v1/rekey} runs; null answers that route with 503
     */
    public ControlApi(CredentialService credentials, RefreshScheduler scheduler, Plugins plugins, AdminToken adminToken,
                      PrometheusMeterRegistry metrics, ListenAddress listen, KeyRotation keyRotation) {
        this(credentials, scheduler, plugins, adminToken, metrics, listen, keyRotation, null,
                AccessPolicy.of(listen, Set.of(), false), null, null);
    }

    /**
     * @param credentials   the credential operations
     * @param scheduler     the refresh scheduler
     * @param plugins       providers and stores found
     * @param adminToken    the bearer token
     * @param metrics       the metrics registry
     * @param listen        where to listen
     * @param keyRotation   what {@code POST /api/v1/rekey} runs; null answers that route with 503
     * @param notifications what {@code /api/v1/notify/*} use; null answers those routes with 503
     * @param access        the Host check and whether {@code /metrics} is public
     * @param consumers     the consumers and their tokens; null accepts the admin token only
     * @param tls           HTTPS only with this certificate; null for plain HTTP
     */
    public ControlApi(CredentialService credentials, RefreshScheduler scheduler, Plugins plugins, AdminToken adminToken,
                      PrometheusMeterRegistry metrics, ListenAddress listen, KeyRotation keyRotation,
                      Notifications notifications, AccessPolicy access,
                      ConsumerDirectory consumers,
                      TlsConnector tls) {
        this.legacyRoutes = LegacyRoutes.of(plugins);
        this.bearerAuth = new BearerAuth(adminToken, consumers, metrics, LegacyRoutes.tokenPaths(legacyRoutes));
        this.notifications = notifications;
        this.access = access;
        this.keyRotation = keyRotation;
        this.credentials = credentials;
        this.scheduler = scheduler;
        this.plugins = plugins;
        this.adminToken = adminToken;
        this.metrics = metrics;
        this.socket = listen.unixSocket().orElse(null);
        if (socket != null) {
            SocketListener.prepare(socket);
        }
        this.app = socket != null ? Javalin.create(config -> {
                    configure(config);
                    config.jetty.addConnector((server, http) ->
                            SocketListener.connector(server, http, socket));
                }).start()
                : tls == null ? Javalin.create(config -> {
                    configure(config);
                    config.jetty.addConnector((server, http) -> plainConnector(server, http, listen));
                }).start()
                : Javalin.create(config -> {
                    configure(config);
                    config.jetty.addConnector((server, http) -> tls.connector(server, http, listen.host(), listen.port()));
                }).start();
        if (socket != null) {
            SocketListener.restrict(socket);
        }
        SlowClientGuard.install(app.jettyServer().server());
    }

    /**
     * Plain HTTP on a TCP address, with a listen backlog large enough for a burst of consumers: the
     * JDK's default of 50 overflows when hundreds connect at once, and the kernel then resets the
     * extra connections instead of queueing them.
     */
    private static ServerConnector plainConnector(Server server,
            HttpConfiguration http, ListenAddress listen) {
        var connector = new ServerConnector(server,
                new HttpConnectionFactory(http));
        connector.setHost(listen.host());
        connector.setPort(listen.port());
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        return connector;
    }

    /** @return the port actually bound (0 on a Unix domain socket) */
    public int port() {
        return socket != null ? 0 : app.port();
    }

    private void configure(JavalinConfig config) {
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        config.http.maxRequestSize = MAX_BODY_BYTES;
        config.http.defaultContentType = "application/json";
        // Jetty's per-connection header cache matches case-insensitively and would hand us the cached
        // spelling of an Authorization header instead of the bytes the client sent.
        config.jetty.modifyHttpConfiguration(http -> http.setHeaderCacheCaseSensitive(true));
        var routes = config.routes;
        CredentialRoutes credentialRoutes = new CredentialRoutes(credentials, scheduler, plugins);
        // Read every request body (capped by maxRequestSize) before answering: a server that answers
        // and closes with body bytes still unread makes the kernel reset the connection, and the reset
        // can destroy the answer before the client has read it ("header parser received no bytes").
        routes.before(ctx -> ctx.bodyAsBytes());
        routes.before(ctx -> access.refuseHost(ctx.header("Host")).ifPresent(why -> {
            throw new ApiException(421, "wrong_host", why);
        }));
        routes.before("/api/*", this::authorize);
        routes.get("/healthz", ctx -> json(ctx, Map.of("status", "ok")));
        routes.get(AdminToken.CHALLENGE_PATH, ctx -> {
            String nonce = Optional.ofNullable(ctx.queryParam("nonce")).filter(n -> n.matches("[A-Za-z0-9_-]{22,128}"))
                    .orElseThrow(() -> new ApiException(400, "bad_request", "nonce must be 22 to 128 base64url characters"));
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("proof", adminToken.proof(nonce));
            ServiceUser.uid().ifPresent(uid -> {
                answer.put("uid", uid);
                answer.put("uidProof", adminToken.proof(AdminToken.boundToUid(nonce, uid)));
            });
            json(ctx, answer);
        });
        routes.get("/metrics", ctx -> {
            if (!access.metricsPublic()) {
                authorize(ctx);
            }
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
        });

        SchedulerRoutes schedulerRoutes = new SchedulerRoutes(scheduler);
        for (RouteGroup group : List.of(schedulerRoutes, new ProviderRoutes(plugins), credentialRoutes,
                new LegacyRoutes(legacyRoutes, credentials, credentialRoutes, schedulerRoutes),
                new ReportRoutes(credentials), new KeyRoutes(keyRotation),
                new NotifyRoutes(notifications), new ConsumerRoutes(bearerAuth.consumers()))) {
            group.register(routes);
        }
        new ConsoleRoutes(credentials, scheduler, plugins, adminToken, Clock.systemUTC()).register(routes);

        routes.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.code(), e.getMessage()));
        routes.exception(CredentialNotFoundException.class, (e, ctx) -> error(ctx, 404, "not_found", e.getMessage()));
        routes.exception(InvalidSecretException.class, (e, ctx) -> {
            // An operator's import that went wrong belongs in `journalctl -p warning`, not only in the CLI's output.
            Logger.warn("rejected secret for {} {}: {}", ctx.method(), ctx.path(), e.getMessage());
            error(ctx, 400, "invalid_secret", e.getMessage());
        });
        routes.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, "bad_request", e.getMessage()));
        routes.exception(NoValidTokenException.class, (e, ctx) ->
                error(ctx, e.needsHuman() ? 409 : 503, e.needsHuman() ? "requires_configuration" : "unavailable", e.getMessage()));
        routes.exception(StoreException.class, (e, ctx) ->
                error(ctx, 503, e instanceof StoreUnavailableException ? "store_unavailable" : "store_error",
                        e.getMessage()));
        routes.exception(HttpResponseException.class, (e, ctx) ->
                error(ctx, e.getStatus(), e.getStatus() == 413 ? "too_large" : "http_" + e.getStatus(),
                        e.getStatus() == 413 ? "request body too large: at most " + MAX_BODY_BYTES + " bytes" : e.getMessage()));
        routes.exception(Exception.class, (e, ctx) -> {
            Logger.error("{} {} failed: {}", ctx.method(), ctx.path(), e.toString());
            error(ctx, 500, "internal", "internal error; the daemon log has the details");
        });
        routes.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(ctx, 404, "not_found", "no such route: " + ctx.method() + " " + ctx.path());
            }
        });
        routes.error(405, ctx -> error(ctx, 405, "method_not_allowed", "method not allowed on " + ctx.path()));
    }

    private void authorize(Context ctx) {
        bearerAuth.authorize(ctx);
    }

    @Override
    public void close() {
        app.stop();
        if (socket != null) {
            SocketListener.remove(socket);
        }
    }
}
