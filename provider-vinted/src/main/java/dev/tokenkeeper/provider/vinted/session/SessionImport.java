package dev.tokenkeeper.provider.vinted.session;

import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Turns what a user pasted or exported into a Vinted session: picks the cookies of the Vinted site,
 * checks that the two tokens are there and decodable, and reads their lifetimes. Every form of the
 * same cookies gives the same session.
 */
public final class SessionImport {

    /** Where a user gets a usable cookie string; appended to every rejection. */
    static final String HOW_TO_COPY =
            "log in to vinted in a browser, open developer tools > Network, copy the Cookie request header";

    private static final Duration SOON = Duration.ofDays(1);
    private static final Pattern PRINTABLE_CLAIM = Pattern.compile("[a-z_]{1,16}");

    private final String siteHost;
    private final Clock clock;

    /**
     * @param siteHost the host of the configured Vinted site ({@code www.vinted.fr}); cookies stored
     *                 for it are preferred over those of other Vinted countries in a cookies file
     * @param clock    the clock that decides whether the refresh token is about to expire
     */
    public SessionImport(String siteHost, Clock clock) {
        this.siteHost = Objects.requireNonNull(siteHost, "siteHost").toLowerCase(Locale.ROOT);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * @param header a {@code Cookie:} header as copied from developer tools
     * @return the session, its lifetimes and warnings
     * @throws InvalidSecretException when a token is missing or not a JWT; the message names it
     */
    public ImportedSecret fromHeader(String header) throws InvalidSecretException {
        if (header.isBlank()) {
            throw new InvalidSecretException("the cookie string is empty: " + HOW_TO_COPY);
        }
        return check(select(CookieHeaderParser.parse(header)), "the cookie string");
    }

    /**
     * @param content a cookies file: JSON export or Netscape {@code cookies.txt}
     * @return the session, its lifetimes and warnings
     * @throws InvalidSecretException when the file is empty or malformed, or a token is missing or
     *                                not a JWT; the message names the problem
     */
    public ImportedSecret fromFile(String content) throws InvalidSecretException {
        if (content.isBlank()) {
            throw new InvalidSecretException("the cookies file is empty: export the cookies of a logged-in vinted tab,"
                    + " or " + HOW_TO_COPY);
        }
        return check(select(CookieFileParser.parse(content)), "the cookies file");
    }

    /**
     * Keeps the cookies a browser would send to the Vinted site: those without a domain (a header),
     * those stored for a Vinted domain, one value per name (the configured site's first).
     */
    private SessionCookies select(List<RawCookie> cookies) {
        Map<String, RawCookie> chosen = new LinkedHashMap<>();
        for (RawCookie cookie : cookies) {
            if (cookie.value().isEmpty() || !(cookie.domain().isEmpty() || isVinted(cookie.domain()))) {
                continue;
            }
            RawCookie earlier = chosen.get(cookie.name());
            if (earlier == null || (!sentToSite(earlier.domain()) && sentToSite(cookie.domain()))) {
                chosen.put(cookie.name(), cookie);
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        chosen.forEach((name, cookie) -> values.put(name, cookie.value()));
        return SessionCookies.of(values);
    }

    private boolean isVinted(String domain) {
        return domain.toLowerCase(Locale.ROOT).contains("vinted") || sentToSite(domain);
    }

    /** RFC 6265 domain matching, leading dot ignored. */
    private boolean sentToSite(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        d = d.startsWith(".") ? d.substring(1) : d;
        return !d.isEmpty() && (siteHost.equals(d) || siteHost.endsWith("." + d));
    }

    private ImportedSecret check(SessionCookies session, String where) throws InvalidSecretException {
        if (session.isEmpty()) {
            throw new InvalidSecretException(where + " holds no vinted cookies: " + HOW_TO_COPY);
        }
        String refreshJwt = require(session, SessionCookies.REFRESH_TOKEN, where);
        String accessJwt = require(session, SessionCookies.ACCESS_TOKEN, where);
        TokenClaims access = decode(accessJwt, SessionCookies.ACCESS_TOKEN);
        TokenClaims refresh = decode(refreshJwt, SessionCookies.REFRESH_TOKEN);
        // A refresh token must say so; an access token without the claim is tolerated.
        requirePurpose(refresh, SessionCookies.REFRESH_TOKEN, "refresh", true);
        requirePurpose(access, SessionCookies.ACCESS_TOKEN, "access", false);

        Instant now = clock.instant();
        List<String> warnings = new ArrayList<>();
        if (access.anonymous() || refresh.anonymous()) {
            warnings.add("the session is anonymous (scope public): log in before copying the cookies,"
                    + " an anonymous session cannot act for a user");
        }
        refresh.expiresAt().ifPresent(exp -> {
            if (!exp.isAfter(now)) {
                warnings.add("refresh_token_web expired at " + exp + ": vinted will reject this session; "
                        + HOW_TO_COPY + " again");
            } else if (!exp.isAfter(now.plus(SOON))) {
                warnings.add("refresh_token_web expires at " + exp + ", within a day: the daemon refreshes it"
                        + " at once; import fresh cookies if that fails");
            }
        });
        if (access.sessionId().isPresent() && refresh.sessionId().isPresent()
                && !access.sessionId().equals(refresh.sessionId())) {
            warnings.add("access_token_web and refresh_token_web belong to different sessions (sid differs):"
                    + " copy both from the same browser at the same time");
        }
        IssuedSecret issued = session.issued(now);
        return new ImportedSecret(issued, warnings);
    }

    private static String require(SessionCookies session, String name, String where) throws InvalidSecretException {
        Optional<String> value = session.get(name);
        if (value.isEmpty()) {
            throw new InvalidSecretException("no " + name + " cookie in " + where + " (is the browser logged in?): "
                    + HOW_TO_COPY);
        }
        return value.get();
    }

    private static TokenClaims decode(String jwt, String name) throws InvalidSecretException {
        return TokenClaims.decode(jwt).orElseThrow(() -> new InvalidSecretException(name
                + " is not a JWT (expected three base64url parts): copy the whole cookie value again; " + HOW_TO_COPY));
    }

    private static void requirePurpose(TokenClaims claims, String name, String expected, boolean mandatory)
            throws InvalidSecretException {
        Optional<String> purpose = claims.purpose();
        if (purpose.isEmpty() && !mandatory || purpose.filter(expected::equals).isPresent()) {
            return;
        }
        String found = purpose.map(p -> PRINTABLE_CLAIM.matcher(p).matches() ? "is '" + p + "'" : "is something else")
                .orElse("is missing");
        throw new InvalidSecretException(name + " is not " + (expected.equals("access") ? "an " : "a ") + expected
                + " token (its purpose claim " + found + "): were the cookies swapped? " + HOW_TO_COPY);
    }
}
