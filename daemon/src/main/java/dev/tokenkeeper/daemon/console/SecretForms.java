package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.api.SecretInput;

import java.util.regex.Pattern;

/**
 * Tells which of the forms the API takes a pasted secret is, so one text box takes what users have:
 * a token JSON object ({@code {"access_token": ...}}), a browser cookie export (a JSON array, a JSON
 * object with {@code cookies}, or {@code cookies.txt} lines), an access token alone (a bare token,
 * {@code Bearer <token>} or an {@code Authorization} line), or else a {@code Cookie} header.
 * The provider then reads the form as {@code PUT /api/v1/credentials/{id}} would.
 */
final class SecretForms {

    /** One word without {@code =} or {@code ;}: no cookie header looks like that, an access token does. */
    private static final Pattern BARE_TOKEN = Pattern.compile("[\\x21-\\x7e&&[^=;]]+");

    private SecretForms() {
    }

    static SecretInput detect(String pasted) {
        String text = pasted.strip();
        if (text.startsWith("[")) {
            return new SecretInput.CookieFile(text);
        }
        if (text.startsWith("{")) {
            return text.contains("\"cookies\"") && !text.contains("\"access_token\"")
                    ? new SecretInput.CookieFile(text) : new SecretInput.TokenJson(text);
        }
        if (text.startsWith("# Netscape") || text.startsWith("# HTTP Cookie File") || text.contains("\t")) {
            return new SecretInput.CookieFile(text);
        }
        if (text.regionMatches(true, 0, "Authorization:", 0, 14) || text.regionMatches(true, 0, "Bearer ", 0, 7)
                || BARE_TOKEN.matcher(text).matches()) {
            return new SecretInput.AccessToken(text);
        }
        if (text.regionMatches(true, 0, "Cookie:", 0, 7)) {
            text = text.substring(7).strip();
        }
        return new SecretInput.CookieHeader(text);
    }

    /** @return how the form is named to the user */
    static String describe(SecretInput input) {
        if (input instanceof SecretInput.TokenJson) {
            return "a token JSON";
        }
        if (input instanceof SecretInput.CookieFile) {
            return "a browser cookie export";
        }
        if (input instanceof SecretInput.AccessToken) {
            return "an access token";
        }
        return "a Cookie header";
    }
}
