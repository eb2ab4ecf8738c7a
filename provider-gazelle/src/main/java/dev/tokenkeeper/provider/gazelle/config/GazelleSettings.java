package dev.tokenkeeper.provider.gazelle.config;

import dev.tokenkeeper.api.http.PlainHttp;
import dev.tokenkeeper.api.PluginContext;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Optional;

/**
 * The Gazelle provider's settings, read once from the daemon's {@link PluginContext}.
 *
 * @param tokenUrl       the OAuth token endpoint ({@value #TOKEN_URL})
 * @param authorizeUrl   the OAuth authorization endpoint ({@value #AUTHORIZE_URL})
 * @param apiUrl         the GraphQL endpoint used to validate tokens ({@value #API_URL})
 * @param clientId       the OAuth client id ({@value #CLIENT_ID}), if set
 * @param clientSecret   the OAuth client secret ({@value #CLIENT_SECRET}), if set
 * @param requestTimeout how long one upstream call may take ({@value #TIMEOUT})
 */
public record GazelleSettings(URI tokenUrl,
                              URI authorizeUrl,
                              URI apiUrl,
                              Optional<String> clientId,
                              Optional<String> clientSecret,
                              Duration requestTimeout) {

    /** Setting: the OAuth client id. */
    public static final String CLIENT_ID = "GAZELLE_CLIENT_ID";
    /** Setting: the OAuth client secret. */
    public static final String CLIENT_SECRET = "GAZELLE_CLIENT_SECRET";
    /** Setting: the token endpoint. */
    public static final String TOKEN_URL = "GAZELLE_OAUTH_TOKEN_URL";
    /** Setting: the authorization endpoint. */
    public static final String AUTHORIZE_URL = "GAZELLE_OAUTH_AUTHORIZE_URL";
    /** Setting: the GraphQL API. */
    public static final String API_URL = "GAZELLE_API_URL";
    /** Setting: the timeout of one upstream call, in whole seconds. */
    public static final String TIMEOUT = "TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS";

    /** Default of {@value #TOKEN_URL}. */
    public static final String DEFAULT_TOKEN_URL = "https://gazelleapp.io/developer/oauth/token";
    /** Default of {@value #AUTHORIZE_URL}. */
    public static final String DEFAULT_AUTHORIZE_URL = "https://gazelleapp.io/developer/oauth/authorize";
    /** Default of {@value #API_URL}. */
    public static final String DEFAULT_API_URL = "https://gazelleapp.io/graphql/private";
    /** Default of {@value #TIMEOUT}, in seconds. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 30;

    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** Rejects a timeout that is not positive ({@link #from} never passes a null). */
    public GazelleSettings {
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new IllegalArgumentException(TIMEOUT + " must be a positive number of seconds");
        }
    }

    /**
     * Reads every setting, applying the defaults.
     *
     * @param context the daemon's settings
     * @return the settings
     * @throws IllegalArgumentException naming the setting that is not a valid URL or number
     */
    public static GazelleSettings from(PluginContext context) {
        return new GazelleSettings(
                url(context, TOKEN_URL, DEFAULT_TOKEN_URL),
                url(context, AUTHORIZE_URL, DEFAULT_AUTHORIZE_URL),
                url(context, API_URL, DEFAULT_API_URL),
                context.setting(CLIENT_ID).map(String::strip),
                context.setting(CLIENT_SECRET).map(String::strip),
                Duration.ofSeconds(seconds(context)));
    }

    /** @return the connect timeout: the request timeout, but at most 10 seconds */
    public Duration connectTimeout() {
        return requestTimeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? requestTimeout : MAX_CONNECT_TIMEOUT;
    }

    /** @return the URLs and whether the client credentials are set, never the secret */
    @Override
    public String toString() {
        return "GazelleSettings[tokenUrl=" + tokenUrl + ", authorizeUrl=" + authorizeUrl + ", apiUrl=" + apiUrl
                + ", clientId=" + (clientId.isPresent() ? "set" : "unset")
                + ", clientSecret=" + (clientSecret.isPresent() ? "set" : "unset")
                + ", requestTimeout=" + requestTimeout + "]";
    }

    private static URI url(PluginContext context, String name, String defaultValue) {
        String text = context.setting(name, defaultValue).strip();
        // The value is not echoed: a URL may carry user:password.
        String problem = name + " is not an absolute http(s) URL; set it to something like " + defaultValue;
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(problem);
        }
        String scheme = uri.getScheme();
        if (scheme == null || uri.getHost() == null
                || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw new IllegalArgumentException(problem);
        }
        if (!PlainHttp.allowed(uri)) {
            throw new IllegalArgumentException(name + " uses http:// to a host other than this machine: tokens would"
                    + " travel in clear text; use https:// (http:// is accepted only for localhost and 127.0.0.1)");
        }
        return uri;
    }

    private static long seconds(PluginContext context) {
        Optional<String> text = context.setting(TIMEOUT).map(String::strip);
        if (text.isEmpty()) {
            return DEFAULT_TIMEOUT_SECONDS;
        }
        try {
            long value = Long.parseLong(text.get());
            if (value > 0 && value <= 3600) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(TIMEOUT + " must be a whole number of seconds between 1 and 3600 (default "
                + DEFAULT_TIMEOUT_SECONDS + ")");
    }
}
