package dev.tokenkeeper.provider.vinted.legacy;

import dev.tokenkeeper.api.LegacyRoute;
import dev.tokenkeeper.api.LegacyRoute.InputField;
import dev.tokenkeeper.api.LegacyRoute.TokenField;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SettingImport;

import java.util.List;

/**
 * What existing Vinted deployments call and set, kept working: their routes, as aliases of the
 * daemon's, and the session they hand over in {@code VINTED_SESSION}.
 */
public final class LegacyApi {

    /**
     * {@code GET|POST /api/v1/vinted/scheduler}, {@code POST /api/v1/vinted/auth} (a Cookie header in
     * {@code cookie}, {@code cookies}, {@code session} or {@code cookieString}, or a cookies file in
     * {@code cookieFile}) and {@code GET /api/v1/market-analysis/token}
     * ({@code {"token","accessToken","cookie","headers","expiresAt"}}).
     */
    public static final List<LegacyRoute> ROUTES = List.of(
            new LegacyRoute.Scheduler("/api/v1/vinted/scheduler"),
            new LegacyRoute.Import("/api/v1/vinted/auth", "account", List.of(
                    new InputField("cookie", "cookie"), new InputField("cookies", "cookie"),
                    new InputField("session", "cookie"), new InputField("cookieString", "cookie"),
                    new InputField("cookieFile", "cookie-file")),
                    "body must be {\"cookie\": \"<the Cookie header copied from the browser>\"} (optionally \"account\")"),
            new LegacyRoute.Token("/api/v1/market-analysis/token", "account", List.of(
                    new TokenField.BareToken("token"), new TokenField.BareToken("accessToken"),
                    new TokenField.Header("cookie", "Cookie"), new TokenField.Headers("headers"),
                    new TokenField.ExpiresAt("expiresAt"))));

    /** {@code VINTED_SESSION}: a Cookie header imported as {@code vinted:default} at start if that credential is absent. */
    public static final SettingImport SESSION = new SettingImport("VINTED_SESSION", SecretInput.CookieHeader::new);

    private LegacyApi() {
    }
}
