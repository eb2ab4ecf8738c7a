package dev.tokenkeeper.provider.vinted.session;

import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

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
     * those stored for a Vinted domain, one value per name. A browser export of all sites may hold
     * the same names for several Vinted countries: the configured site's win; when no site's cookies
     * are the configured one's (or several are), the site with the valid and newest token pair wins,
     * and a warning names it.
     */
    private Selection select(List<RawCookie> cookies) {
        Map<String, List<RawCookie>> bySite = new LinkedHashMap<>();
        for (RawCookie cookie : cookies) {
            if (cookie.value().isEmpty() || !(cookie.domain().isEmpty() || isVinted(cookie.domain()))) {
                continue;
            }
            bySite.computeIfAbsent(site(cookie.domain()), k -> new ArrayList<>()).add(cookie);
        }
        List<String> warnings = new ArrayList<>();
        List<String> withTokens = bySite.entrySet().stream()
                .filter(e -> e.getValue().stream().anyMatch(c -> isToken(c.name())))
                .map(Map.Entry::getKey).collect(Collectors.toList());
        List<String> configured = withTokens.stream()
                .filter(site -> bySite.get(site).stream().anyMatch(c -> c.domain().isEmpty() || sentToSite(c.domain())))
                .collect(Collectors.toList());
        String preferred;
        if (configured.size() == 1) {
            preferred = configured.get(0);
        } else if (withTokens.size() == 1) {
            preferred = withTokens.get(0);
        } else if (withTokens.isEmpty()) {
            preferred = "";
        } else {
            List<String> candidates = configured.isEmpty() ? withTokens : configured;
            preferred = candidates.stream()
                    .max(Comparator.comparing((String site) -> pairRank(bySite.get(site))))
                    .orElseThrow();
            warnings.add("the cookies hold vinted sessions of several sites (" + String.join(", ", candidates)
                    + ") and " + (configured.isEmpty() ? "none is the configured site " + siteHost
                    : "the configured site " + siteHost + " does not decide") + ": used " + preferred
                    + "'s, the valid and newest pair; set VINTED_BASE_URL to that site, or export its cookies only");
        }
        Map<String, RawCookie> chosen = new LinkedHashMap<>();
        for (RawCookie cookie : bySite.getOrDefault(preferred, List.of())) {
            RawCookie earlier = chosen.get(cookie.name());
            if (earlier == null || isToken(cookie.name()) && tokenRank(cookie).compareTo(tokenRank(earlier)) > 0) {
                chosen.put(cookie.name(), cookie);
            }
        }
        for (List<RawCookie> site : bySite.values()) {
            for (RawCookie cookie : site) {
                RawCookie earlier = chosen.get(cookie.name());
                if (earlier == null || (!sentToSite(earlier.domain()) && sentToSite(cookie.domain())
                        && !site(earlier.domain()).equals(preferred))) {
                    chosen.put(cookie.name(), cookie);
                }
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        chosen.forEach((name, cookie) -> values.put(name, cookie.value()));
        return new Selection(SessionCookies.of(values), warnings);
    }

    /** The cookies picked and what the user should know about the choice (never a value). */
    private record Selection(SessionCookies session, List<String> warnings) {
    }

    private static boolean isToken(String name) {
        return name.equals(SessionCookies.ACCESS_TOKEN) || name.equals(SessionCookies.REFRESH_TOKEN);
    }

    /** A Vinted site: the domain without a leading dot or {@code www.}; "" for cookies without one. */
    private static String site(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        d = d.startsWith(".") ? d.substring(1) : d;
        return d.startsWith("www.") ? d.substring(4) : d;
    }

    /** Valid tokens first (a JWT, not expired), then the newest (issued or expiring latest). */
    private Rank tokenRank(RawCookie cookie) {
        Optional<TokenClaims> claims = TokenClaims.decode(cookie.value());
        if (claims.isEmpty()) {
            return new Rank(0, Instant.MIN);
        }
        Instant now = clock.instant();
        boolean live = claims.get().expiresAt().map(exp -> exp.isAfter(now)).orElse(true);
        Instant newest = claims.get().issuedAt().or(() -> claims.get().expiresAt()).orElse(Instant.MIN);
        return new Rank(live ? 2 : 1, newest);
    }

    /** A site's pair: both valid beats one valid; then the newest refresh token, then access token. */
    private Rank pairRank(List<RawCookie> site) {
        Rank access = best(site, SessionCookies.ACCESS_TOKEN);
        Rank refresh = best(site, SessionCookies.REFRESH_TOKEN);
        Instant newest = refresh.newest().isAfter(access.newest()) ? refresh.newest() : access.newest();
        return new Rank(access.validity() + refresh.validity(), newest);
    }

    private Rank best(List<RawCookie> site, String name) {
        return site.stream().filter(c -> c.name().equals(name)).map(this::tokenRank)
                .max(Comparator.naturalOrder()).orElse(new Rank(0, Instant.MIN));
    }

    /** How usable a token (or pair) is: validity points, then how new. */
    private record Rank(int validity, Instant newest) implements Comparable<Rank> {
        @Override
        public int compareTo(Rank other) {
            int byValidity = Integer.compare(validity, other.validity);
            return byValidity != 0 ? byValidity : newest.compareTo(other.newest);
        }
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

    private ImportedSecret check(Selection selection, String where) throws InvalidSecretException {
        SessionCookies session = selection.session();
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
        List<String> warnings = new ArrayList<>(selection.warnings());
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
