package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.api.SecretInput;

/**
 * Tells which of the forms the API takes a pasted secret is, so one text box takes what users have:
 * a token JSON object ({@code {"access_token": ...}}), a browser cookie export (a JSON array, a JSON
 * object with {@code cookies}, or {@code cookies.txt} lines), or else a {@code Cookie} header.
 * The provider then reads the form as {@code PUT /api/v1/credentials/{id}} would.
 */
final class SecretForms {

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
        return "a Cookie header";
    }
}
