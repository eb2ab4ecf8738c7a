package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.daemon.plugin.Renewal;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.http.AdminToken;
import dev.tokenkeeper.daemon.http.RouteGroup;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.refresh.CredentialNotFoundException;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpStatus;
import org.tinylog.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The web console under {@code /ui/}: login with the admin token, an overview of every credential,
 * a page per credential, import and the OAuth authorization flow. Server-rendered HTML from the
 * control API's own listener; two small static files; no inline script or style.
 */
public final class ConsoleRoutes implements RouteGroup {

    static final String COOKIE = "tokenkeeper_session";
    /** A wrong token costs this long, so guessing is slow; every wrong token gets the same answer. */
    static final Duration WRONG_TOKEN_DELAY = Duration.ofSeconds(1);

    private final CredentialService credentials;
    private final RefreshScheduler scheduler;
    private final Plugins plugins;
    private final AdminToken adminToken;
    private final Clock clock;
    private final ConsoleSessions sessions;
    private final AuthorizationFlow authorization;
    private final CredentialSnapshot snapshot;
    /** The overview's table as rendered from one snapshot (compared by identity). */
    private volatile RenderedTable renderedTable;
    private final byte[] css;
    private final byte[] js;
    private volatile Function<StoredCredential, List<String>> ways = credential -> List.of();

    /**
     * @param credentials the credential operations
     * @param scheduler   the refresh scheduler
     * @param plugins     providers and stores found
     * @param adminToken  the token a user logs in with
     * @param clock       the clock for sessions and relative times
     */
    public ConsoleRoutes(CredentialService credentials, RefreshScheduler scheduler, Plugins plugins, AdminToken adminToken,
                         Clock clock) {
        this.credentials = credentials;
        this.scheduler = scheduler;
        this.plugins = plugins;
        this.adminToken = adminToken;
        this.clock = clock;
        this.sessions = new ConsoleSessions(clock);
        // The overview's first page, and one more row to know whether a next page exists.
        this.snapshot = new CredentialSnapshot(() -> credentials.page(Optional.empty(), PAGE + 1), clock);
        this.authorization = new AuthorizationFlow(credentials, plugins, sessions, new PendingAuthorizations(clock),
                snapshot::invalidate);
        this.css = Responses.resource("console.css");
        this.js = Responses.resource("console.js");
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/", ctx -> ctx.redirect("/ui/", HttpStatus.FOUND));
        routes.get("/ui/static/console.css", ctx -> Responses.asset(ctx, "text/css; charset=utf-8", css));
        routes.get("/ui/static/console.js", ctx -> Responses.asset(ctx, "text/javascript; charset=utf-8", js));
        routes.get("/ui/login", ctx -> Responses.page(ctx, 200, ConsolePages.login(Optional.empty())));
        routes.post("/ui/login", this::login);
        routes.post("/ui/logout", guarded(this::logout));
        routes.get("/ui/", loggedIn(this::overview));
        routes.post("/ui/scheduler", guarded(this::schedulerAction));
        routes.get("/ui/credentials/{id}", loggedIn(this::credential));
        routes.post("/ui/credentials/{id}/refresh", guarded(this::refresh));
        routes.get("/ui/credentials/{id}/delete", loggedIn(this::confirmDelete));
        routes.post("/ui/credentials/{id}/delete", guarded(this::delete));
        routes.get("/ui/import", loggedIn(this::importPage));
        routes.post("/ui/import", guarded(this::importSecret));
        routes.post("/ui/authorize", guarded((ctx, session) -> authorization.start(ctx)));
        routes.get(AuthorizationFlow.CALLBACK_PATH, authorization::callback);
    }

    /** Credentials the overview shows at once. */
    static final int PAGE = 500;

    private record RenderedTable(List<StoredCredential> source, String html) {
    }

    /** A handler that needs a session. */
    @FunctionalInterface
    private interface SessionHandler {
        void handle(Context ctx, ConsoleSessions.Session session) throws Exception;
    }

