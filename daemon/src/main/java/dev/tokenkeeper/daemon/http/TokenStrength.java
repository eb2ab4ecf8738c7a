package dev.tokenkeeper.daemon.http;

import java.util.List;
import java.util.Locale;

/**
 * An estimate of how many bits a guesser who knows common patterns must spend on a token: the
 * smaller of two bounds.
 * <ul>
 *   <li>The characters used: which of the pool (of the character classes present: lower, upper,
 *       digits, others; at least base64's 64 with both cases) appear, then each character among those. A long run of one letter, or a
 *       token of two letters, stays small however long it is.</li>
 *   <li>The shortest description a greedy parse finds, of three kinds of piece, each priced at what
 *       naming it costs: a character on its own ({@code log2} of the pool, as for a random string); a
 *       copy of text already seen, in the token before this point or in a list of well-known strings
 *       (keyboard rows and columns, the alphabet, digits, words people choose as tokens), priced at
 *       where it starts, its length and its letter case; a run of characters that step by the same
 *       small amount ({@code 13579}, {@code aceg}), priced at its first character, step and length.
 *       So {@code "ab"} repeated is two characters and one copy, and {@code changeme} repeated is one
 *       known word and one copy.</li>
 * </ul>
 * Pieces shorter than a random string shows by chance are not counted as patterns (a copy from the
 * list or a run needs 5 characters, a copy from the token itself 4): then a random token loses nothing
 * but by rare chance, and 16 random bytes in base64url (22 characters) still count about 131 bits,
 * in hex about 165, and the generated 32 bytes about 250.
 */
final class TokenStrength {

    /** The shortest copy of a well-known string counted: 4 characters of ~900 turn up in 1 of 100 random tokens. */
    private static final int MIN_KNOWN_COPY = 5;
    /** The shortest copy of the token itself counted. */
    private static final int MIN_PATTERN = 4;
    /** The shortest run counted: 4 characters stepping by one same amount turn up in 1 of 3,000 random tokens. */
    private static final int MIN_RUN = 5;
    /** Beyond this the estimate is surely high enough; it keeps the quadratic parse short. */
    private static final int MAX_EXAMINED = 512;
    /** Steps of a run: {@code abc} is 1, {@code aceg} 2, {@code 9630} -3; 0 is a repeat, found as a copy. */
    private static final int MAX_STEP = 5;

    /**
     * Strings a guesser tries first, lowercase. The separator keeps copies from running from one
     * into the next.
     */
    private static final String KNOWN = String.join("\u0000", List.of(
            "abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba",
            "01234567890", "09876543210",
            "`1234567890-=", "=-0987654321`", "~!@#$%^&*()_+", "+_)(*&^%$#@!~",
            "qwertyuiop[]\\", "\\][poiuytrewq", "asdfghjkl;'", "';lkjhgfdsa", "zxcvbnm,./", "/.,mnbvcxz",
            "qwertzuiop", "yxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn",
            "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]", "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0",
            "qazwsxedcrfvtgbyhnujmikolp", "147258369", "741852963", "159753", "123654789",
            "password", "passwort", "passphrase", "changeme", "change", "secret", "admin", "administrator", "root",
            "token", "tokenkeeper", "keeper", "letmein", "welcome", "default", "master", "login", "access", "bearer",
            "example", "sample", "test", "testing", "qwerty", "dragon", "monkey", "iloveyou", "trustno1", "sunshine",
            "football", "baseball", "princess", "shadow", "superman", "hello", "freedom", "whatever", "abc123",
            "foobar", "foo", "bar", "baz", "dummy", "placeholder", "insecure", "mysecret", "topsecret", "private",
            "key", "apikey", "api", "auth", "user", "guest", "tokenkeeper-admin", "xxx", "todo", "fixme"));

    /** As long as {@link #KNOWN}, matching nothing: where the copies of the token itself are looked for. */
    private static final String NOT_KNOWN = "\u0000".repeat(KNOWN.length());

    /**
     * What a random string may fall short of the characters bound by chance: 22 random base64url
     * characters use 18 or 19 different ones, but 1 in 100 only 14 or fewer.
     */
    private static final double FEWER_CHARACTERS_ALLOWANCE = 16;

    private TokenStrength() {
    }

    /**
     * @param token the token text
     * @return the estimated bits, rounded down
     */
    static int estimatedBits(String token) {
        String examined = token.length() > MAX_EXAMINED ? token.substring(0, MAX_EXAMINED) : token;
        return (int) Math.floor(Math.min(charactersBound(token), parsed(examined)));
    }

