package dev.tokenkeeper.provider.vinted.upstream;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the CSRF token in a Vinted HTML page: the Rails {@code <meta name="csrf-token" content="...">}
 * tag, or the {@code CSRF_TOKEN} value of the page's inline configuration.
 */
public final class CsrfToken {

    private static final List<Pattern> PATTERNS = List.of(
            Pattern.compile("<meta\\s+[^>]*name\\s*=\\s*[\"']csrf-token[\"'][^>]*content\\s*=\\s*[\"']([^\"']+)[\"']",
                    Pattern.CASE_INSENSITIVE),
            Pattern.compile("<meta\\s+[^>]*content\\s*=\\s*[\"']([^\"']+)[\"'][^>]*name\\s*=\\s*[\"']csrf-token[\"']",
                    Pattern.CASE_INSENSITIVE),
            // "CSRF_TOKEN":"...", CSRF_TOKEN = "...", and the JSON-escaped form inside a script string.
            Pattern.compile("CSRF_TOKEN\\\\?[\"']?\\s*[:=]\\s*\\\\?[\"']([^\"'\\\\]+)\\\\?[\"']"));

    private static final Pattern ENTITY = Pattern.compile("&(amp|#[0-9]{1,5}|#[xX][0-9a-fA-F]{1,4});");

    private CsrfToken() {
    }

    /**
     * @param html the page
     * @return the token, if the page carries one
     */
    public static Optional<String> find(String html) {
        for (Pattern pattern : PATTERNS) {
            Matcher matcher = pattern.matcher(html);
            if (matcher.find()) {
                return Optional.of(unescape(matcher.group(1)));
            }
        }
        return Optional.empty();
    }

    /** Undoes the HTML escaping a template may apply to a base64 token ({@code &#43;}, {@code &amp;}). */
    private static String unescape(String attribute) {
        Matcher entity = ENTITY.matcher(attribute);
        StringBuilder out = new StringBuilder();
        while (entity.find()) {
            String body = entity.group(1);
            String replacement;
            if (body.equals("amp")) {
                replacement = "&";
            } else if (body.startsWith("#x") || body.startsWith("#X")) {
                replacement = String.valueOf((char) Integer.parseInt(body.substring(2), 16));
            } else if (body.startsWith("#")) {
                replacement = String.valueOf((char) Integer.parseInt(body.substring(1)));
            } else {
                replacement = entity.group();
            }
            entity.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        entity.appendTail(out);
        return out.toString();
    }
}