    /** GET pages: without a session, go to the login page. */
    private Handler loggedIn(SessionHandler handler) {
        return ctx -> {
            Optional<ConsoleSessions.Session> session = sessions.find(ctx.cookie(COOKIE));
            if (session.isEmpty()) {
                Responses.noStore(ctx);
                ctx.redirect("/ui/login", HttpStatus.SEE_OTHER);
                return;
            }
            run(ctx, session.get(), handler);
        };
    }

    /** State-changing forms: a session and its CSRF token, or 403 and nothing changes. */
    private Handler guarded(SessionHandler handler) {
        return ctx -> {
            Optional<ConsoleSessions.Session> session = sessions.find(ctx.cookie(COOKIE));
            if (session.isEmpty()) {
                Responses.page(ctx, 403, ConsolePages.message(Optional.empty(), "Not logged in",
                        "Your session ended, so nothing was changed: log in again and repeat.", Optional.of("/ui/login"), "Log in"));
                return;
            }
            if (!session.get().csrfMatches(ctx.formParam("csrf"))) {
                Responses.page(ctx, 403, ConsolePages.message(session, "Form refused",
                        "This form did not carry the page's CSRF token (a stale page or a forged request), so nothing"
                                + " was changed: reload the page and try again.", Optional.of("/ui/"), "Back to the overview"));
                return;
            }
            try {
                run(ctx, session.get(), handler);
            } finally {
                snapshot.invalidate();
            }
        };
    }

    private void run(Context ctx, ConsoleSessions.Session session, SessionHandler handler) throws Exception {
        try {
            handler.handle(ctx, session);
        } catch (CredentialNotFoundException e) {
            Responses.page(ctx, 404, ConsolePages.message(Optional.of(session), "No such credential", e.getMessage(),
                    Optional.of("/ui/"), "Back to the overview"));
        } catch (IllegalArgumentException e) {
            Responses.page(ctx, 400, ConsolePages.message(Optional.of(session), "Bad request", e.getMessage(),
                    Optional.of("/ui/"), "Back to the overview"));
        } catch (StoreException e) {
            Responses.page(ctx, 503, ConsolePages.message(Optional.of(session), "Store unavailable", e.getMessage(),
                    Optional.of("/ui/"), "Try again"));
        }
    }

    private void login(Context ctx) {
        String token = Optional.ofNullable(ctx.formParam("token")).orElse("");
        if (token.isEmpty() || !adminToken.matches(token)) {
            Logger.warn("console: a login with a wrong admin token from {}", ctx.ip());
            String refused = ConsolePages.login(Optional.of("That is not the admin token."));
            // The delay holds no server thread, so a flood of wrong logins cannot starve the token API.
            ctx.future(() -> CompletableFuture.runAsync(() -> Responses.page(ctx, 401, refused),
                    CompletableFuture.delayedExecutor(WRONG_TOKEN_DELAY.toMillis(), TimeUnit.MILLISECONDS)));
            return;
        }
        sessions.remove(ctx.cookie(COOKIE));
        ConsoleSessions.Session session = sessions.create();
        ctx.header("Set-Cookie", COOKIE + "=" + session.id() + "; Path=/ui; Max-Age=" + ConsoleSessions.LIFETIME.toSeconds()
                + "; HttpOnly; SameSite=Strict" + ("https".equals(ctx.scheme()) ? "; Secure" : ""));
        Responses.noStore(ctx);
        ctx.redirect("/ui/", HttpStatus.SEE_OTHER);
    }

    private void logout(Context ctx, ConsoleSessions.Session session) {
        sessions.remove(session.id());
        ctx.header("Set-Cookie", COOKIE + "=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict");
        Responses.noStore(ctx);
        ctx.redirect("/ui/login", HttpStatus.SEE_OTHER);
    }