    /** Which characters of the pool are used, then which of those each character is (and the allowance). */
    private static double charactersBound(String token) {
        int pool = pool(token);
        long distinct = Math.min(pool, token.chars().distinct().count());
        return log2Binomial(pool, distinct) + token.length() * log2(distinct) + FEWER_CHARACTERS_ALLOWANCE;
    }

    private static double log2Binomial(int n, long k) {
        double bits = 0;
        for (long j = 1; j <= k; j++) {
            bits += log2(n - k + j) - log2(j);
        }
        return bits;
    }

    private static double parsed(String token) {
        String lower = token.toLowerCase(Locale.ROOT);
        // The well-known strings first, then the token: a copy's source is anywhere before the piece.
        String text = KNOWN + "\u0000" + lower;
        int offset = KNOWN.length() + 1;
        // A copy of the token itself keeps its case; one of a well-known string is priced for it.
        String self = NOT_KNOWN + "\u0000" + token;
        double literal = log2(pool(token));
        double bits = 0;
        int i = 0;
        while (i < token.length()) {
            // The piece that names the most characters per bit, if it beats spelling them out.
            double bestCost = literal;
            int bestLength = 1;
            int known = longestCopy(text, offset + i, 0, offset);
            if (known >= MIN_KNOWN_COPY) {
                double cost = log2(offset + i) + log2(known) + caseBits(token, i, known);
                if (cost / known < bestCost / bestLength) {
                    bestCost = cost;
                    bestLength = known;
                }
            }
            int copy = longestCopy(self, offset + i, offset, offset + i);
            if (copy >= MIN_PATTERN) {
                double cost = log2(offset + i) + log2(copy);
                if (cost / copy < bestCost / bestLength) {
                    bestCost = cost;
                    bestLength = copy;
                }
            }
            int run = runLength(token, i);
            if (run >= MIN_RUN) {
                double cost = literal + log2(2 * MAX_STEP) + log2(run);
                if (cost / run < bestCost / bestLength) {
                    bestCost = cost;
                    bestLength = run;
                }
            }
            bits += bestCost;
            i += bestLength;
        }
        return bits;
    }

    /**
     * The longest piece at {@code at} that also starts at a source in [{@code from}, {@code to}); a
     * copy of the token may overlap the piece itself ({@code abab...} is {@code ab} and one copy).
     */
    private static int longestCopy(String text, int at, int from, int to) {
        int best = 0;
        for (int source = from; source < to; source++) {
            int length = 0;
            while (at + length < text.length() && text.charAt(source + length) == text.charAt(at + length)
                    && text.charAt(at + length) != '\u0000') {
                length++;
            }
            best = Math.max(best, length);
        }
        return best;
    }

    /** The letter case of a copy (the sources are lowercase): one bit for all lower or all upper, else one per letter. */
    private static double caseBits(String token, int at, int length) {
        String piece = token.substring(at, at + length);
        if (piece.equals(piece.toLowerCase(Locale.ROOT)) || piece.equals(piece.toUpperCase(Locale.ROOT))) {
            return 1;
        }
        int letters = 0;
        for (int k = 0; k < piece.length(); k++) {
            letters += Character.isLetter(piece.charAt(k)) ? 1 : 0;
        }
        return letters;
    }

    /** How many characters from {@code at} step by one same non-zero amount of at most {@link #MAX_STEP}. */
    private static int runLength(String token, int at) {
        if (at + 1 >= token.length()) {
            return 1;
        }
        int step = token.charAt(at + 1) - token.charAt(at);
        if (step == 0 || Math.abs(step) > MAX_STEP) {
            return 1;
        }
        int length = 2;
        while (at + length < token.length() && token.charAt(at + length) - token.charAt(at + length - 1) == step) {
            length++;
        }
        return length;
    }

    private static int pool(String token) {
        boolean lower = false;
        boolean upper = false;
        boolean digit = false;
        boolean other = false;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            lower |= c >= 'a' && c <= 'z';
            upper |= c >= 'A' && c <= 'Z';
            digit |= c >= '0' && c <= '9';
            other |= !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9');
        }
        int pool = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 32 : 0);
        // Both cases: base64's alphabet, whose 64 characters a short random token does not all show
        // (1 in 40 of 22 characters has no digit).
        return Math.max(lower && upper ? 64 : 2, pool);
    }

    private static double log2(double value) {
        return Math.log(value) / Math.log(2);
    }
}
