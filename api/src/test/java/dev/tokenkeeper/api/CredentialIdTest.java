package dev.tokenkeeper.api;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The id's rules, written out by hand, against the regular expressions that state them. */
class CredentialIdTest {

    private static final Pattern PROVIDER = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern ACCOUNT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
    /** Every class of character the rules tell apart, and the neighbours of each range. */
    private static final String ALPHABET = "az09AZ-._@:/ `{[~\u00e9\u0000\n";

    @Test
    void acceptsExactlyWhatTheRulesAllow() {
        SplittableRandom random = new SplittableRandom(26);
        int accepted = 0;
        for (int i = 0; i < 200_000; i++) {
            String text = text(random);
            boolean providerOk = PROVIDER.matcher(text).matches();
            boolean accountOk = ACCOUNT.matcher(text).matches();
            assertEquals(providerOk, accepts(text, "default"), "provider '" + text + "'");
            assertEquals(accountOk, accepts("gazelle", text), "account '" + text + "'");
            accepted += providerOk ? 1 : 0;
        }
        assertTrue(accepted > 1_000, "the generator reaches valid ids too: " + accepted);
        for (int length : new int[] {31, 32, 33, 127, 128, 129}) {
            assertEquals(length <= 32, accepts("a".repeat(length), "default"), "provider of " + length);
            assertEquals(length <= 128, accepts("gazelle", "A".repeat(length)), "account of " + length);
        }
        assertFalse(accepts("", "default"));
        assertFalse(accepts("gazelle", ""));
    }

    @Test
    void equalsAndHashCodeAreThoseOfItsTwoParts() {
        CredentialId one = CredentialId.parse("gazelle:a.b");
        assertEquals(one, new CredentialId("gazelle", "a.b"));
        assertEquals(one.hashCode(), new CredentialId("gazelle", "a.b").hashCode());
        assertNotEquals(one, CredentialId.parse("gazelle:a.c"));
        assertNotEquals(one, CredentialId.parse("vinted:a.b"));
        assertNotEquals(CredentialId.parse("ab:c"), CredentialId.parse("a:bc"));
        assertNotEquals(one, "gazelle:a.b");
        assertEquals("gazelle:a.b", one.toString());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> CredentialId.parse("Gazelle:x"));
        assertTrue(bad.getMessage().startsWith("invalid provider id 'Gazelle'"), bad.getMessage());
    }

    private static boolean accepts(String provider, String account) {
        try {
            new CredentialId(provider, account);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String text(SplittableRandom random) {
        int length = random.nextInt(6) == 0 ? 120 + random.nextInt(20) : random.nextInt(40);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            // Mostly valid characters, so that long valid ids come up as well as every kind of invalid one.
            text.append(random.nextInt(8) == 0 ? ALPHABET.charAt(random.nextInt(ALPHABET.length()))
                    : "abcxyz0189-".charAt(random.nextInt(11)));
        }
        return text.toString();
    }
}
