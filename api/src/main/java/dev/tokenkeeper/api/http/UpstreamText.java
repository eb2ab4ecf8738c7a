package dev.tokenkeeper.api.http;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes free text that came from an upstream (an OAuth {@code error_description}, an HTML error
 * page, a message) fit to store, log and show: one bounded line in which token-like runs and every
 * fragment of a known secret are replaced by {@value #REDACTED}. A server may echo what it was
 * sent, whole or in part, so text from outside is never kept verbatim.
 */
public final class UpstreamText {

    /** What replaces a removed run. */
    public static final String REDACTED = "[redacted]";
    /** The shortest fragment of a secret that is removed; shorter ones are too common to carry a secret. */
    public static final int MIN_FRAGMENT = 8;

    /** Three dot-separated base64url parts, the first starting like a JSON object: a JWT. */
    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]*)?");
    /** 16+ hex digits: a hash, a key, a session id. */
    private static final Pattern HEX = Pattern.compile("(?<![A-Za-z0-9])[0-9a-fA-F]{16,}(?![A-Za-z0-9])");
    /** 20+ characters of the base64 alphabets with both a letter and a digit: words and names are not like that. */
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/_.~-]{20,}={0,2}");

    private UpstreamText() {
    }

    /**
     * @param text      text from outside, possibly null
     * @param secrets   secret values the caller holds or sent (null and short entries are ignored)
     * @param maxLength the most characters to keep before {@code ...}
     * @return one line of at most {@code maxLength + 3} characters, without control characters,
     *         token-like runs or any {@value #MIN_FRAGMENT}+ character fragment of a secret
     */
    public static String summary(String text, Collection<String> secrets, int maxLength) {
        if (text == null) {
            return "";
        }
        // Cut generously first so the work is bounded; what is cut off is never shown anyway.
        String work = text.length() > 4 * maxLength + 64 ? text.substring(0, 4 * maxLength + 64) : text;
        work = removeFragments(work, secrets == null ? List.of() : secrets);
        work = JWT.matcher(work).replaceAll(REDACTED);
        work = HEX.matcher(work).replaceAll(REDACTED);
        work = BASE64.matcher(work).replaceAll(match -> tokenLike(match.group())
                ? Matcher.quoteReplacement(REDACTED) : Matcher.quoteReplacement(match.group()));
        StringBuilder line = new StringBuilder(work.length());
        work.codePoints().forEach(c -> line.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
        String result = line.toString().strip();
        return result.length() > maxLength ? result.substring(0, maxLength) + "..." : result;
    }

    /**
     * @param text    text to search
     * @param secrets secret values
     * @return whether the text holds a fragment of {@value #MIN_FRAGMENT}+ characters of a secret
     */
    public static boolean containsFragment(String text, Collection<String> secrets) {
        Objects.requireNonNull(text, "text");
        return !removeFragments(text, secrets).equals(text);
    }

    private static boolean tokenLike(String run) {
        boolean letter = false;
        boolean digit = false;
        for (int i = 0; i < run.length(); i++) {
            char c = run.charAt(i);
            letter |= Character.isLetter(c);
            digit |= Character.isDigit(c);
        }
        // A dotted name (a host, a package) is not a token unless it is long and mixed.
        return letter && digit && !(run.contains(".") && run.length() < 40);
    }

    private static String removeFragments(String text, Collection<String> secrets) {
        boolean[] hidden = new boolean[text.length()];
        boolean any = false;
        for (String secret : secrets) {
            if (secret == null || secret.length() < MIN_FRAGMENT) {
                continue;
            }
            int reach = 0; // text[start, reach) is known to be inside the secret (a suffix of the last match)
            for (int start = 0; start + MIN_FRAGMENT <= text.length(); start++) {
                int end = Math.max(start + MIN_FRAGMENT, reach);
                if (end == start + MIN_FRAGMENT && !secret.contains(text.substring(start, end))) {
                    continue;
                }
                while (end < text.length() && secret.contains(text.substring(start, end + 1))) {
                    end++;
                }
                reach = end;
                for (int i = start; i < end; i++) {
                    hidden[i] = true;
                }
                any = true;
            }
        }
        if (!any) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            if (!hidden[i]) {
                out.append(text.charAt(i));
            } else if (i == 0 || !hidden[i - 1]) {
                out.append(REDACTED);
            }
        }
        return out.toString();
    }
}
