package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static dev.tokenkeeper.daemon.http.Requests.body;
import static dev.tokenkeeper.daemon.http.Requests.json;
import static dev.tokenkeeper.daemon.http.Requests.minValidity;
import static dev.tokenkeeper.daemon.http.Requests.text;

/** The routes existing Vinted deployments already call, as thin aliases over the general ones. */
final class VintedRoutes implements RouteGroup {

    private final CredentialService credentials;
    private final CredentialRoutes credentialRoutes;

    VintedRoutes(CredentialService credentials, CredentialRoutes credentialRoutes) {
        this.credentials = credentials;
        this.credentialRoutes = credentialRoutes;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/api/v1/vinted/auth", this::vintedAuth);
        routes.get("/api/v1/market-analysis/token", ctx -> {
            String account = Optional.ofNullable(ctx.queryParam("account")).orElse(CredentialId.DEFAULT_ACCOUNT);
            CredentialId id = new CredentialId("vinted", account);
            Caller.requireRead(ctx, id);
            LiveCredential live = credentials.token(id, Duration.ofSeconds(minValidity(ctx)));
            Caller.recordRead(ctx, live);
            Views.TokenView view = CredentialRoutes.tokenView(live);
            json(ctx, new MarketAnalysisToken(view.token(), view.token(), view.headers().get("Cookie"),
                    view.headers(), view.expiresAt()));
        });
    }

    /** The answer of the legacy market-analysis route. */
    record MarketAnalysisToken(String token, String accessToken, String cookie, Map<String, String> headers,
                               Instant expiresAt) {
        @Override
        public String toString() {
            return "MarketAnalysisToken[hidden]";
        }
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
        credentialRoutes.importCredential(ctx, new CredentialId("vinted", account), input);
    }
}
