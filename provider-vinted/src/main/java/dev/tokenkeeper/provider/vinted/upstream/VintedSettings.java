package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.api.http.PlainHttp;
import dev.tokenkeeper.api.PluginContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * How to reach Vinted and how politely: read once from the daemon's settings.
 *
 * @param baseUrl            the country site, without a trailing slash ({@code VINTED_BASE_URL})
 * @param timeout            how long one upstream request may take ({@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS})
 * @param userAgent          the browser the requests claim to come from ({@code VINTED_USER_AGENT})
 * @param acceptLanguage     the {@code Accept-Language} a browser on that site would send
 * @param maxRequestsPer5Min the request budget across all sessions ({@code VINTED_MAX_REQUESTS_PER_5_MIN})
 * @param blockedBackoff     how long to leave Vinted alone after an anti-bot answer
 *                           ({@code VINTED_BLOCKED_BACKOFF_SECONDS})
 * @param refreshSpacing     the least time between the scheduled refreshes of two sessions
 *                           ({@code VINTED_REFRESH_SPACING_SECONDS}; by default the time the request
 *                           budget needs for one refresh's two requests: 60 s with the default budget)
 */
public record VintedSettings(URI baseUrl,
                             Duration timeout,
                             String userAgent,
                             String acceptLanguage,
                             int maxRequestsPer5Min,
                             Duration blockedBackoff,
                             Duration refreshSpacing) {

    /** Setting: the Vinted site. */
    public static final String BASE_URL = "VINTED_BASE_URL";
    /** Setting: seconds one upstream request may take. */
    public static final String TIMEOUT_SECONDS = "TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS";
    /** Setting: the {@code User-Agent} to send. */
    public static final String USER_AGENT = "VINTED_USER_AGENT";
    /** Setting: upstream requests allowed per sliding five minutes. */
    public static final String MAX_REQUESTS_PER_5_MIN = "VINTED_MAX_REQUESTS_PER_5_MIN";
    /** Setting: seconds to leave Vinted alone after an anti-bot 403. */
    public static final String BLOCKED_BACKOFF_SECONDS = "VINTED_BLOCKED_BACKOFF_SECONDS";

    /** Setting: seconds between the scheduled refreshes of two sessions. */
    public static final String REFRESH_SPACING_SECONDS = "VINTED_REFRESH_SPACING_SECONDS";

    /** The default site. */
    public static final String DEFAULT_BASE_URL = "https://www.vinted.fr";
    /** A current desktop Chrome on Windows. */
    public static final String DEFAULT_USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"
            + " (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36";

    private static final Map<String, String> LANGUAGES = Map.ofEntries(
            Map.entry("fr", "fr-FR,fr;q=0.9"), Map.entry("be", "fr-BE,fr;q=0.9,nl;q=0.8"),
            Map.entry("de", "de-DE,de;q=0.9"), Map.entry("at", "de-AT,de;q=0.9"),
            Map.entry("es", "es-ES,es;q=0.9"), Map.entry("it", "it-IT,it;q=0.9"),
            Map.entry("nl", "nl-NL,nl;q=0.9"), Map.entry("pl", "pl-PL,pl;q=0.9"),
            Map.entry("pt", "pt-PT,pt;q=0.9"), Map.entry("lt", "lt-LT,lt;q=0.9"),
            Map.entry("cz", "cs-CZ,cs;q=0.9"), Map.entry("uk", "en-GB,en;q=0.9"));

    /** Checks the request budget ({@link #from} never passes a null). */
    public VintedSettings {
        if (maxRequestsPer5Min < 2) {
            // A refresh needs two requests (home page for the CSRF token, then the refresh itself).
            throw new IllegalArgumentException(MAX_REQUESTS_PER_5_MIN + " must be at least 2, got " + maxRequestsPer5Min);
        }
    }

    /**
     * @param context the daemon's settings
     * @return the settings, defaults filled in
     * @throws IllegalArgumentException naming the setting that is malformed and what it should be
     */
    public static VintedSettings from(PluginContext context) {
        URI base = baseUrl(context.setting(BASE_URL, DEFAULT_BASE_URL));
        int budget = (int) Math.min(positive(context, MAX_REQUESTS_PER_5_MIN, 10), Integer.MAX_VALUE);
        Duration budgetShare = RequestBudget.WINDOW.multipliedBy(2).dividedBy(Math.max(2, budget));
        return new VintedSettings(base,
                Duration.ofSeconds(positive(context, TIMEOUT_SECONDS, 30)),
                context.setting(USER_AGENT, DEFAULT_USER_AGENT).strip(),
                acceptLanguage(base.getHost()),
                budget,
                Duration.ofSeconds(nonNegative(context, BLOCKED_BACKOFF_SECONDS, 900)),
                context.setting(REFRESH_SPACING_SECONDS).isPresent()
                        ? Duration.ofSeconds(nonNegative(context, REFRESH_SPACING_SECONDS, 0)) : budgetShare);
    }

    /** @return the site's host, e.g. {@code www.vinted.fr} */
    public String host() {
        return baseUrl.getHost();
    }

    /**
     * @param path an absolute path such as {@code /web/api/auth/refresh}
     * @return the URL on the configured site
     */
    public URI resolve(String path) {
        return URI.create(baseUrl + path);
    }

    private static URI baseUrl(String text) {
        String trimmed = text.strip();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        try {
            URI uri = new URI(trimmed);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("https") || scheme.equals("http")) && uri.getHost() != null
                    && uri.getQuery() == null && uri.getFragment() == null) {
                if (!PlainHttp.allowed(uri)) {
                    throw new IllegalArgumentException(BASE_URL + " uses http:// to a host other than this machine:"
                            + " the session would travel in clear text; use https:// such as " + DEFAULT_BASE_URL);
                }
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new IllegalArgumentException(BASE_URL + " must be an http(s) URL such as " + DEFAULT_BASE_URL
                + ", got '" + trimmed + "'");
    }

    private static long positive(PluginContext context, String name, long defaultValue) {
        long value = number(context, name, defaultValue);
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be a positive whole number, got " + value);
        }
        return value;
    }

    private static long nonNegative(PluginContext context, String name, long defaultValue) {
        long value = number(context, name, defaultValue);
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, got " + value);
        }
        return value;
    }

    private static long number(PluginContext context, String name, long defaultValue) {
        String text = context.setting(name).map(String::strip).orElse(null);
        if (text == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + text + "'");
        }
    }

    private static String acceptLanguage(String host) {
        String tld = host.substring(host.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        String primary = LANGUAGES.getOrDefault(tld, "en-US,en;q=0.9");
        return primary.startsWith("en") ? primary : primary + ",en-US;q=0.8,en;q=0.7";
    }
}
