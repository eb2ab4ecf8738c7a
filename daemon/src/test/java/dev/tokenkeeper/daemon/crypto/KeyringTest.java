package dev.tokenkeeper.daemon.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KeyringTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void keyIdIsTheStartOfTheSha256OfTheKey() throws Exception {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 8);
        MasterKey key = MasterKey.of(bytes);
        assertEquals(expected, key.id());
        assertEquals("MasterKey[id=" + expected + "]", key.toString());
        // The key keeps its own copy.
        bytes[0] ^= 1;
        assertEquals(expected, key.id());
        assertNotEquals(key, MasterKey.of(bytes));
        bytes[0] ^= 1;
        assertEquals(key, MasterKey.of(bytes));
        assertArrayEquals(bytes, key.bytes());
    }

    @Test
    void keyOfTheWrongLengthIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MasterKey.of(new byte[31]));
        assertEquals("a master key must be exactly 32 bytes, got 31", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MasterKey.of(new byte[33]));
    }

    @Test
    void findsKeysById() {
        MasterKey a = MasterKey.generate(RANDOM);
        MasterKey b = MasterKey.generate(RANDOM);
        MasterKey c = MasterKey.generate(RANDOM);
        Keyring ring = new Keyring(a, List.of(b, c));
        assertEquals(Optional.of(a), ring.byId(a.id()));
        assertEquals(Optional.of(c), ring.byId(c.id()));
        assertEquals(Optional.empty(), ring.byId("00000000"));
        assertEquals(List.of(a.id(), b.id(), c.id()), ring.ids());
    }

    @Test
    void dropsDuplicatesAndTheCurrentKeyFromRetired() {
        MasterKey a = MasterKey.generate(RANDOM);
        MasterKey b = MasterKey.generate(RANDOM);
        Keyring ring = new Keyring(a, List.of(a, b, b));
        assertEquals(List.of(b), ring.retired());
    }

    @Test
    void rotationRetiresTheCurrentKey() {
        MasterKey a = MasterKey.generate(RANDOM);
        MasterKey b = MasterKey.generate(RANDOM);
        MasterKey c = MasterKey.generate(RANDOM);
        Keyring ring = Keyring.of(a).rotateTo(b).rotateTo(c);
        assertEquals(c, ring.current());
        assertEquals(List.of(b, a), ring.retired());
        assertSame(ring, ring.rotateTo(c));
        // Rotating back to a retired key makes it current and keeps the others.
        Keyring back = ring.rotateTo(a);
        assertEquals(a, back.current());
        assertEquals(List.of(c, b), back.retired());
    }

    @Test
    void toStringShowsIdsOnly() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        Keyring ring = Keyring.of(MasterKey.of(bytes));
        String text = ring.toString() + new LoadedKey(ring, "test", false);
        assertTrue(text.contains(ring.current().id()));
        assertFalse(text.toLowerCase().contains(HexFormat.of().formatHex(bytes)));
        assertFalse(text.contains(java.util.Base64.getEncoder().encodeToString(bytes)));
    }
}