    /** The overview shows {@value #PAGE} credentials a page ({@code /ui/?after=<id>} for the next ones). */
    private void overview(Context ctx, ConsoleSessions.Session session) {
        Optional<String> after = Optional.ofNullable(ctx.queryParam("after"));
        String html;
        if (after.isPresent()) {
            html = table(credentials.page(Optional.of(CredentialId.parse(after.get())), PAGE + 1));
        } else {
            List<StoredCredential> current = snapshot.get();
            RenderedTable table = renderedTable;
            if (table == null || table.source() != current) {
                table = new RenderedTable(current, table(current));
                renderedTable = table;
            }
            html = table.html();
        }
        Responses.page(ctx, 200, ConsolePages.overview(session, html, scheduler.state(), sessions.takeFlash(session)));
    }

    /** A page of rows (one more than shown when there is a next page), their next refreshes read in one query. */
    private String table(List<StoredCredential> read) {
        List<StoredCredential> page = read.subList(0, Math.min(PAGE, read.size()));
        Map<CredentialId, Instant> due = scheduler.nextFireTimes(page.stream().map(StoredCredential::id).toList());
        String table = ConsolePages.credentialTable(page.stream().map(c -> row(c, Optional.ofNullable(due.get(c.id()))))
                .toList(), clock.instant());
        return read.size() > PAGE ? table + ConsolePages.nextPage(page.get(PAGE - 1).id()) : table;
    }

    private ConsolePages.Row row(StoredCredential c) {
        return row(c, scheduler.nextFireTime(c.id()));
    }

    private ConsolePages.Row row(StoredCredential c, Optional<Instant> nextRefresh) {
        return new ConsolePages.Row(c, nextRefresh, Renewal.forms(plugins, c.id().provider()),
                credentials.note(c), c.status() == CredentialStatus.REQUIRES_CONFIGURATION ? ways.apply(c) : List.of());
    }

    private void schedulerAction(Context ctx, ConsoleSessions.Session session) {
        String action = Optional.ofNullable(ctx.formParam("action")).orElse("");
        switch (action) {
            case "start" -> scheduler.resume();
            case "stop" -> scheduler.pause();
            default -> throw new IllegalArgumentException("unknown scheduler action: use start or stop");
        }
        sessions.flash(session, "The scheduler is " + (scheduler.state().isActive() ? "running." : "stopped."));
        Responses.redirect(ctx, "/ui/");
    }

    private void credential(Context ctx, ConsoleSessions.Session session) {
        CredentialId id = id(ctx);
        StoredCredential c = credentials.get(id);
        Instant now = clock.instant();
        List<RefreshEvent> week = credentials.history(id, now.minus(HistoryChart.WINDOW), 5000);
        List<RefreshEvent> recent = week.size() >= 20 ? week : credentials.history(id, Instant.EPOCH, 5000);
        List<RefreshEvent> last = recent.subList(Math.max(0, recent.size() - 20), recent.size());
        Responses.page(ctx, 200, ConsolePages.credential(session, row(c), HistoryChart.marks(c, week, now), last,
                sessions.takeFlash(session), now));
    }

    private void refresh(Context ctx, ConsoleSessions.Session session) {
        CredentialId id = id(ctx);
        RefreshReport report = credentials.refresh(id, true);
        String said;
        if (report instanceof RefreshReport.Refreshed) {
            said = id + ": refreshed";
        } else if (report instanceof RefreshReport.Skipped skipped) {
            said = id + ": skipped (" + skipped.why() + ")";
        } else if (report instanceof RefreshReport.RetryLater later) {
            said = id + ": retry_later (" + later.reason() + "; next attempt at " + later.nextAttemptAt() + ")";
        } else {
            said = id + ": requires_configuration (" + ((RefreshReport.NeedsHuman) report).reason() + ")";
        }
        sessions.flash(session, said);
        Responses.redirect(ctx, "/ui/credentials/" + id);
    }

    private void confirmDelete(Context ctx, ConsoleSessions.Session session) {
        Responses.page(ctx, 200, ConsolePages.confirmDelete(session, credentials.get(id(ctx))));
    }

