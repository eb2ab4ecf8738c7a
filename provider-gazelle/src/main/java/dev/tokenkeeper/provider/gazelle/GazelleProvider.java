package dev.tokenkeeper.provider.gazelle;

import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.LegacyRow;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.Refreshability;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.UpstreamEndpoint;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.provider.gazelle.config.GazelleSettings;
import dev.tokenkeeper.provider.gazelle.graphql.ApiProbe;
import dev.tokenkeeper.provider.gazelle.http.UpstreamClient;
import dev.tokenkeeper.provider.gazelle.legacy.SettingsRowShape;
import dev.tokenkeeper.provider.gazelle.oauth.TokenEndpoint;
import dev.tokenkeeper.provider.gazelle.secret.AccessTokenImport;
import dev.tokenkeeper.provider.gazelle.secret.GazelleSecret;
import dev.tokenkeeper.provider.gazelle.secret.TokenJsonImport;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps a Gazelle OAuth 2 token fresh with the refresh-token grant.
 *
 * <p>Imports the token JSON that existing deployments keep in Supabase (or its whole
 * {@code system_settings} row) and authorization codes; validates with a one-field GraphQL query;
 * presents the token as {@code Authorization: Bearer ...}. Every response may rotate the refresh
 * token; one without a refresh token keeps the old one.
 *
 * <p>Settings: {@value GazelleSettings#CLIENT_ID}, {@value GazelleSettings#CLIENT_SECRET},
 * {@value GazelleSettings#TOKEN_URL}, {@value GazelleSettings#AUTHORIZE_URL},
 * {@value GazelleSettings#API_URL} and {@value GazelleSettings#TIMEOUT}.
 */
public final class GazelleProvider implements TokenProvider {

    /** The provider id, as in {@code gazelle:default}. */
    public static final String ID = "gazelle";

    private volatile Configured configured;

    /** Creates an unconfigured provider; the daemon calls {@link #configure} next. */
    public GazelleProvider() {
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "Gazelle (OAuth 2 refresh-token grant)";
    }

    /**
     * Reads the settings and creates this provider's HTTP client.
     *
     * @param context settings, state folder and clock
     * @throws IllegalArgumentException naming a setting that is not a valid URL or number
     */
    @Override
    public void configure(PluginContext context) {
        GazelleSettings settings = GazelleSettings.from(context);
        UpstreamClient http = new UpstreamClient(settings.connectTimeout(), settings.requestTimeout());
        Clock clock = context.clock();
        configured = new Configured(settings, clock, new TokenEndpoint(settings, http, clock),
                new ApiProbe(settings, http, clock));
    }

    /**
     * Takes a token JSON ({@code --token-json}) or an authorization code ({@code authorize gazelle}).
     *
     * @param input the user's secret
     * @return the secret, its lifetimes and warnings
     * @throws InvalidSecretException naming what is wrong, or the forms this provider takes
     */
    @Override
    public ImportedSecret importSecret(SecretInput input) throws InvalidSecretException {
        Objects.requireNonNull(input, "input");
        Configured c = configured();
        if (input instanceof SecretInput.TokenJson tokenJson) {
            String text = tokenJson.json().strip();
            // A file holding the copied header is what people try first: take it as what it is.
            if (text.regionMatches(true, 0, "Bearer ", 0, 7) || text.regionMatches(true, 0, "Authorization:", 0, 14)) {
                return AccessTokenImport.read(text, c.clock().instant());
            }
            return TokenJsonImport.read(tokenJson.json(), c.clock().instant());
        }
        if (input instanceof SecretInput.AuthorizationCode code) {
            return c.tokenEndpoint().exchangeCode(code.code(), code.redirectUri(), code.codeVerifier());
        }
        if (input instanceof SecretInput.AccessToken token) {
            return AccessTokenImport.read(token.token(), c.clock().instant());
        }
        throw new InvalidSecretException("gazelle does not take a " + input.form() + ": import the token JSON with "
                + "`tokenkeeper import gazelle --token-json FILE`, an access token with `" + AccessTokenImport.COMMAND
                + "` or run `tokenkeeper authorize gazelle`");
    }

    /**
     * A secret without a refresh token (an access token copied from the browser) cannot refresh.
     *
     * @param secret the current secret material
     * @return {@link Refreshability#UNTIL_EXPIRY} without a refresh token, else {@link Refreshability#REFRESHES}
     */
    @Override
    public Refreshability refreshability(SecretMaterial secret) {
        return GazelleSecret.refreshes(secret) ? Refreshability.REFRESHES : Refreshability.UNTIL_EXPIRY;
    }

    @Override
    public ValidationResult validate(SecretMaterial secret) {
        return configured().apiProbe().validate(Objects.requireNonNull(secret, "secret"));
    }

    @Override
    public RefreshResult refresh(SecretMaterial secret) {
        return configured().tokenEndpoint().refresh(Objects.requireNonNull(secret, "secret"));
    }

    /**
     * @param secret the current secret material
     * @return the access token and {@code Authorization: <token_type> <access_token>} ({@code Bearer}
     *         whatever its spelling in the answer)
     * @throws IllegalStateException when the secret has no access token
     */
    @Override
    public Presentation present(SecretMaterial secret) {
        String authorization = GazelleSecret.authorization(secret);
        return new Presentation(secret.require(GazelleSecret.ACCESS_TOKEN), Map.of("Authorization", authorization));
    }

    @Override
    public Duration keepAlive() {
        return Duration.ofDays(1);
    }

    /**
     * @param state       the anti-forgery value
     * @param redirectUri where Gazelle sends the browser back
     * @return {@code GAZELLE_OAUTH_AUTHORIZE_URL?client_id=..&response_type=code&redirect_uri=..&state=..}
     * @throws IllegalStateException when {@value GazelleSettings#CLIENT_ID} is not set
     */
    @Override
    public Optional<URI> authorizationUri(String state, URI redirectUri) {
        return authorizationUri(state, redirectUri, Optional.empty());
    }

    /**
     * @param state         the anti-forgery value
     * @param redirectUri   where Gazelle sends the browser back
     * @param codeChallenge the PKCE S256 challenge
     * @return the URL of {@link #authorizationUri(String, URI)} plus {@code code_challenge} and
     *         {@code code_challenge_method=S256}
     */
    @Override
    public Optional<URI> authorizationUri(String state, URI redirectUri, String codeChallenge) {
        return authorizationUri(state, redirectUri, Optional.of(Objects.requireNonNull(codeChallenge, "codeChallenge")));
    }

    private Optional<URI> authorizationUri(String state, URI redirectUri, Optional<String> codeChallenge) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(redirectUri, "redirectUri");
        GazelleSettings settings = configured().settings();
        String clientId = settings.clientId().orElseThrow(() -> new IllegalStateException(GazelleSettings.CLIENT_ID
                + " is not set: set " + GazelleSettings.CLIENT_ID + " and " + GazelleSettings.CLIENT_SECRET
                + " to the Gazelle OAuth application's credentials and restart tokenkeeper"));
        URI base = settings.authorizeUrl();
        String query = "client_id=" + encode(clientId)
                + "&response_type=code"
                + "&redirect_uri=" + encode(redirectUri.toString())
                + "&state=" + encode(state)
                + codeChallenge.map(c -> "&code_challenge=" + encode(c) + "&code_challenge_method=S256").orElse("");
        String withoutFragment = base.getRawFragment() == null ? base.toString()
                : base.toString().substring(0, base.toString().indexOf('#'));
        return Optional.of(URI.create(withoutFragment + (base.getRawQuery() == null ? "?" : "&") + query));
    }

    /** The {@code system_settings} row {@code gazelle_oauth_token} existing deployments read. */
    @Override
    public Optional<LegacyRow> legacyRow() {
        return Optional.of(SettingsRowShape.ROW);
    }

    /** A token JSON, an access token alone, or an authorization code from {@code tokenkeeper authorize}. */
    @Override
    public Set<String> importForms() {
        return Set.of("token-json", "access-token", "authorization-code");
    }

    /** The token endpoint and the GraphQL API, from their settings. */
    @Override
    public List<UpstreamEndpoint> upstreams() {
        GazelleSettings settings = configured().settings();
        return List.of(new UpstreamEndpoint(GazelleSettings.TOKEN_URL, settings.tokenUrl()),
                new UpstreamEndpoint(GazelleSettings.API_URL, settings.apiUrl()));
    }

    /** @return the settings in force (URLs, whether client credentials are set), never a secret */
    @Override
    public String toString() {
        Configured c = configured;
        return "GazelleProvider[" + (c == null ? "not configured" : c.settings()) + "]";
    }

    private Configured configured() {
        Configured c = configured;
        if (c == null) {
            throw new IllegalStateException("the gazelle provider is not configured: call configure(PluginContext) first");
        }
        return c;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Everything {@link #configure} builds, swapped in at once. */
    private record Configured(GazelleSettings settings, Clock clock, TokenEndpoint tokenEndpoint, ApiProbe apiProbe) {
    }
}
