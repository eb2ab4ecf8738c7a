package dev.tokenkeeper.api.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpstreamTextTest {

    private static final String SECRET = "Zq9fK2mXw7LpR4tYbN8vC1sD";

    @Test
    void aSecretMinusOneCharacterAndItsPiecesAreRemoved() {
        String text = "bad token " + SECRET.substring(0, SECRET.length() - 1) + " near " + SECRET.substring(5, 13)
                + " and " + SECRET.substring(3, 10) + " end";
        String summary = UpstreamText.summary(text, List.of(SECRET), 200);
        for (int at = 0; at + 8 <= SECRET.length(); at++) {
            assertFalse(summary.contains(SECRET.substring(at, at + 8)), summary);
        }
        // 7 characters are below the threshold and stay.
        assertTrue(summary.contains(SECRET.substring(3, 10)), summary);
        assertTrue(summary.startsWith("bad token [redacted] near [redacted] and "), summary);
    }

    @Test
    void tokenLikeRunsAreRemovedAndOrdinaryTextStays() {
        String jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        String text = "The access token " + jwt + " or 0123456789abcdef0123 or dGhpc2lzYWxvbmdzZWNyZXQxMjM0NTY= was"
                + " refused by api.example.com; set TOKENKEEPER_GAZELLE_CLIENT_SECRET\nand retry";
        assertEquals("The access token [redacted] or [redacted] or [redacted] was refused by api.example.com;"
                + " set TOKENKEEPER_GAZELLE_CLIENT_SECRET and retry", UpstreamText.summary(text, List.of(), 500));
    }

    @Test
    void theSummaryIsBounded() {
        String summary = UpstreamText.summary("word ".repeat(10_000), List.of(SECRET), 100);
        assertEquals(103, summary.length());
    }
}