    private void delete(Context ctx, ConsoleSessions.Session session) {
        CredentialId id = id(ctx);
        if (!"yes".equals(ctx.formParam("confirm"))) {
            Responses.redirect(ctx, "/ui/credentials/" + id + "/delete");
            return;
        }
        if (!credentials.delete(id)) {
            throw new CredentialNotFoundException(id);
        }
        sessions.flash(session, "Deleted " + id + ".");
        Responses.redirect(ctx, "/ui/");
    }

    private void importPage(Context ctx, ConsoleSessions.Session session) {
        String provider = Optional.ofNullable(ctx.queryParam("provider")).filter(p -> plugins.providers().containsKey(p))
                .orElse(plugins.providers().keySet().stream().findFirst().orElse(""));
        String account = Optional.ofNullable(ctx.queryParam("account")).filter(a -> a.length() <= 128).orElse("default");
        importPage(ctx, session, 200, new ConsolePages.ImportState(provider, account, Optional.empty()));
    }

    private void importPage(Context ctx, ConsoleSessions.Session session, int status, ConsolePages.ImportState state) {
        Responses.page(ctx, status, ConsolePages.importForm(session, new ArrayList<>(plugins.providers().keySet()),
                authorization.options(ctx), state, sessions.takeFlash(session)));
    }

    private void importSecret(Context ctx, ConsoleSessions.Session session) {
        String provider = Optional.ofNullable(ctx.formParam("provider")).orElse("").strip();
        String account = Optional.ofNullable(ctx.formParam("account")).orElse("").strip();
        String secret = Optional.ofNullable(ctx.formParam("secret")).orElse("");
        String shownAccount = account.length() > 128 ? "default" : account;
        Optional<String> problem = Optional.empty();
        CredentialId id = null;
        try {
            id = new CredentialId(provider, account.isEmpty() ? CredentialId.DEFAULT_ACCOUNT : account);
        } catch (IllegalArgumentException e) {
            problem = Optional.of("import failed: " + e.getMessage());
        }
        if (problem.isEmpty() && plugins.provider(provider).isEmpty()) {
            problem = Optional.of("import failed: no provider '" + provider + "': installed are " + plugins.providers().keySet());
        }
        if (problem.isEmpty() && secret.isBlank()) {
            problem = Optional.of("import failed: the secret is empty: paste a Cookie header, a cookie export or a token JSON");
        }
        if (problem.isEmpty()) {
            SecretInput input = SecretForms.detect(secret);
            try {
                CredentialService.Imported imported = credentials.importSecret(id, input);
                StoredCredential c = imported.credential();
                StringBuilder said = new StringBuilder("imported " + c.id() + " (" + c.status().wireName() + ") from "
                        + SecretForms.describe(input) + ", access token valid until "
                        + c.accessExpiresAt().map(Instant::toString).orElse("unknown"));
                imported.warnings().forEach(w -> said.append("; warning: ").append(w));
                sessions.flash(session, said.toString());
                Responses.redirect(ctx, "/ui/credentials/" + c.id());
                return;
            } catch (InvalidSecretException e) {
                problem = Optional.of("import failed: " + e.getMessage() + " (read as " + SecretForms.describe(input) + ")");
            }
        }
        importPage(ctx, session, 400, new ConsolePages.ImportState(provider, shownAccount, problem));
    }

    private static CredentialId id(Context ctx) {
        String raw = ctx.pathParam("id");
        if (raw.length() > 200) {
            throw new IllegalArgumentException("credential id too long");
        }
        return CredentialId.parse(raw);
    }

    /**
     * @param setUp for a credential that needs a human, the ways set up to bring it back besides pasting
     *              (a sign-in and why it failed, CookieCloud), one sentence each
     * @return this
     */
    public ConsoleRoutes ways(Function<StoredCredential, List<String>> setUp) {
        this.ways = setUp;
        return this;
    }
}
