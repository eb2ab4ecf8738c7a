package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.StoreException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The PostgreSQL store's settings: where the database is, as whom, in which schema, and how long a
 * call may take. Never prints the password.
 *
 * @param jdbcUrl  the JDBC URL without credentials ({@code jdbc:postgresql://host:port/db?...})
 * @param user     the user, if not in the JDBC URL
 * @param password the password, if any
 * @param schema   the schema holding the tables
 * @param timeout  the bound on every store call (connection, statement, pool wait)
 */
record PostgresSettings(String jdbcUrl, Optional<String> user, Optional<String> password, String schema,
                        Duration timeout) {

    static final String URL = "TOKENKEEPER_POSTGRES_URL";
    static final String PASSWORD_FILE = "TOKENKEEPER_POSTGRES_PASSWORD_FILE";
    static final String SCHEMA = "TOKENKEEPER_POSTGRES_SCHEMA";
    static final String TIMEOUT = "TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS";
    static final String DEFAULT_SCHEMA = "tokenkeeper";
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,39}");

    /**
     * @param context the daemon's settings
     * @return the settings
     * @throws StoreException naming the setting that is missing or wrong
     */
    static PostgresSettings from(PluginContext context) {
        String url = context.setting(URL).orElseThrow(() -> new StoreException("postgres: " + URL
                + " is not set: give the connection string, postgresql://USER@HOST:5432/DB?sslmode=require"
                + " (Supabase: Project Settings > Database > Connection string) or jdbc:postgresql://..."));
        String schema = schema(context);
        Duration timeout = timeout(context);
        Optional<String> passwordFromFile = context.setting(PASSWORD_FILE).map(PostgresSettings::readPassword);
        PostgresSettings parsed = parse(url.trim(), schema, timeout);
        return passwordFromFile.isPresent()
                ? new PostgresSettings(parsed.jdbcUrl(), parsed.user(), passwordFromFile, schema, timeout)
                : parsed;
    }

    /**
     * @param context the daemon's settings
     * @return the schema name from {@value #SCHEMA}, checked to be a plain lower-case identifier
     */
    static String schema(PluginContext context) {
        String schema = context.setting(SCHEMA, DEFAULT_SCHEMA).trim();
        if (!IDENTIFIER.matcher(schema).matches()) {
            throw new StoreException("postgres: " + SCHEMA + "=" + schema + " is not a plain schema name: use lower-case"
                    + " letters, digits and _ (at most 40), starting with a letter or _, e.g. " + DEFAULT_SCHEMA);
        }
        return schema;
    }

    private static Duration timeout(PluginContext context) {
        String raw = context.setting(TIMEOUT, "30").trim();
        try {
            long seconds = Long.parseLong(raw);
            if (seconds >= 1 && seconds <= 3600) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StoreException("postgres: " + TIMEOUT + "=" + raw + " is not a number of seconds from 1 to 3600");
    }

    /**
     * @param url    a {@code postgresql://} or {@code postgres://} URI, or a {@code jdbc:postgresql:} URL
     * @param schema the schema
     * @param timeout the call bound
     * @return the settings, with user and password taken out of a URI
     */
    static PostgresSettings parse(String url, String schema, Duration timeout) {
        if (url.startsWith("jdbc:postgresql:")) {
            return new PostgresSettings(url, Optional.empty(), Optional.empty(), schema, timeout);
        }
        if (!url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
            throw new StoreException("postgres: " + URL + " must start with postgresql://, postgres:// or"
                    + " jdbc:postgresql: (it starts with '" + printableStart(url) + "')");
        }
        String rest = url.substring(url.indexOf("://") + 3);
        int slash = rest.indexOf('/');
        int query = rest.indexOf('?');
        int authorityEnd = slash >= 0 ? slash : (query >= 0 ? query : rest.length());
        String authority = rest.substring(0, authorityEnd);
        String tail = rest.substring(authorityEnd);
        Optional<String> user = Optional.empty();
        Optional<String> password = Optional.empty();
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            String rawUser = colon >= 0 ? userInfo.substring(0, colon) : userInfo;
            user = Optional.of(decode(rawUser)).filter(u -> !u.isEmpty());
            if (colon >= 0) {
                password = Optional.of(decode(userInfo.substring(colon + 1)));
            }
        }
        if (authority.isEmpty()) {
            throw new StoreException("postgres: " + URL + " names no host: postgresql://USER@HOST:5432/DB");
        }
        String jdbc = "jdbc:postgresql://" + authority + (tail.isEmpty() ? "/" : tail);
        try {
            new URI(jdbc.substring(5));
        } catch (URISyntaxException e) {
            throw new StoreException("postgres: " + URL + " is not a valid URI after its credentials (" + e.getReason()
                    + "): percent-encode special characters");
        }
        return new PostgresSettings(jdbc, user, password, schema, timeout);
    }

    private static String decode(String part) {
        return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String printableStart(String url) {
        int end = Math.min(url.length(), 12);
        return url.substring(0, end).replaceAll("[^A-Za-z:/+.-]", "?");
    }

    private static String readPassword(String file) {
        Path path = Path.of(file);
        try {
            String content = Files.readString(path, StandardCharsets.UTF_8).strip();
            if (content.isEmpty()) {
                throw new StoreException("postgres: " + PASSWORD_FILE + "=" + file + " is empty: write the password in it");
            }
            return content;
        } catch (IOException e) {
            throw new StoreException("postgres: cannot read " + PASSWORD_FILE + "=" + file + " (" + e.getClass().getSimpleName()
                    + "): check the path and that the daemon's user may read it");
        }
    }

    /** @return the JDBC URL without credentials, for messages */
    String printableUrl() {
        int query = jdbcUrl.indexOf('?');
        return query >= 0 ? jdbcUrl.substring(0, query) : jdbcUrl;
    }

    /** @return without the password */
    @Override
    public String toString() {
        return "PostgresSettings[" + printableUrl() + ", user " + user.orElse("(from URL)") + ", schema " + schema
                + ", timeout " + timeout + "]";
    }
}
