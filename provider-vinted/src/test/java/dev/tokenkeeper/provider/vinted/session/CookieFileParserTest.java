package dev.tokenkeeper.provider.vinted.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tokenkeeper.api.InvalidSecretException;
import java.util.List;
import org.junit.jupiter.api.Test;

class CookieFileParserTest {

    @Test
    void readsNetscapeLinesWithHttpOnlyPrefixEmptyValuesAndSpaces() throws InvalidSecretException {
        String file = "# Netscape HTTP Cookie File\n"
                + "#HttpOnly_.vinted.fr\tTRUE\t/\tTRUE\t1780000000\trefresh_token_web\tR1\n"
                + ".vinted.fr\tTRUE\t/\tFALSE\t0\tempty\t\n"
                + "www.vinted.fr  FALSE  /  TRUE  1780000000  v_sid  S1\r\n";
        assertEquals(List.of(new RawCookie("refresh_token_web", "R1", ".vinted.fr"),
                new RawCookie("empty", "", ".vinted.fr"),
                new RawCookie("v_sid", "S1", "www.vinted.fr")), CookieFileParser.parse(file));
    }

    @Test
    void aHeaderSavedToAFileIsReadAsAHeader() throws InvalidSecretException {
        assertEquals(List.of(new RawCookie("a", "1", ""), new RawCookie("b", "2=3", "")),
                CookieFileParser.parse("Cookie: a=1; b=2=3\n"));
    }

    @Test
    void headerParsingTakesTheFirstEqualsSignAndSkipsJunk() {
        assertEquals(List.of(new RawCookie("a", "x=y", ""), new RawCookie("b", "", "")),
                CookieHeaderParser.parse("cookie: a=x=y;; junk ; =nameless; b=\n"));
    }

    @Test
    void aDeeplyNestedJsonFileIsRefusedWithAClearMessage() {
        for (String file : List.of("[".repeat(60_000), "{\"cookies\":" + "[".repeat(60_000), "[" + "{\"a\":".repeat(60_000))) {
            InvalidSecretException refused = org.junit.jupiter.api.Assertions.assertThrows(InvalidSecretException.class,
                    () -> CookieFileParser.parse(file));
            org.junit.jupiter.api.Assertions.assertTrue(refused.getMessage().contains("nests JSON deeper than 16 levels"),
                    refused.getMessage());
        }
    }

    @Test
    void aTruncatedJsonFileNamesTheLine() {
        InvalidSecretException refused = org.junit.jupiter.api.Assertions.assertThrows(InvalidSecretException.class,
                () -> CookieFileParser.parse("[\n{\"name\": "));
        org.junit.jupiter.api.Assertions.assertTrue(refused.getMessage().contains("(line 2)"), refused.getMessage());
    }
}
