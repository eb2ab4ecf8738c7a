package dev.tokenkeeper.daemon.console;

/**
 * Builds an HTML document where every piece of text goes through {@link #text} or {@link #attr} and is
 * escaped there; markup is only ever a constant in the page code. The one way to write a page.
 */
final class Html {

    private final StringBuilder out = new StringBuilder(16 * 1024);

    /** Appends markup written by the page code itself (never user or upstream data). */
    Html raw(String markup) {
        out.append(markup);
        return this;
    }

    /** Appends text, escaped for element content. */
    Html text(Object value) {
        escape(String.valueOf(value));
        return this;
    }

    /** Appends {@code name="value"} with the value escaped, preceded by a space. */
    Html attr(String name, Object value) {
        out.append(' ').append(name).append("=\"");
        escape(String.valueOf(value));
        out.append('"');
        return this;
    }

    /** Appends {@code <tag attrs>text</tag>} with the text escaped. */
    Html element(String tag, Object content) {
        out.append('<').append(tag).append('>');
        escape(String.valueOf(content));
        out.append("</").append(tag).append('>');
        return this;
    }

    private void escape(String s) {
        int clean = 0;
        while (clean < s.length() && plain(s.charAt(clean))) {
            clean++;
        }
        if (clean == s.length()) {
            out.append(s);
            return;
        }
        out.append(s, 0, clean);
        for (int i = clean; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c < 0x20 && c != '\n' && c != '\t' ? '?' : c);
            }
        }
    }

    private static boolean plain(char c) {
        return c >= 0x20 && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'';
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
