package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.daemon.oauth.Pkce;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.plugin.Plugins;
import dev.tokenkeeper.daemon.refresh.CredentialNotFoundException;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import dev.tokenkeeper.daemon.refresh.TooManyReportsException;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.tokenkeeper.daemon.http.Requests.body;
import static dev.tokenkeeper.daemon.http.Requests.id;
import static dev.tokenkeeper.daemon.http.Requests.intParam;
import static dev.tokenkeeper.daemon.http.Requests.json;
import static dev.tokenkeeper.daemon.http.Requests.minValidity;
import static dev.tokenkeeper.daemon.http.Requests.text;

/**
 * {@code /api/v1/credentials}: list, read, import, delete, refresh, hand out tokens, take 401 reports, history.
 *
 * @param credentials the credential operations
 * @param scheduler   the refresh scheduler (each credential's next refresh)
 * @param plugins     the providers found (what an import may name)
 */
record CredentialRoutes(CredentialService credentials, RefreshScheduler scheduler, Plugins plugins) implements RouteGroup {

    /** The most credentials one answer of the list holds. */
    static final int PAGE = 1000;

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/api/v1/credentials", this::listPage);
        routes.get("/api/v1/credentials/{id}", ctx -> {
            CredentialId id = id(ctx);
            StoredCredential credential = credentials.get(id);
            json(ctx, Views.CredentialView.of(credential, scheduler.nextFireTime(id).orElse(null), credentials.note(credential)));
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
        routes.get("/api/v1/credentials/{id}/token", ctx -> {
            CredentialId id = id(ctx);
            Caller.requireRead(ctx, id);
            Duration minValidity = Duration.ofSeconds(minValidity(ctx));
            LiveCredential live = credentials.token(id, minValidity);
            Caller.recordRead(ctx, live);
            json(ctx, ShortValidity.view(tokenView(live), minValidity, credentials.clock().instant()));
        });
        routes.post("/api/v1/credentials/{id}/rejected", ctx -> {
            CredentialId id = id(ctx);
            Caller.requireRead(ctx, id);
            JsonNode body = body(ctx);
            String token = text(body, "token").orElseThrow(() -> new ApiException(400, "bad_request",
                    "body must be {\"token\": \"<the token that was rejected>\"}"));
            LiveCredential live;
            try {
                live = credentials.rejected(id, token);
            } catch (TooManyReportsException e) {
                ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
                throw new ApiException(429, "too_many_reports", e.getMessage());
            }
            Caller.recordRead(ctx, live);
            json(ctx, tokenView(live));
        });
        routes.get("/api/v1/credentials/{id}/history", ctx -> {
            CredentialId id = id(ctx);
            Instant since = Optional.ofNullable(ctx.queryParam("since")).map(Requests::instant).orElse(Instant.EPOCH);
            int limit = intParam(ctx, "limit", 100, 1, 10_000);
            json(ctx, credentials.history(id, since, limit).stream().map(Views.EventView::of).toList());
        });
    }

    /**
     * One page of the credentials in id order ({@code ?after=<id>&limit=<n>}, at most {@value #PAGE}, the
     * default), each with its next refresh time read for the whole page at once; a {@code Link} header
     * names the next page when there is one. A store of up to {@value #PAGE} credentials is one page, as
     * the list always was.
     */
    private void listPage(Context ctx) {
        int limit = intParam(ctx, "limit", PAGE, 1, PAGE);
        Optional<CredentialId> after = Optional.ofNullable(ctx.queryParam("after")).map(Requests::credentialId);
        List<StoredCredential> read = credentials.page(after, limit + 1);
        List<StoredCredential> page = read.subList(0, Math.min(limit, read.size()));
        if (read.size() > limit) {
            ctx.header("Link", "</api/v1/credentials?after=" + URLEncoder.encode(page.get(limit - 1).id().toString(),
                    StandardCharsets.UTF_8) + "&limit=" + limit + ">; rel=\"next\"");
        }
        Map<CredentialId, Instant> due = scheduler.nextFireTimes(page.stream().map(StoredCredential::id).toList());
        json(ctx, page.stream().map(c -> Views.CredentialView.of(c, due.get(c.id()), credentials.note(c))).toList());
    }

    private void importCredential(Context ctx, CredentialId id, JsonNode body) throws InvalidSecretException {
        importCredential(ctx, id, secretInput(body));
    }

    void importCredential(Context ctx, CredentialId id, SecretInput input) throws InvalidSecretException {
        if (plugins.provider(id.provider()).isEmpty()) {
            throw new ApiException(404, "unknown_provider", "no provider '" + id.provider() + "': installed are "
                    + plugins.providers().keySet());
        }
        CredentialService.Imported imported = ExpiredImport.refreshIfExpired(credentials,
                credentials.importSecret(id, input), credentials.clock().instant());
        ctx.status(imported.replaced() ? 200 : 201);
        json(ctx, new Views.ImportView(Views.CredentialView.of(imported.credential(),
                scheduler.nextFireTime(id).orElse(null), credentials.note(imported.credential())), imported.warnings(),
                imported.replaced()));
    }

    private static SecretInput secretInput(JsonNode body) {
        List<SecretInput> inputs = new ArrayList<>();
        text(body, "cookie").ifPresent(v -> inputs.add(new SecretInput.CookieHeader(v)));
        text(body, "cookieFile").ifPresent(v -> inputs.add(new SecretInput.CookieFile(v)));
        text(body, "accessToken").ifPresent(v -> inputs.add(new SecretInput.AccessToken(v)));
        if (body.hasNonNull("tokenJson")) {
            JsonNode tokenJson = body.get("tokenJson");
            inputs.add(new SecretInput.TokenJson(tokenJson.isTextual() ? tokenJson.asText() : tokenJson.toString()));
        }
        Optional<String> verifier = text(body, "codeVerifier");
        if (verifier.isPresent() && !Pkce.isVerifier(verifier.get())) {
            throw new ApiException(400, "bad_request", "codeVerifier must be a PKCE verifier: 43 to 128 characters"
                    + " of A-Z a-z 0-9 . _ ~ -");
        }
        text(body, "authorizationCode").ifPresent(code -> inputs.add(new SecretInput.AuthorizationCode(code,
                URI.create(text(body, "redirectUri").orElseThrow(() -> new ApiException(400, "bad_request",
                        "authorizationCode needs redirectUri"))), verifier)));
        if (inputs.size() != 1) {
            throw new ApiException(400, "bad_request",
                    "body must have exactly one of cookie, cookieFile, tokenJson, accessToken, authorizationCode");
        }
        return inputs.get(0);
    }

    static Views.TokenView tokenView(LiveCredential live) {
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
}
