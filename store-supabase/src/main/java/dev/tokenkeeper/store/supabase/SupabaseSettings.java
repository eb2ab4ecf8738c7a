package dev.tokenkeeper.store.supabase;

import dev.tokenkeeper.api.http.PlainHttp;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.StoreException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What the Supabase store reads from the daemon's settings.
 *
 * @param projectUrl  the project URL without a trailing slash, e.g. {@code https://abcd.supabase.co}
 * @param key         the service-role key; never printed
 * @param tablePrefix the prefix of the store's two tables, e.g. {@code tokenkeeper_}
 * @param timeout     how long one request may take, connecting included
 */
record SupabaseSettings(URI projectUrl, String key, String tablePrefix, Duration timeout) {

    /** Setting naming the project URL (Project Settings > API > Project URL). */
    static final String URL = "SUPABASE_URL";
    /** Setting holding the service-role key (Project Settings > API). */
    static final String KEY = "SUPABASE_SERVICE_ROLE_KEY";
    /** Setting for the table-name prefix. */
    static final String TABLE_PREFIX = "TOKENKEEPER_SUPABASE_TABLE_PREFIX";
    /** Setting for the per-request timeout in seconds, shared with the providers. */
    static final String TIMEOUT = "TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS";
    /** The table-name prefix the shipped SQL uses. */
    static final String DEFAULT_PREFIX = "tokenkeeper_";

    private static final Pattern PREFIX = Pattern.compile("[a-z_][a-z0-9_]{0,40}");
    private static final int DEFAULT_TIMEOUT_SECONDS = 30;

    /**
     * @param context the daemon's settings
     * @return the settings
     * @throws StoreException naming every missing setting, or the one with a value that cannot be used
     */
    static SupabaseSettings from(PluginContext context) {
        List<String> missing = new ArrayList<>();
        String url = context.setting(URL).map(String::trim).orElse(null);
        String key = context.setting(KEY).map(String::trim).orElse(null);
        if (url == null) {
            missing.add(URL);
        }
        if (key == null) {
            missing.add(KEY);
        }
        if (!missing.isEmpty()) {
            throw new StoreException("supabase: " + String.join(" and ", missing) + (missing.size() == 1 ? " is" : " are")
                    + " not set: set " + (missing.size() == 1 ? "it" : "them")
                    + " from the Supabase dashboard (Project Settings > API), or use TOKENKEEPER_STORE=sqlite");
        }
        if (key.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
            throw new StoreException("supabase: " + KEY + " contains spaces or other characters no Supabase key has:"
                    + " copy the service_role key again from Project Settings > API");
        }
        String prefix = context.setting(TABLE_PREFIX, DEFAULT_PREFIX).trim();
        if (!PREFIX.matcher(prefix).matches()) {
            throw new StoreException("supabase: " + TABLE_PREFIX + " '" + PluginContext.printable(prefix) + "' is not a valid table-name"
                    + " prefix: use lower-case letters, digits and '_', for example " + DEFAULT_PREFIX);
        }
        return new SupabaseSettings(projectUrl(url), key, prefix, timeout(context));
    }

    /** @return the credentials table */
    String credentialsTable() {
        return tablePrefix + "credentials";
    }

    /** @return the consumers table */
    String consumersTable() {
        return tablePrefix + "consumers";
    }

    /** @return the history table */
    String historyTable() {
        return tablePrefix + "refresh_history";
    }

    /** @return the project URL as safe to print: scheme, host and port, never user information */
    String printableUrl() {
        return printable(projectUrl);
    }

    /** @return the settings with the key hidden */
    @Override
    public String toString() {
        return "SupabaseSettings[" + printableUrl() + ", tables " + tablePrefix + "*, timeout " + timeout
                + ", key hidden]";
    }

    /**
     * @param url any URL
     * @return scheme, host and port only
     */
    static String printable(URI url) {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
    }

    private static URI projectUrl(String text) {
        String trimmed = text;
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        // A URL pasted from the API docs often ends in /rest/v1; the store adds that itself.
        if (trimmed.endsWith("/rest/v1")) {
            trimmed = trimmed.substring(0, trimmed.length() - "/rest/v1".length());
        }
        URI uri;
        try {
            uri = new URI(trimmed);
        } catch (URISyntaxException e) {
            throw invalidUrl("is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw invalidUrl("must start with https://");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw invalidUrl("has no host name");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw invalidUrl("must not contain a user name, a query or a fragment");
        }
        if (!PlainHttp.allowed(uri)) {
            throw invalidUrl("must start with https:// (http:// is accepted only for localhost and 127.0.0.1: the"
                    + " service key and every token would travel in clear text)");
        }
        return uri;
    }

    private static StoreException invalidUrl(String why) {
        return new StoreException("supabase: " + URL + " " + why + ": set it to the Project URL from Project"
                + " Settings > API, for example https://abcdefghijklmnop.supabase.co");
    }

    private static Duration timeout(PluginContext context) {
        String text = context.setting(TIMEOUT, Integer.toString(DEFAULT_TIMEOUT_SECONDS)).trim();
        try {
            int seconds = Integer.parseInt(text);
            if (seconds >= 1 && seconds <= 3600) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StoreException("supabase: " + TIMEOUT + " must be a whole number of seconds between 1 and 3600,"
                + " not '" + PluginContext.printable(text) + "': fix or remove the setting");
    }
}
