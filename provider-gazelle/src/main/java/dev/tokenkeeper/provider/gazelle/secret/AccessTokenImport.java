package dev.tokenkeeper.provider.gazelle.secret;

import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads an access token without its refresh token, the existing deployments' way to start over when
 * the refresh token is gone: the {@code Authorization: Bearer ...} value of a request to
 * {@code /graphql/private/} copied from a browser's developer tools. Takes the bare token, the value
 * {@code Bearer <token>} or the whole header line. Such a secret cannot refresh: it is served until
 * its access token expires, which Gazelle sets 30 days after issuing it.
 *
 * <p>Every rejection is one line naming what is wrong; no value from the input is ever quoted.
 */
public final class AccessTokenImport {

    /** How long Gazelle's access tokens live. */
    public static final Duration GAZELLE_ACCESS_LIFETIME = Duration.ofDays(30);

    /** The command that imports a fresh one, for messages. */
    public static final String COMMAND = "tokenkeeper import gazelle --access-token -";

    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]{8,4096}");

    private AccessTokenImport() {
    }

    /**
     * @param pasted the text a user handed over
     * @param now    the current time: the token is taken as issued now
     * @return the secret, expiring 30 days from now, with a warning saying so
     * @throws InvalidSecretException naming what is wrong with the text
     */
    public static ImportedSecret read(String pasted, Instant now) throws InvalidSecretException {
        String text = pasted.strip();
        if (text.regionMatches(true, 0, "Authorization:", 0, 14)) {
            text = text.substring(14).strip();
        }
        if (text.regionMatches(true, 0, "Bearer ", 0, 7)) {
            text = text.substring(7).strip();
        }
        if (text.isEmpty()) {
            throw new InvalidSecretException("the access token is empty; expected the bare token, `Bearer <token>` or "
                    + "the line `Authorization: Bearer <token>` copied from the browser's developer tools");
        }
        if (text.startsWith("{")) {
            throw new InvalidSecretException("this looks like a token JSON, not an access token: import it with "
                    + "`tokenkeeper import gazelle --token-json FILE`");
        }
        if (!TOKEN.matcher(text).matches()) {
            throw new InvalidSecretException("the access token must be one word of 8 to 4096 visible ASCII characters "
                    + "(found " + (text.codePoints().anyMatch(Character::isWhitespace) ? "spaces or several lines"
                    : text.length() < 8 ? "fewer than 8 characters" : "other characters") + "); expected the bare token, "
                    + "`Bearer <token>` or the line `Authorization: Bearer <token>`");
        }
        List<String> warnings = new ArrayList<>();
        warnings.add("the token's issue time is unknown: tokenkeeper assumes it was issued now and serves it for "
                + "Gazelle's 30 days; if it was copied from an older session it ends earlier (every sweep validates it)");
        return withoutRefresh(text, GazelleSecret.DEFAULT_TOKEN_TYPE, now, Optional.of(now.plus(GAZELLE_ACCESS_LIFETIME)),
                now, warnings);
    }

    /**
     * The secret of an access token that has no refresh token: its end is the access token's expiry,
     * which is also the end of the credential.
     *
     * @param accessToken     the access token
     * @param tokenType       the token type
     * @param issuedAt        when it was issued (or now, when unknown)
     * @param accessExpiresAt when it expires, if the input said; else 30 days after {@code issuedAt}
     * @param now             the current time
     * @param warnings        the warnings so far; one is added that says what the credential is
     * @return the secret
     * @throws InvalidSecretException when it has already expired
     */
    static ImportedSecret withoutRefresh(String accessToken, String tokenType, Instant issuedAt,
                                         Optional<Instant> accessExpiresAt, Instant now, List<String> warnings)
            throws InvalidSecretException {
        Instant end = accessExpiresAt.orElse(issuedAt.plus(GAZELLE_ACCESS_LIFETIME));
        if (!end.isAfter(now)) {
            throw new InvalidSecretException("the access token expired at " + end + " and there is no refresh token: "
                    + "copy a fresh one from the browser's developer tools and run `" + COMMAND + "`");
        }
        List<String> all = new ArrayList<>(warnings);
        if (accessExpiresAt.isEmpty()) {
            all.add("expires_in is missing: assumed Gazelle's 30 days from the issue time");
        }
        all.add("no refresh token: tokenkeeper cannot refresh it and serves it until " + end
                + "; import again before then (`" + COMMAND + "`), or import a token JSON with a refresh_token");
        IssuedSecret issued = new IssuedSecret(GazelleSecret.accessOnly(accessToken, tokenType), issuedAt,
                Optional.of(end), Optional.of(end));
        return new ImportedSecret(issued, all);
    }
}
