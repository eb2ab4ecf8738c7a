package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.daemon.config.ListenAddress;
import dev.tokenkeeper.daemon.plugin.Discovered;
import dev.tokenkeeper.daemon.plugin.PluginOrigin;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.refresh.CredentialNotFoundException;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import dev.tokenkeeper.daemon.refresh.NoValidTokenException;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import dev.tokenkeeper.daemon.rekey.KeyRotation;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import dev.tokenkeeper.daemon.schedule.SchedulerState;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.tinylog.Logger;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The control API: health, metrics, scheduler, providers, credentials and their tokens, plus the
 * routes existing Vinted deployments already call. Every {@code /api/} route needs the admin bearer
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
    private final KeyRotation keyRotation;
    private final Javalin app;

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
        this.keyRotation = keyRotation;
        this.credentials = credentials;
        this.scheduler = scheduler;
        this.plugins = plugins;
        this.adminToken = adminToken;
        this.metrics = metrics;
        this.app = Javalin.create(this::configure).start(listen.host(), listen.port());
    }

    /** @return the port actually bound */
    public int port() {
        return app.port();
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
        routes.before("/api/*", this::authorize);
        routes.get("/healthz", ctx -> json(ctx, Map.of("status", "ok")));
        routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));

        routes.get("/api/v1/scheduler", ctx -> json(ctx, scheduler.state()));
        routes.post("/api/v1/scheduler", this::schedulerAction);
        routes.get("/api/v1/providers", ctx -> json(ctx, providers()));
        routes.get("/api/v1/credentials", ctx -> json(ctx, credentials.list().stream()
                .map(c -> Views.CredentialView.of(c, scheduler.nextFireTime(c.id()).orElse(null))).toList()));
        routes.get("/api/v1/credentials/{id}", ctx -> {
            CredentialId id = id(ctx);
            json(ctx, Views.CredentialView.of(credentials.get(id), scheduler.nextFireTime(id).orElse(null)));
        });
        routes.put("/api/v1/credentials/{id}", ctx -> importCredential(ctx, id(ctx), body(ctx)));
        routes.delete("/api/v1/credentials/{id}", ctx -> {
            CredentialId id = id(ctx);
            if (!credentials.delete(id)) {
                throw new CredentialNotFoundException(id);
            }
            ctx.status(204);
        });
        routes.post("/api/v1/credentials/{id}/refresh", ctx -> {
            CredentialId id = id(ctx);
            RefreshReport report = credentials.refresh(id, "true".equals(ctx.queryParam("force")));
            json(ctx, refreshView(report));
        });
        routes.get("/api/v1/credentials/{id}/token", ctx -> json(ctx, tokenView(
                credentials.token(id(ctx), Duration.ofSeconds(minValidity(ctx))))));
        routes.post("/api/v1/credentials/{id}/rejected", ctx -> {
            CredentialId id = id(ctx);
            JsonNode body = body(ctx);
            String token = text(body, "token").orElseThrow(() -> new ApiException(400, "bad_request",
                    "body must be {\"token\": \"<the token that was rejected>\"}"));
            json(ctx, tokenView(credentials.rejected(id, token)));
        });
        routes.get("/api/v1/credentials/{id}/history", ctx -> {
            CredentialId id = id(ctx);
            Instant since = Optional.ofNullable(ctx.queryParam("since")).map(ControlApi::instant).orElse(Instant.EPOCH);
            int limit = intParam(ctx, "limit", 100, 1, 10_000);
            json(ctx, credentials.history(id, since, limit).stream().map(Views.EventView::of).toList());
        });

        routes.get("/api/v1/report", ctx -> json(ctx, report(ctx.queryParam("since"))));
        routes.post("/api/v1/rekey", this::rekey);
        routes.get("/api/v1/providers/{id}/authorize-url", this::authorizeUrl);

        // Routes existing Vinted deployments call.
        routes.get("/api/v1/vinted/scheduler", ctx -> json(ctx, scheduler.state()));
        routes.post("/api/v1/vinted/scheduler", this::schedulerAction);
        routes.post("/api/v1/vinted/auth", this::vintedAuth);
        routes.get("/api/v1/market-analysis/token", ctx -> {
            String account = Optional.ofNullable(ctx.queryParam("account")).orElse(CredentialId.DEFAULT_ACCOUNT);
            LiveCredential live = credentials.token(new CredentialId("vinted", account),
                    Duration.ofSeconds(minValidity(ctx)));
            Views.TokenView view = tokenView(live);
            json(ctx, new MarketAnalysisToken(view.token(), view.token(), view.headers().get("Cookie"),
                    view.headers(), view.expiresAt()));
        });

        routes.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.code(), e.getMessage()));
        routes.exception(CredentialNotFoundException.class, (e, ctx) -> error(ctx, 404, "not_found", e.getMessage()));
        routes.exception(InvalidSecretException.class, (e, ctx) -> error(ctx, 400, "invalid_secret", e.getMessage()));
        routes.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, "bad_request", e.getMessage()));
        routes.exception(NoValidTokenException.class, (e, ctx) ->
                error(ctx, e.needsHuman() ? 409 : 503, e.needsHuman() ? "requires_configuration" : "unavailable", e.getMessage()));
        routes.exception(dev.tokenkeeper.api.StoreException.class, (e, ctx) ->
                error(ctx, 503, e instanceof dev.tokenkeeper.api.StoreUnavailableException ? "store_unavailable" : "store_error",
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

    /** The answer of the legacy market-analysis route. */
    record MarketAnalysisToken(String token, String accessToken, String cookie, Map<String, String> headers,
                               Instant expiresAt) {
        @Override
        public String toString() {
            return "MarketAnalysisToken[hidden]";
        }
    }

    /**
     * One credential's line of {@code GET /api/v1/report}.
     *
     * @param id                the credential
     * @param status            its status now
     * @param refreshes         successful refreshes in the window
     * @param failures          failed refreshes in the window (transient + permanent)
     * @param transientFailures failures a retry may fix
     * @param permanentFailures failures that need a human
     * @param rejected          tokens found rejected (validation or a consumer's 401)
     * @param imports           imports in the window
     * @param successRate       refreshes / (refreshes + failures), null when there was no attempt
     * @param lastError         the newest failure's detail in the window, else the credential's last error
     * @param lastErrorAt       when that failure happened, if in the window
     * @param lastRefreshAt     the newest refresh in the window, else the credential's last refresh or import
     * @param truncated         true when the window held more events than were read
     */
    record CredentialReport(String id, String status, int refreshes, int failures, int transientFailures,
                            int permanentFailures, int rejected, int imports, Double successRate, String lastError,
                            Instant lastErrorAt, Instant lastRefreshAt, boolean truncated) {
    }

    /** The answer of {@code GET /api/v1/report}. */
    record ReportView(Instant since, Instant until, List<CredentialReport> credentials) {
    }

    /** The answer of {@code POST /api/v1/rekey}: key ids and credential ids only, never a key. */
    record RekeyView(boolean rotated, boolean resumed, boolean complete, String currentKeyId, List<String> retiredKeyIds,
                     List<String> resealed, List<String> alreadyCurrent, List<RekeyFailureView> failed) {
    }

    /** A credential a rekey could not re-seal. */
    record RekeyFailureView(String id, String reason) {
    }

    /** The answer of {@code GET /api/v1/providers/{id}/authorize-url}. */
    record AuthorizeUrlView(String provider, String url) {
    }

    /** The most history events read per credential for a report. */
    private static final int REPORT_EVENT_LIMIT = 100_000;

    private ReportView report(String sinceText) {
        Instant until = Instant.now();
        Instant since = since(sinceText == null || sinceText.isBlank() ? "7d" : sinceText.strip(), until);
        List<CredentialReport> lines = new ArrayList<>();
        for (dev.tokenkeeper.api.StoredCredential credential : credentials.list()) {
            List<dev.tokenkeeper.api.RefreshEvent> events;
            try {
                events = credentials.history(credential.id(), since, REPORT_EVENT_LIMIT);
            } catch (CredentialNotFoundException deletedMeanwhile) {
                continue;
            }
            int refreshes = 0;
            int transientFailures = 0;
            int permanentFailures = 0;
            int rejected = 0;
            int imports = 0;
            String lastError = null;
            Instant lastErrorAt = null;
            Instant lastRefreshAt = null;
            for (dev.tokenkeeper.api.RefreshEvent event : events) {
                switch (event.outcome()) {
                    case REFRESHED -> {
                        refreshes++;
                        lastRefreshAt = event.at();
                    }
                    case TRANSIENT_FAILURE, PERMANENT_FAILURE -> {
                        if (event.outcome() == dev.tokenkeeper.api.RefreshOutcome.TRANSIENT_FAILURE) {
                            transientFailures++;
                        } else {
                            permanentFailures++;
                        }
                        lastError = event.detail();
                        lastErrorAt = event.at();
                    }
                    case REJECTED -> rejected++;
                    case IMPORTED -> imports++;
                    default -> {
                        // Validations are not refresh attempts.
                    }
                }
            }
            int failures = transientFailures + permanentFailures;
            Double rate = refreshes + failures == 0 ? null : (double) refreshes / (refreshes + failures);
            lines.add(new CredentialReport(credential.id().toString(), credential.status().wireName(), refreshes, failures,
                    transientFailures, permanentFailures, rejected, imports, rate,
                    lastError != null ? lastError : credential.lastError().orElse(null), lastErrorAt,
                    lastRefreshAt != null ? lastRefreshAt : credential.lastRefreshAt().orElse(null),
                    events.size() >= REPORT_EVENT_LIMIT));
        }
        return new ReportView(since, until, lines);
    }

    /** @return the start of a report window: an ISO instant, an ISO duration, or {@code 7d}, {@code 12h}, {@code 30m}, {@code 2w} */
    static Instant since(String text, Instant now) {
        java.util.regex.Matcher windowMatch = java.util.regex.Pattern.compile("(\\d{1,6})([smhdw])").matcher(text);
        try {
            if (windowMatch.matches()) {
                long amount = Long.parseLong(windowMatch.group(1));
                Duration window = switch (windowMatch.group(2)) {
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    case "d" -> Duration.ofDays(amount);
                    default -> Duration.ofDays(amount * 7);
                };
                return now.minus(window);
            }
            if (text.startsWith("P") || text.startsWith("p")) {
                return now.minus(Duration.parse(text));
            }
            return Instant.parse(text);
        } catch (java.time.format.DateTimeParseException | ArithmeticException e) {
            throw new ApiException(400, "bad_request", "since must be a window such as 7d, 12h, 30m or 2w, or an"
                    + " ISO-8601 instant such as 2026-01-01T00:00:00Z, not '" + printable(text) + "'");
        }
    }

    private void rekey(Context ctx) {
        if (keyRotation == null) {
            throw new ApiException(503, "unavailable", "this daemon was started without key rotation: upgrade"
                    + " tokenkeeper, or rotate by hand (old key into <state>/keys/retired-<name>.key, new key configured)");
        }
        boolean resealOnly = "true".equals(ctx.queryParam("resealOnly"));
        KeyRotation.Outcome outcome;
        try {
            outcome = resealOnly ? keyRotation.resealOnly() : keyRotation.rotate();
        } catch (KeyRotation.RotationRefusedException e) {
            throw new ApiException(409, "rekey_refused", e.getMessage());
        }
        json(ctx, new RekeyView(outcome.rotated(), outcome.resumed(), outcome.failed().isEmpty(), outcome.currentKeyId(),
                outcome.retiredKeyIds(), outcome.resealed(), outcome.alreadyCurrent(), outcome.failed().stream()
                .map(f -> new RekeyFailureView(f.id(), f.reason())).toList()));
    }

    private void authorizeUrl(Context ctx) {
        String providerId = ctx.pathParam("id");
        dev.tokenkeeper.api.TokenProvider provider = plugins.provider(providerId).orElseThrow(() -> new ApiException(404,
                "unknown_provider", "no provider '" + printable(providerId) + "': installed are "
                + plugins.providers().keySet()));
        String state = Optional.ofNullable(ctx.queryParam("state")).filter(s -> !s.isBlank())
                .orElseThrow(() -> new ApiException(400, "bad_request", "state is required"));
        if (state.length() > 512) {
            throw new ApiException(400, "bad_request", "state is too long: at most 512 characters");
        }
        String redirect = Optional.ofNullable(ctx.queryParam("redirectUri")).filter(s -> !s.isBlank())
                .orElseThrow(() -> new ApiException(400, "bad_request", "redirectUri is required"));
        URI redirectUri;
        try {
            redirectUri = new URI(redirect);
        } catch (java.net.URISyntaxException e) {
            throw new ApiException(400, "bad_request", "redirectUri is not a valid URI: " + printable(redirect));
        }
        if (!redirectUri.isAbsolute() || !("http".equals(redirectUri.getScheme()) || "https".equals(redirectUri.getScheme()))) {
            throw new ApiException(400, "bad_request", "redirectUri must be an absolute http(s) URI");
        }
        Optional<URI> url;
        try {
            url = provider.authorizationUri(state, redirectUri);
        } catch (IllegalStateException e) {
            throw new ApiException(409, "not_configured", e.getMessage());
        }
        URI found = url.orElseThrow(() -> new ApiException(409, "no_authorization_flow", "provider '" + providerId
                + "' has no authorization-code flow: import its secret with `tokenkeeper import " + providerId + "`"));
        json(ctx, new AuthorizeUrlView(providerId, found.toString()));
    }

    private void authorize(Context ctx) {
        String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
        String presented = header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (!adminToken.matches(presented)) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(401, "unauthorized",
                    "missing or wrong admin token: send `Authorization: Bearer <token>` with the token from the admin-token file");
        }
    }

    private void schedulerAction(Context ctx) {
        JsonNode body = body(ctx);
        String action = text(body, "action").orElseThrow(() -> new ApiException(400, "bad_request",
                "body must be {\"action\": \"start|stop|restart\", \"intervalMinutes\": N}"));
        Optional<Duration> interval = Optional.empty();
        if (body.hasNonNull("intervalMinutes")) {
            JsonNode minutes = body.get("intervalMinutes");
            if (!minutes.isNumber() || minutes.asDouble() < 0.05 || minutes.asDouble() > 10_080) {
                throw new ApiException(400, "bad_request", "intervalMinutes must be a number from 0.05 to 10080");
            }
            interval = Optional.of(Duration.ofMillis(Math.round(minutes.asDouble() * 60_000)));
        }
        SchedulerState state;
        switch (action) {
            case "start" -> state = interval.isPresent() ? scheduler.restart(interval) : scheduler.start();
            case "stop" -> state = scheduler.stop();
            case "restart" -> state = scheduler.restart(interval);
            default -> throw new ApiException(400, "bad_request", "unknown action '" + printable(action)
                    + "': use start, stop or restart");
        }
        json(ctx, state);
    }

    private void vintedAuth(Context ctx) throws InvalidSecretException {
        JsonNode body = body(ctx);
        String account = text(body, "account").orElse(CredentialId.DEFAULT_ACCOUNT);
        Optional<String> cookie = text(body, "cookie").or(() -> text(body, "cookies"))
                .or(() -> text(body, "session")).or(() -> text(body, "cookieString"));
        SecretInput input = cookie.<SecretInput>map(SecretInput.CookieHeader::new)
                .or(() -> text(body, "cookieFile").map(SecretInput.CookieFile::new))
                .orElseThrow(() -> new ApiException(400, "bad_request",
                        "body must be {\"cookie\": \"<the Cookie header copied from the browser>\"} (optionally \"account\")"));
        importCredential(ctx, new CredentialId("vinted", account), input);
    }

    private void importCredential(Context ctx, CredentialId id, JsonNode body) throws InvalidSecretException {
        importCredential(ctx, id, secretInput(body));
    }

    private void importCredential(Context ctx, CredentialId id, SecretInput input) throws InvalidSecretException {
        if (plugins.provider(id.provider()).isEmpty()) {
            throw new ApiException(404, "unknown_provider", "no provider '" + id.provider() + "': installed are "
                    + plugins.providers().keySet());
        }
        CredentialService.Imported imported = credentials.importSecret(id, input);
        ctx.status(imported.replaced() ? 200 : 201);
        json(ctx, new Views.ImportView(Views.CredentialView.of(imported.credential(),
                scheduler.nextFireTime(id).orElse(null)), imported.warnings(), imported.replaced()));
    }

    private static SecretInput secretInput(JsonNode body) {
        List<SecretInput> inputs = new ArrayList<>();
        text(body, "cookie").ifPresent(v -> inputs.add(new SecretInput.CookieHeader(v)));
        text(body, "cookieFile").ifPresent(v -> inputs.add(new SecretInput.CookieFile(v)));
        if (body.hasNonNull("tokenJson")) {
            JsonNode tokenJson = body.get("tokenJson");
            inputs.add(new SecretInput.TokenJson(tokenJson.isTextual() ? tokenJson.asText() : tokenJson.toString()));
        }
        text(body, "authorizationCode").ifPresent(code -> inputs.add(new SecretInput.AuthorizationCode(code,
                URI.create(text(body, "redirectUri").orElseThrow(() -> new ApiException(400, "bad_request",
                        "authorizationCode needs redirectUri"))))));
        if (inputs.size() != 1) {
            throw new ApiException(400, "bad_request",
                    "body must have exactly one of cookie, cookieFile, tokenJson, authorizationCode");
        }
        return inputs.get(0);
    }

    private List<Object> providers() {
        List<Object> out = new ArrayList<>();
        plugins.providers().forEach((id, found) -> out.add(pluginView("provider", id, found.plugin().description(), found)));
        plugins.stores().forEach((id, found) -> out.add(pluginView("store", id, found.plugin().description(), found)));
        plugins.problems().forEach(problem -> out.add(new Views.ProblemView(problem.jar(), problem.reason())));
        return out;
    }

    private static Views.PluginView pluginView(String kind, String id, String description, Discovered<?> found) {
        PluginOrigin origin = found.origin();
        return new Views.PluginView(kind, id, description, origin.module(), origin.version().orElse(null),
                origin.jar().orElse(null), origin.bundled());
    }

    private Views.TokenView tokenView(LiveCredential live) {
        return new Views.TokenView(live.stored().id().toString(), live.presentation().token(),
                live.presentation().headers(), live.stored().accessExpiresAt().orElse(null), live.stored().version());
    }

    private static Views.RefreshView refreshView(RefreshReport report) {
        String outcome;
        String detail;
        if (report instanceof RefreshReport.Refreshed) {
            outcome = "refreshed";
            detail = "";
        } else if (report instanceof RefreshReport.Skipped skipped) {
            outcome = "skipped";
            detail = skipped.why();
        } else if (report instanceof RefreshReport.RetryLater later) {
            outcome = "retry_later";
            detail = later.reason() + "; next attempt at " + later.nextAttemptAt();
        } else {
            outcome = "requires_configuration";
            detail = ((RefreshReport.NeedsHuman) report).reason();
        }
        return new Views.RefreshView(outcome, detail, Views.CredentialView.of(report.credential(), null));
    }

    private static CredentialId id(Context ctx) {
        String raw = ctx.pathParam("id");
        if (raw.length() > 200) {
            throw new ApiException(400, "bad_request", "credential id too long");
        }
        return CredentialId.parse(raw);
    }

    private static JsonNode body(Context ctx) {
        String text = ctx.body();
        if (text.isBlank()) {
            throw new ApiException(400, "bad_request", "request body is empty: send a JSON object");
        }
        try {
            JsonNode node = Json.MAPPER.readTree(text);
            if (node == null || !node.isObject()) {
                throw new ApiException(400, "bad_request", "request body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "bad_json", "request body is not valid JSON (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
    }

    private static Optional<String> text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        return node != null && node.isTextual() && !node.asText().isBlank() ? Optional.of(node.asText()) : Optional.empty();
    }

    private static long minValidity(Context ctx) {
        return intParam(ctx, "minValidity", 60, 0, 30 * 24 * 3600);
    }

    private static int intParam(Context ctx, String name, int defaultValue, int min, int max) {
        String raw = ctx.queryParam(name);
        if (raw == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value < min || value > max) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ApiException(400, "bad_request", name + " must be a whole number from " + min + " to " + max);
        }
    }

    private static Instant instant(String text) {
        try {
            return Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            throw new ApiException(400, "bad_request", "since must be an ISO-8601 instant, e.g. 2026-01-01T00:00:00Z");
        }
    }

    private static String printable(String text) {
        String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    private static void json(Context ctx, Object value) {
        try {
            ctx.contentType("application/json").result(Json.MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON for " + value.getClass().getSimpleName(), e);
        }
    }

    private static void error(Context ctx, int status, String code, String message) {
        ctx.status(status);
        json(ctx, new Views.ErrorView(code, message == null ? code : message));
    }

    @Override
    public void close() {
        app.stop();
    }
}
