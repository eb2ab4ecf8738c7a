package dev.tokenkeeper.provider.vinted.session;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.InvalidSecretException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a cookies file exported from a browser: the JSON array that cookie extensions write
 * ({@code [{"name","value","domain","expirationDate",...}]}, also accepted wrapped as
 * {@code {"cookies":[...]}} like a Playwright storage state), or the Netscape {@code cookies.txt}
 * format (seven tab-separated fields, {@code #} comments, {@code #HttpOnly_} lines are cookies).
 * A file holding a plain {@code Cookie:} header is read as one.
 */
public final class CookieFileParser {

    /** A cookie export is an array of flat objects (or one wrapper object): 16 levels is plenty. */
    static final int MAX_NESTING_DEPTH = 16;
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxStringLength(1024 * 1024)
                    .maxNumberLength(64)
                    .build())
            .build());
    private static final String HTTP_ONLY_PREFIX = "#HttpOnly_";
    private static final String EXPECTED =
            "expected a browser-extension JSON export ([{\"name\", \"value\", \"domain\", ...}]) or a Netscape cookies.txt";

    private CookieFileParser() {
    }

    /**
     * @param content the whole file
     * @return every cookie in the file, in file order (possibly empty)
     * @throws InvalidSecretException when the file is JSON of the wrong shape or has lines that are
     *                                not cookies; the message names the place, never a value
     */
    public static List<RawCookie> parse(String content) throws InvalidSecretException {
        String text = content.strip();
        if (text.startsWith("[") || text.startsWith("{")) {
            return fromJson(text);
        }
        return fromNetscape(text);
    }

    private static List<RawCookie> fromJson(String text) throws InvalidSecretException {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (StreamConstraintsException e) {
            throw new InvalidSecretException("the cookies file nests JSON deeper than " + MAX_NESTING_DEPTH
                    + " levels or holds a value over 1 MiB, which no cookie export does: " + EXPECTED);
        } catch (JsonProcessingException e) {
            // The parser's message quotes the input: report the line only.
            JsonLocation where = e.getLocation();
            throw new InvalidSecretException("the cookies file looks like JSON but cannot be parsed"
                    + (where == null ? "" : " (line " + where.getLineNr() + ")") + ": export the cookies again");
        }
        JsonNode array = root.isObject() && root.path("cookies").isArray() ? root.get("cookies") : root;
        if (!array.isArray()) {
            throw new InvalidSecretException("the cookies file is JSON but not an array of cookie objects: " + EXPECTED);
        }
        List<RawCookie> cookies = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode entry = array.get(i);
            JsonNode name = entry.path("name");
            JsonNode value = entry.path("value");
            if (!entry.isObject() || !name.isTextual() || !(value.isTextual() || value.isNumber())) {
                throw new InvalidSecretException("entry " + (i + 1) + " of the JSON cookies file is not a"
                        + " {\"name\", \"value\", ...} object: " + EXPECTED);
            }
            cookies.add(new RawCookie(name.asText().strip(), value.asText().strip(), entry.path("domain").asText("")));
        }
        return cookies;
    }

    private static List<RawCookie> fromNetscape(String text) throws InvalidSecretException {
        List<RawCookie> cookies = new ArrayList<>();
        String[] lines = text.split("\\r?\\n|\\r");
        int cookieLines = 0;
        int firstBadLine = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.startsWith(HTTP_ONLY_PREFIX)) {
                line = line.substring(HTTP_ONLY_PREFIX.length());
            } else if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = lines[i].contains("\t") ? line.split("\t", -1) : line.split("\\s+");
            if (isCookieLine(fields)) {
                cookieLines++;
                String value = fields.length == 7 ? fields[6].strip() : "";
                cookies.add(new RawCookie(fields[5].strip(), value, fields[0].strip()));
            } else if (firstBadLine == 0) {
                firstBadLine = i + 1;
            }
        }
        if (cookieLines == 0 && text.contains("=")) {
            return CookieHeaderParser.parse(text);
        }
        if (cookieLines == 0) {
            throw new InvalidSecretException("the cookies file is neither JSON nor Netscape cookies.txt: " + EXPECTED);
        }
        if (firstBadLine > 0) {
            throw new InvalidSecretException("line " + firstBadLine + " of the cookies file is not a Netscape cookie"
                    + " line (7 tab-separated fields): " + EXPECTED);
        }
        return cookies;
    }

    /** domain, include-subdomains flag, path, secure flag, expiry, name[, value]. */
    private static boolean isCookieLine(String[] fields) {
        return (fields.length == 7 || fields.length == 6) && isFlag(fields[1]) && isFlag(fields[3])
                && !fields[5].isBlank();
    }

    private static boolean isFlag(String field) {
        return field.strip().equalsIgnoreCase("TRUE") || field.strip().equalsIgnoreCase("FALSE");
    }
}
