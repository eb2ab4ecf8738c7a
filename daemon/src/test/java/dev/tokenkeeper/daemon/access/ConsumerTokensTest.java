package dev.tokenkeeper.daemon.access;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Consumer tokens: recognisable, 256 random bits each, and kept in the store as their SHA-256 only. */
class ConsumerTokensTest {

    @Test
    void aTokenIsThePrefixAndTheUrlSafeBase64Of32RandomBytes() {
        Set<String> tokens = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String token = ConsumerTokens.generate();
            assertTrue(token.matches("tkc_[A-Za-z0-9_-]{43}"), token.length() + " characters, not of the form");
            tokens.add(token);
        }
        assertEquals(100, tokens.size(), "no token twice");
    }

    @Test
    void theStoreKeepsTheLowercaseHexSha256OfTheToken() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ConsumerTokens.hash("abc"));
        assertEquals(64, ConsumerTokens.hash(ConsumerTokens.generate()).length());
    }
}
