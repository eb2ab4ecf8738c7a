package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.LegacyRoute;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.RefreshTiming;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.SettingImport;
import dev.tokenkeeper.api.SignInPage;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.UpstreamEndpoint;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.provider.vinted.legacy.LegacyApi;
import dev.tokenkeeper.provider.vinted.session.SessionCookies;
import dev.tokenkeeper.provider.vinted.session.TokenClaims;
import dev.tokenkeeper.provider.vinted.session.SessionImport;
import dev.tokenkeeper.provider.vinted.upstream.RequestBudget;
import dev.tokenkeeper.provider.vinted.upstream.SessionCheck;
import dev.tokenkeeper.provider.vinted.upstream.SessionRefresh;
import dev.tokenkeeper.provider.vinted.upstream.UpstreamGate;
import dev.tokenkeeper.provider.vinted.upstream.UpstreamPause;
import dev.tokenkeeper.provider.vinted.upstream.VintedHttp;
import dev.tokenkeeper.provider.vinted.upstream.VintedSettings;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A Vinted web session, kept alive through its {@code access_token_web} / {@code refresh_token_web}
 * cookies. The secret material holds every session cookie, one field {@code cookie.<name>} each.
 *
 * <p>Settings: {@code VINTED_BASE_URL} (the country site, default {@code https://www.vinted.fr}),
 * {@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS} (30), {@code VINTED_USER_AGENT} (a desktop Chrome),
 * {@code VINTED_MAX_REQUESTS_PER_5_MIN} (10: all sessions together stay well under the burst that
 * triggers Vinted's anti-bot wall), {@code VINTED_BLOCKED_BACKOFF_SECONDS} (900: how long to leave
 * Vinted alone after an anti-bot answer), {@code VINTED_REFRESH_SPACING_SECONDS} (the budget's share
 * of one refresh: 60 s by default).
 */
public final class VintedProvider implements TokenProvider {

    /** The provider id. */
    public static final String ID = "vinted";

    private volatile Wiring wiring;

    /** Creates an unconfigured provider; {@link #configure} (or the defaults) wire it. */
    public VintedProvider() {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "Vinted (web session cookies)";
    }

    @Override
    public void configure(PluginContext context) {
        wiring = new Wiring(VintedSettings.from(context), context.clock());
    }

    @Override
    public ImportedSecret importSecret(SecretInput input) throws InvalidSecretException {
        if (input instanceof SecretInput.CookieHeader header) {
            return wiring().importer.fromHeader(header.header());
        }
        if (input instanceof SecretInput.CookieFile file) {
            return wiring().importer.fromFile(file.content());
        }
        throw new InvalidSecretException("vinted takes a cookie string (--cookie) or a cookies file (--cookie-file),"
                + " not " + input.form());
    }

    @Override
    public ValidationResult validate(SecretMaterial secret) {
        try {
            return wiring().check.run(secret);
        } catch (RuntimeException e) {
            return new ValidationResult.Inconclusive(FailureKind.BAD_RESPONSE, unexpected(e), Optional.empty());
        }
    }

    @Override
    public RefreshResult refresh(SecretMaterial secret) {
        try {
            return wiring().refresh.run(secret);
        } catch (RuntimeException e) {
            return RefreshResult.TransientFailure.of(FailureKind.BAD_RESPONSE, unexpected(e));
        }
    }

    /**
     * The bare {@code access_token_web}, a {@code Cookie} header with every session cookie (what a
     * consumer calling Vinted as this browser sends) and {@code Authorization: Bearer} with the access
     * token.
     */
    @Override
    public Presentation present(SecretMaterial secret) {
        SessionCookies session = SessionCookies.fromMaterial(secret);
        String access = session.get(SessionCookies.ACCESS_TOKEN).orElseThrow(() -> new IllegalStateException(
                "the vinted session has no access_token_web: refresh it or import fresh cookies"));
        return new Presentation(access, Map.of("Cookie", session.header(), "Authorization", "Bearer " + access));
    }

    /**
     * An anti-bot answer pauses Vinted for {@code VINTED_BLOCKED_BACKOFF_SECONDS} (900): the first
     * attempt must leave room for two such pauses before the access token expires; sessions are
     * refreshed {@code VINTED_REFRESH_SPACING_SECONDS} apart.
     */
    @Override
    public RefreshTiming refreshTiming() {
        VintedSettings settings = wiring().settings;
        return new RefreshTiming(settings.blockedBackoff(), 2, settings.refreshSpacing());
    }

    /** One day: the refresh token lives seven days and rotates, so an unused session is still renewed daily. */
    @Override
    public Duration keepAlive() {
        return Duration.ofDays(1);
    }

    /** A Cookie header or a browser's cookies file. */
    @Override
    public Set<String> importForms() {
        return Set.of("cookie", "cookie-file");
    }

    /** The routes existing Vinted deployments call. */
    @Override
    public List<LegacyRoute> legacyRoutes() {
        return LegacyApi.ROUTES;
    }

    /** {@code VINTED_SESSION}, a Cookie header. */
    @Override
    public Optional<SettingImport> settingImport() {
        return Optional.of(LegacyApi.SESSION);
    }

    /**
     * {@code /member/login} of the configured site: the e-mail and password form; DataDome's captcha
     * (its iframe or container) and the e-mail or two-factor code step mean a human is needed.
     */
    @Override
    public Optional<SignInPage> signIn() {
        return Optional.of(new SignInPage(wiring().settings.baseUrl().resolve("/member/login"),
                "input[name=\"username\"], input[name=\"login\"], input[type=\"email\"]",
                "input[name=\"password\"], input[type=\"password\"]",
                "button[type=\"submit\"]",
                List.of(SessionCookies.ACCESS_TOKEN, SessionCookies.REFRESH_TOKEN),
                List.of("iframe[src*=\"captcha-delivery.com\"]", "#ddv1-captcha-container", "[data-testid=\"captcha\"]"),
                List.of("input[autocomplete=\"one-time-code\"]", "input[name=\"code\"]",
                        "[data-testid=\"verification-code\"]")));
    }

    /** The country site, from {@code VINTED_BASE_URL}. */
    @Override
    public List<UpstreamEndpoint> upstreams() {
        return List.of(new UpstreamEndpoint("VINTED_BASE_URL", wiring().settings.baseUrl()));
    }

    /** Every Vinted site's cookies, and the configured site's (its host without {@code www.}). */
    @Override
    public List<String> cookieDomains() {
        String host = wiring().settings.host().toLowerCase(java.util.Locale.ROOT);
        String site = host.startsWith("www.") ? host.substring(4) : host;
        return site.contains(ID) ? List.of(ID) : List.of(ID, site);
    }

    /** The refresh token's {@code iat} (it rotates at every refresh), else the access token's. */
    @Override
    public Optional<java.time.Instant> sessionIssuedAt(SecretMaterial secret) {
        SessionCookies session = SessionCookies.fromMaterial(secret);
        return session.get(SessionCookies.REFRESH_TOKEN).flatMap(TokenClaims::decode).flatMap(TokenClaims::issuedAt)
                .or(() -> session.get(SessionCookies.ACCESS_TOKEN).flatMap(TokenClaims::decode)
                        .flatMap(TokenClaims::issuedAt));
    }

    @Override
    public String toString() {
        Wiring w = wiring;
        return "VintedProvider[" + (w == null ? "unconfigured" : w.settings.baseUrl()) + "]";
    }

    private Wiring wiring() {
        Wiring w = wiring;
        if (w == null) {
            synchronized (this) {
                if (wiring == null) {
                    wiring = new Wiring(VintedSettings.from(Defaults.INSTANCE), Clock.systemUTC());
                }
                w = wiring;
            }
        }
        return w;
    }

    /** Names the exception type only: a message could quote a server's answer. */
    private static String unexpected(RuntimeException e) {
        return "unexpected error in the vinted provider (" + e.getClass().getSimpleName() + ")";
    }

    /** Everything built from the settings; replaced as a whole by {@link #configure}. */
    private static final class Wiring {
        final VintedSettings settings;
        final SessionImport importer;
        final SessionRefresh refresh;
        final SessionCheck check;

        Wiring(VintedSettings settings, Clock clock) {
            this.settings = settings;
            this.importer = new SessionImport(settings.host(), clock);
            VintedHttp http = new VintedHttp(settings, clock);
            UpstreamGate gate = new UpstreamGate(
                    new RequestBudget(settings.maxRequestsPer5Min(), RequestBudget.WINDOW, clock),
                    new UpstreamPause(clock));
            this.refresh = new SessionRefresh(http, gate, settings.blockedBackoff(), clock);
            this.check = new SessionCheck(http, gate, settings.blockedBackoff());
        }
    }

    /** The settings of a provider used without {@link #configure}: every default. */
    private enum Defaults implements PluginContext {
        INSTANCE;

        @Override
        public Optional<String> setting(String name) {
            return Optional.empty();
        }

        @Override
        public Path stateDirectory() {
            return Path.of(System.getProperty("java.io.tmpdir"));
        }

        @Override
        public Clock clock() {
            return Clock.systemUTC();
        }
    }
}
