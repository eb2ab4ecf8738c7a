package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.daemon.config.ListenAddress;
import dev.tokenkeeper.daemon.folders.ServiceUser;
import dev.tokenkeeper.daemon.refresh.CredentialNotFoundException;
import dev.tokenkeeper.daemon.refresh.NoValidTokenException;
import dev.tokenkeeper.daemon.unixsocket.SocketListener;
import dev.tokenkeeper.daemon.tls.TlsConnector;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.tinylog.Logger;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

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

    private final ApiRoutes routes;
    private final ControlApiSettings settings;
    private final Path socket;
    private Javalin app;
    private volatile boolean listening;
    /** Connections the kernel queues before the server accepts them (the listen backlog). */
    private static final int ACCEPT_QUEUE = 1024;
    /** What {@code /healthz} answers. */
    private static final Map<String, String> HEALTHY = Map.of("status", "ok");

    /**
     * Builds the API; nothing listens until {@link #start()}.
     *
     * @param routes   what it serves
     * @param settings where and how it listens
     */
    public ControlApi(ApiRoutes routes, ControlApiSettings settings) {
        this.routes = routes;
        this.settings = settings;
        this.socket = settings.listen().unixSocket().orElse(null);
    }

    /**
     * Builds the server with its routes and handlers; binds nothing and starts no thread, so it may run
     * on another thread while the other parts start. {@link #start()} does it when it was not done.
     */
    public synchronized void prepare() {
        if (app != null) {
            return;
        }
        JettyMemory.answerWithoutJmx();
        ListenAddress listen = settings.listen();
        Javalin built = Javalin.create(config -> {
            configure(config);
            config.jetty.addConnector((server, http) -> socket != null ? SocketListener.connector(server, http, socket)
                    : settings.tls().map(tls -> tls.connector(server, http, listen.host(), listen.port()))
                    .orElseGet(() -> plainConnector(server, http, listen)));
        });
        // Jetty's server object (thread pool not started, MIME table, handlers): made here, not in app.start().
        built.jettyServer().server();
        // Javalin's servlet (made lazily by app.start(), on the thread that starts the parts): made here too.
        built.javalinServlet();
        // The JSON writer every answer uses, with its serializer for /healthz's: the first request made them.
        try {
            Json.MAPPER.writeValueAsString(HEALTHY);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the answer of /healthz", e);
        }
        app = built;
    }

    /** Binds the address and starts answering. */
    public synchronized void start() {
        if (socket != null) {
            SocketListener.prepare(socket);
        }
        prepare();
        try {
            app.start();
            listening = true;
        } catch (RuntimeException e) {
            app.stop();
            throw e;
        }
        settings.tls().ifPresent(TlsConnector::start);
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
        return socket != null || !listening ? 0 : app.port();
    }

    private void configure(JavalinConfig config) {
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        // Javalin's watcher is a thread that sleeps 5 s to say an app built but not started was never
        // started: a start that fails after this part is built (the assembly closes it) keeps it 5 s.
        config.startup.startupWatcherEnabled = false;
        config.http.maxRequestSize = MAX_BODY_BYTES;
        config.http.defaultContentType = "application/json";
        // Jetty's per-connection header cache matches case-insensitively and would hand us the cached
        // spelling of an Authorization header instead of the bytes the client sent.
        config.jetty.modifyHttpConfiguration(http -> http.setHeaderCacheCaseSensitive(true));
        config.jetty.modifyServer(server -> server.setErrorHandler(new MalformedRequestAnswer()));
        var routes = config.routes;
        AdminToken adminToken = this.routes.adminToken();
        // Read every request body (capped by maxRequestSize) before answering: a server that answers
        // and closes with body bytes still unread makes the kernel reset the connection, and the reset
        // can destroy the answer before the client has read it ("header parser received no bytes").
        routes.before(ctx -> ctx.bodyAsBytes());
        routes.before(ctx -> settings.access().refuseHost(ctx.header("Host")).ifPresent(why -> {
            throw new ApiException(421, "wrong_host", why);
        }));
        routes.before("/api/*", this::authorize);
        routes.get("/healthz", ctx -> json(ctx, HEALTHY));
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
            if (!settings.access().metricsPublic()) {
                authorize(ctx);
            }
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(this.routes.metrics().scrape());
        });
        this.routes.groups().forEach(group -> group.register(routes));

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
        routes.exception(HttpResponseException.class, (e, ctx) -> {
            switch (e.getStatus()) {
                // Javalin's router throws these itself; no route of ours does.
                case 404 -> error(ctx, 404, "not_found", "no such route: " + ctx.method() + " " + ctx.path());
                case 405 -> error(ctx, 405, "method_not_allowed", "method not allowed on " + ctx.path());
                case 413 -> error(ctx, 413, "too_large", "request body too large: at most " + MAX_BODY_BYTES + " bytes");
                default -> error(ctx, e.getStatus(), "http_" + e.getStatus(), e.getMessage());
            }
        });
        routes.exception(Exception.class, (e, ctx) -> {
            Logger.error("{} {} failed: {}", ctx.method(), ctx.path(), e.toString());
            error(ctx, 500, "internal", "internal error; the daemon log has the details");
        });
    }

    private void authorize(Context ctx) {
        routes.auth().authorize(ctx);
    }

    @Override
    public synchronized void close() {
        if (!listening) {
            return;
        }
        listening = false;
        settings.tls().ifPresent(TlsConnector::close);
        app.stop();
        if (socket != null) {
            SocketListener.remove(socket);
        }
    }
}
