package dev.tokenkeeper.provider.vinted.session;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a {@code Cookie:} request header as users copy it from developer tools: with or without the
 * {@code Cookie:} name, with stray spaces and line breaks.
 */
public final class CookieHeaderParser {

    private static final String HEADER_NAME = "cookie:";

    private CookieHeaderParser() {
    }

    /**
     * Splits the header into cookies: pairs are separated by {@code ;} (or a line break), name and
     * value by the first {@code =}. Pieces without a name are skipped.
     *
     * @param text the pasted header
     * @return the cookies in the order given (possibly empty)
     */
    public static List<RawCookie> parse(String text) {
        String header = text.strip();
        if (header.toLowerCase(Locale.ROOT).startsWith(HEADER_NAME)) {
            header = header.substring(HEADER_NAME.length());
        }
        List<RawCookie> cookies = new ArrayList<>();
        for (String piece : header.split("[;\\r\\n]")) {
            int eq = piece.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String name = piece.substring(0, eq).strip();
            if (!name.isEmpty()) {
                cookies.add(new RawCookie(name, piece.substring(eq + 1).strip(), ""));
            }
        }
        return cookies;
    }
}
