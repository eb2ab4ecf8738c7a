package dev.tokenkeeper.provider.gazelle.http;

/** Makes text that came from outside fit for a one-line message. */
public final class SafeText {

    private SafeText() {
    }

    /**
     * Replaces control characters (line breaks included) with {@code ?} and shortens the text.
     *
     * @param text      text from an upstream or a user
     * @param maxLength the most characters to keep before {@code ...}
     * @return a single line of at most {@code maxLength + 3} characters
     */
    public static String oneLine(String text, int maxLength) {
        String cut = text.length() > maxLength ? text.substring(0, maxLength) + "..." : text;
        StringBuilder out = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return out.toString();
    }
}
