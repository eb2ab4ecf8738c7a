package dev.tokenkeeper.provider.vinted.session;

import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.SecretMaterial;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The cookies of one Vinted web session: the two JWTs and every companion cookie (session,
 * tracking and anti-bot cookies), all of which a browser would send. Immutable.
 *
 * <p>In {@link SecretMaterial} each cookie is one field named {@code cookie.<name>}.
 */
public final class SessionCookies {

    /** The access token cookie. */
    public static final String ACCESS_TOKEN = "access_token_web";
    /** The refresh token cookie. */
    public static final String REFRESH_TOKEN = "refresh_token_web";
    /** The prefix of cookie fields in {@link SecretMaterial}. */
    public static final String FIELD_PREFIX = "cookie.";

    private final Map<String, String> cookies;

    private SessionCookies(Map<String, String> cookies) {
        this.cookies = Map.copyOf(cookies);
    }

    /**
     * @param cookies cookie name to value
     * @return the session
     */
    public static SessionCookies of(Map<String, String> cookies) {
        return new SessionCookies(cookies);
    }

    /**
     * Reads the {@code cookie.*} fields of stored secret material; other fields are ignored.
     *
     * @param secret the material
     * @return the session
     */
    public static SessionCookies fromMaterial(SecretMaterial secret) {
        Map<String, String> cookies = new HashMap<>();
        secret.fields().forEach((field, value) -> {
            if (field.startsWith(FIELD_PREFIX) && field.length() > FIELD_PREFIX.length()) {
                cookies.put(field.substring(FIELD_PREFIX.length()), value);
            }
        });
        return new SessionCookies(cookies);
    }

    /** @return one {@code cookie.<name>} field per cookie */
    public SecretMaterial toMaterial() {
        Map<String, String> fields = new HashMap<>();
        cookies.forEach((name, value) -> fields.put(FIELD_PREFIX + name, value));
        return new SecretMaterial(fields);
    }

    /**
     * @param name a cookie name
     * @return its value, if the session has it
     */
    public Optional<String> get(String name) {
        return Optional.ofNullable(cookies.get(name));
    }

    /** @return true when the session has no cookies at all */
    public boolean isEmpty() {
        return cookies.isEmpty();
    }

    /** @return the value of a {@code Cookie:} request header carrying every cookie, in name order */
    public String header() {
        return new TreeMap<>(cookies).entrySet().stream()
                .map(cookie -> cookie.getKey() + '=' + cookie.getValue())
                .collect(Collectors.joining("; "));
    }

    /**
     * Applies what a response set, the way a browser would: every new value replaces the old one,
     * deletions remove the cookie. A deletion of one of the two tokens is ignored: losing the refresh
     * token would end the session, and the next refresh says whether it is really gone.
     *
     * @param updates the response's {@code Set-Cookie} headers, in order
     * @return the updated session
     */
    public SessionCookies apply(Collection<SetCookie> updates) {
        Map<String, String> next = new HashMap<>(cookies);
        for (SetCookie update : updates) {
            if (!update.deletes()) {
                next.put(update.name(), update.value());
            } else if (!update.name().equals(ACCESS_TOKEN) && !update.name().equals(REFRESH_TOKEN)) {
                next.remove(update.name());
            }
        }
        return new SessionCookies(next);
    }

    /**
     * The lifetimes a scheduler needs, read from the tokens' {@code exp} and {@code iat} claims.
     * A token that cannot be decoded gives no expiry.
     *
     * @param now used as the issue time when the access token does not say
     * @return the secret and its lifetimes
     */
    /**
     * @param name  a cookie name
     * @param value its value
     * @return a copy with that cookie set
     */
    public SessionCookies with(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(cookies);
        copy.put(name, value);
        return of(copy);
    }

    /**
     * The cookies an anonymous browser has too: the anti-bot and visitor cookies, without the tokens,
     * the logged-in session cookie ({@code _vinted_*_session}) and the user ids. Used to load a page
     * when the account cookies are expired (an expired session can be redirected away from it).
     *
     * @return a copy without the account cookies
     */
    public SessionCookies withoutAccountCookies() {
        Map<String, String> copy = new HashMap<>(cookies);
        copy.keySet().removeIf(SessionCookies::isAccountCookie);
        return of(copy);
    }

    /**
     * The refresh token with the anti-bot cookies, and nothing that ties the request to the browser
     * session (so no CSRF token is expected): how some clients refresh when the site's page carries no
     * CSRF token.
     *
     * @return a copy with the refresh token and the non-account cookies only
     */
    public SessionCookies refreshTokenAlone() {
        Map<String, String> copy = new HashMap<>(cookies);
        copy.keySet().removeIf(name -> isAccountCookie(name) && !name.equals(REFRESH_TOKEN));
        return of(copy);
    }

    /**
     * @param now the current time
     * @return true when the access token is readable and its expiry has passed
     */
    public boolean accessTokenExpired(Instant now) {
        return get(ACCESS_TOKEN).flatMap(TokenClaims::decode).flatMap(TokenClaims::expiresAt)
                .map(expiry -> !expiry.isAfter(now)).orElse(false);
    }

    private static boolean isAccountCookie(String name) {
        return name.equals(ACCESS_TOKEN) || name.equals(REFRESH_TOKEN) || name.equals("v_uid") || name.equals("v_sid")
                || (name.startsWith("_vinted_") && name.endsWith("_session"));
    }

    /** @return true when the access token is a JWT whose expiry can be read */
    public boolean hasReadableAccessToken() {
        return get(ACCESS_TOKEN).flatMap(TokenClaims::decode).flatMap(TokenClaims::expiresAt).isPresent();
    }

    public IssuedSecret issued(Instant now) {
        Optional<TokenClaims> access = get(ACCESS_TOKEN).flatMap(TokenClaims::decode);
        Optional<TokenClaims> refresh = get(REFRESH_TOKEN).flatMap(TokenClaims::decode);
        return new IssuedSecret(toMaterial(),
                access.flatMap(TokenClaims::issuedAt).orElse(now),
                access.flatMap(TokenClaims::expiresAt),
                refresh.flatMap(TokenClaims::expiresAt));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SessionCookies that && cookies.equals(that.cookies);
    }

    @Override
    public int hashCode() {
        return cookies.hashCode();
    }

    /** @return the cookie names only, never the values */
    @Override
    public String toString() {
        return "SessionCookies" + new TreeMap<>(cookies).keySet() + " (values hidden)";
    }
}
