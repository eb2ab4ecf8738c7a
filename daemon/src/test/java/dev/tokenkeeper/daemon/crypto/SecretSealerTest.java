package dev.tokenkeeper.daemon.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.daemon.crypto.UnsealException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

class SecretSealerTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final CredentialId GAZELLE_A = CredentialId.parse("gazelle:a");
    private static final CredentialId GAZELLE_B = CredentialId.parse("gazelle:b");
    private static final int HEADER = 12;
    private static final int NONCE = 12;

    private final MasterKey keyA = MasterKey.generate(RANDOM);
    private final MasterKey keyB = MasterKey.generate(RANDOM);
    private final SecretSealer sealer = new SecretSealer(Keyring.of(keyA));

    private static SecretMaterial tokens() {
        return new SecretMaterial(Map.of("access_token", "at-123", "refresh_token", "rt-456"));
    }

    @Test
    void roundTripsEmptyMaterial() throws UnsealException {
        SecretMaterial empty = new SecretMaterial(Map.of());
        assertEquals(empty, sealer.open(GAZELLE_A, sealer.seal(GAZELLE_A, empty)));
    }

    @Test
    void roundTripsUnicodeNamesAndValues() throws UnsealException {
        SecretMaterial unicode = new SecretMaterial(Map.of(
                "jeton_d'accès", "été ☃ 東京 😀 \u0000 nul",
                "", "empty name",
                "empty value", "",
                "emoji 🔑", "𝄞 surrogate pairs"));
        assertEquals(unicode, sealer.open(GAZELLE_A, sealer.seal(GAZELLE_A, unicode)));
    }

    @Test
    void roundTripsA100KilobyteCookie() throws UnsealException {
        StringBuilder cookie = new StringBuilder();
        while (cookie.length() < 100_000) {
            cookie.append(Integer.toHexString(RANDOM.nextInt())).append("é;");
        }
        SecretMaterial big = new SecretMaterial(Map.of("access_token_web", cookie.toString(), "_vinted_fr_session", "s"));
        SealedSecret sealed = sealer.seal(GAZELLE_A, big);
        assertTrue(sealed.length() > 100_000);
        assertEquals(big, sealer.open(GAZELLE_A, sealed));
    }

    @Test
    void writesTheDocumentedLayout() throws UnsealException {
        SealedSecret sealed = sealer.seal(GAZELLE_A, tokens());
        byte[] bytes = sealed.bytes();
        assertEquals('T', bytes[0]);
        assertEquals('K', bytes[1]);
        assertEquals(1, bytes[2]);
        assertEquals(8, bytes[3]);
        assertEquals(keyA.id(), new String(bytes, 4, 8, StandardCharsets.US_ASCII));
        assertEquals(keyA.id(), SecretSealer.keyIdOf(sealed));
        int plain = MaterialCodec.encode(tokens()).length;
        assertEquals(HEADER + NONCE + plain + 16, bytes.length);
        // The plaintext does not appear in the sealed bytes.
        assertFalse(new String(bytes, StandardCharsets.ISO_8859_1).contains("rt-456"));
    }

    @Test
    void everySealUsesAFreshNonce() {
        SealedSecret first = sealer.seal(GAZELLE_A, tokens());
        SealedSecret second = sealer.seal(GAZELLE_A, tokens());
        assertNotEquals(first, second);
        assertFalse(Arrays.equals(nonce(first), nonce(second)), "nonces must differ");
        byte[] a = first.bytes();
        byte[] b = second.bytes();
        assertFalse(Arrays.equals(Arrays.copyOfRange(a, HEADER + NONCE, a.length),
                Arrays.copyOfRange(b, HEADER + NONCE, b.length)), "ciphertexts must differ");
    }

    @Test
    void everySingleBitFlipIsRejectedWithTheRightReason() {
        byte[] original = sealer.seal(GAZELLE_A, tokens()).bytes();
        for (int i = 0; i < original.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] flipped = original.clone();
                flipped[i] ^= (byte) (1 << bit);
                Reason reason = openFailure(sealer, GAZELLE_A, SealedSecret.of(flipped), "byte " + i + " bit " + bit);
                if (i < 4) {
                    assertEquals(Reason.MALFORMED, reason, "magic, version or key id length at byte " + i);
                } else if (i < HEADER) {
                    // Another hex digit names a key we do not have; anything else is not a key id.
                    assertTrue(reason == Reason.UNKNOWN_KEY || reason == Reason.MALFORMED, "key id byte " + i + ": " + reason);
                } else {
                    assertEquals(Reason.TAMPERED_OR_WRONG_KEY, reason, "nonce, ciphertext or tag at byte " + i);
                }
            }
        }
    }

    @Test
    void truncatedOrExtendedBytesAreRejected() {
        byte[] original = sealer.seal(GAZELLE_A, tokens()).bytes();
        for (int length = 0; length < original.length; length++) {
            Reason reason = openFailure(sealer, GAZELLE_A, SealedSecret.of(Arrays.copyOf(original, length)), "length " + length);
            assertEquals(length < HEADER + NONCE + 16 ? Reason.MALFORMED : Reason.TAMPERED_OR_WRONG_KEY, reason, "length " + length);
        }
        byte[] longer = Arrays.copyOf(original, original.length + 1);
        assertEquals(Reason.TAMPERED_OR_WRONG_KEY, openFailure(sealer, GAZELLE_A, SealedSecret.of(longer), "one byte more"));
    }

    @Test
    void garbageIsMalformed() {
        byte[] garbage = new byte[200];
        RANDOM.nextBytes(garbage);
        garbage[0] = 'X';
        assertEquals(Reason.MALFORMED, openFailure(sealer, GAZELLE_A, SealedSecret.of(garbage), "garbage"));
        UnsealException e = assertThrows(UnsealException.class, () -> SecretSealer.keyIdOf(SealedSecret.of(garbage)));
        assertEquals(Reason.MALFORMED, e.reason());
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        byte[] futureVersion = sealer.seal(GAZELLE_A, tokens()).bytes();
        futureVersion[2] = 2;
        UnsealException version = assertThrows(UnsealException.class, () -> sealer.open(GAZELLE_A, SealedSecret.of(futureVersion)));
        assertTrue(version.getMessage().contains("format version 2"), version.getMessage());
    }

    @Test
    void secretMovedToAnotherCredentialDoesNotOpen() {
        SealedSecret sealed = sealer.seal(GAZELLE_A, tokens());
        UnsealException e = assertThrows(UnsealException.class, () -> sealer.open(GAZELLE_B, sealed));
        assertEquals(Reason.TAMPERED_OR_WRONG_KEY, e.reason());
        assertTrue(e.getMessage().contains("gazelle:b"), e.getMessage());
        assertEquals(keyA.id(), e.keyId().orElseThrow());
    }

    @Test
    void keyMissingFromTheKeyringIsUnknownAndNamed() {
        SealedSecret sealed = sealer.seal(GAZELLE_A, tokens());
        SecretSealer other = new SecretSealer(Keyring.of(keyB));
        UnsealException e = assertThrows(UnsealException.class, () -> other.open(GAZELLE_A, sealed));
        assertEquals(Reason.UNKNOWN_KEY, e.reason());
        assertEquals(keyA.id(), e.keyId().orElseThrow());
        assertTrue(e.getMessage().contains("sealed with key " + keyA.id()), e.getMessage());
        assertTrue(e.getMessage().contains(keyB.id()), "names the keys it has: " + e.getMessage());
        assertTrue(e.getMessage().contains("restore the old master key"), e.getMessage());
    }

    @Test
    void headerNamingAnotherKeyFailsAuthentication() {
        byte[] bytes = sealer.seal(GAZELLE_A, tokens()).bytes();
        System.arraycopy(keyB.id().getBytes(StandardCharsets.US_ASCII), 0, bytes, 4, 8);
        SecretSealer both = new SecretSealer(new Keyring(keyB, List.of(keyA)));
        UnsealException e = assertThrows(UnsealException.class, () -> both.open(GAZELLE_A, SealedSecret.of(bytes)));
        assertEquals(Reason.TAMPERED_OR_WRONG_KEY, e.reason());
    }

    @Test
    void authenticContentThatIsNotMaterialIsMalformed() {
        // Encrypt bytes that are not a valid encoding, with a correct header and tag.
        byte[] header = Arrays.copyOf(sealer.seal(GAZELLE_A, tokens()).bytes(), HEADER);
        byte[] nonce = new byte[NONCE];
        byte[] plain = {0, 0, 0, 1, 0, 0, 0, 99};
        byte[] credential = GAZELLE_A.toString().getBytes(StandardCharsets.UTF_8);
        byte[] associated = Arrays.copyOf(header, HEADER + credential.length);
        System.arraycopy(credential, 0, associated, HEADER, credential.length);
        GCMModeCipher cipher = GCMBlockCipher.newInstance(AESEngine.newInstance());
        cipher.init(true, new AEADParameters(new KeyParameter(keyA.bytes()), 128, nonce, associated));
        byte[] out = new byte[HEADER + NONCE + cipher.getOutputSize(plain.length)];
        System.arraycopy(header, 0, out, 0, HEADER);
        int written = cipher.processBytes(plain, 0, plain.length, out, HEADER + NONCE);
        try {
            cipher.doFinal(out, HEADER + NONCE + written);
        } catch (Exception e) {
            fail(e);
        }
        assertEquals(Reason.MALFORMED, openFailure(sealer, GAZELLE_A, SealedSecret.of(out), "bad encoding"));
    }

    @Test
    void rotationKeepsOldSecretsReadableAndSealsWithTheNewKey() throws UnsealException {
        SealedSecret old = sealer.seal(GAZELLE_A, tokens());
        SecretSealer rotated = new SecretSealer(sealer.keyring().rotateTo(keyB));
        assertEquals(tokens(), rotated.open(GAZELLE_A, old));
        assertFalse(rotated.isSealedWithCurrentKey(old));
        SealedSecret fresh = rotated.seal(GAZELLE_A, tokens().with("access_token", "at-789"));
        assertEquals(keyB.id(), SecretSealer.keyIdOf(fresh));
        assertTrue(rotated.isSealedWithCurrentKey(fresh));
        assertEquals("at-789", rotated.open(GAZELLE_A, fresh).require("access_token"));
        // The old sealer cannot read what the new key sealed.
        assertEquals(Reason.UNKNOWN_KEY, openFailure(sealer, GAZELLE_A, fresh, "new key, old sealer"));
    }

    @Test
    void aThreadsCipherServesEachKeyAndDirectionAsAFreshOneWould() throws Exception {
        // One thread keeps a cipher per master key (its key schedule made once): keys, directions and a failed
        // open interleave here, and every sealed secret is checked with a cipher built from scratch.
        SecretSealer onB = new SecretSealer(Keyring.of(keyB));
        for (int i = 0; i < 20; i++) {
            SecretSealer sealing = i % 2 == 0 ? sealer : onB;
            MasterKey key = i % 2 == 0 ? keyA : keyB;
            SecretMaterial material = tokens().with("n", Integer.toString(i));
            SealedSecret sealed = sealing.seal(GAZELLE_A, material);
            assertEquals(material, MaterialCodec.decode(openFresh(key, GAZELLE_A, sealed.bytes())));
            assertEquals(material, sealing.open(GAZELLE_A, sealed));
            byte[] tampered = sealed.bytes();
            tampered[tampered.length - 1] ^= 1;
            assertEquals(Reason.TAMPERED_OR_WRONG_KEY, openFailure(sealing, GAZELLE_A, SealedSecret.of(tampered), "tampered"));
            assertEquals(Reason.TAMPERED_OR_WRONG_KEY, openFailure(sealing, GAZELLE_B, sealed, "another credential"));
            assertEquals(material, sealing.open(GAZELLE_A, sealed), "after failures the same cipher opens again");
        }
    }

    /** Opens sealed bytes with a cipher made for this one use, as the documented layout says. */
    private static byte[] openFresh(MasterKey key, CredentialId id, byte[] bytes) throws Exception {
        byte[] credential = id.toString().getBytes(StandardCharsets.UTF_8);
        byte[] associated = Arrays.copyOf(bytes, HEADER + credential.length);
        System.arraycopy(credential, 0, associated, HEADER, credential.length);
        GCMModeCipher cipher = GCMBlockCipher.newInstance(AESEngine.newInstance());
        cipher.init(false, new AEADParameters(new KeyParameter(key.bytes()), 128,
                Arrays.copyOfRange(bytes, HEADER, HEADER + NONCE), associated));
        byte[] plain = new byte[cipher.getOutputSize(bytes.length - HEADER - NONCE)];
        int written = cipher.processBytes(bytes, HEADER + NONCE, bytes.length - HEADER - NONCE, plain, 0);
        cipher.doFinal(plain, written);
        return plain;
    }

    @Test
    void isSafeToShareBetweenThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                Callable<Boolean> work = () -> {
                    for (int i = 0; i < 200; i++) {
                        SecretMaterial material = tokens().with("n", thread + "-" + i);
                        if (!material.equals(sealer.open(GAZELLE_A, sealer.seal(GAZELLE_A, material)))) {
                            return false;
                        }
                    }
                    return true;
                };
                results.add(pool.submit(work));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void codecRejectsStructurallyInvalidPlaintext() {
        byte[] valid = MaterialCodec.encode(tokens());
        assertEquals(tokens(), MaterialCodec.decode(valid));
        assertThrows(IllegalArgumentException.class, () -> MaterialCodec.decode(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> MaterialCodec.decode(Arrays.copyOf(valid, valid.length - 1)));
        assertThrows(IllegalArgumentException.class, () -> MaterialCodec.decode(Arrays.copyOf(valid, valid.length + 1)));
        assertThrows(IllegalArgumentException.class, () -> MaterialCodec.decode(new byte[] {(byte) 0xff, 0, 0, 0}));
        byte[] duplicate = {0, 0, 0, 2, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 0, 0};
        assertThrows(IllegalArgumentException.class, () -> MaterialCodec.decode(duplicate));
        byte[] badUtf8 = {0, 0, 0, 1, 0, 0, 0, 1, (byte) 0xc3, 0, 0, 0, 0};
        assertThrows(IllegalArgumentException.class, () -> MaterialCodec.decode(badUtf8));
    }

    private static byte[] nonce(SealedSecret sealed) {
        return Arrays.copyOfRange(sealed.bytes(), HEADER, HEADER + NONCE);
    }

    /** Opens bytes that must not open; any unchecked exception fails the test. */
    private static Reason openFailure(SecretSealer sealer, CredentialId id, SealedSecret sealed, String what) {
        try {
            sealer.open(id, sealed);
        } catch (UnsealException e) {
            assertFalse(e.getMessage().isBlank());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            return e.reason();
        } catch (RuntimeException e) {
            fail(what + ": unchecked " + e, e);
        }
        return fail(what + ": opened");
    }

    @Test
    void aBrokenHeaderIsNamedPreciselyWithTheCredentialOrWithout() {
        byte[] good = sealer.seal(GAZELLE_A, tokens()).bytes();
        record Case(int index, int value, String message) {
        }
        for (Case broken : List.of(
                new Case(1, 'X', "it does not start with the tokenkeeper magic 'TK'"),
                new Case(2, 0x82, "format version 130 is not supported"),
                new Case(3, 0x89, "key id length 137 is invalid (expected 8)"),
                new Case(4, 'g', "the key id is not lower-case hex"),
                new Case(11, 'A', "the key id is not lower-case hex"),
                new Case(7, '/', "the key id is not lower-case hex"),
                new Case(8, ':', "the key id is not lower-case hex"),
                new Case(9, '`', "the key id is not lower-case hex"))) {
            byte[] bytes = good.clone();
            bytes[broken.index()] = (byte) broken.value();
            UnsealException named = assertThrows(UnsealException.class, () -> sealer.open(GAZELLE_A, SealedSecret.of(bytes)));
            assertTrue(named.getMessage().contains("the secret of gazelle:a") && named.getMessage().contains(broken.message()),
                    named.getMessage());
            UnsealException bare = assertThrows(UnsealException.class, () -> SecretSealer.keyIdOf(SealedSecret.of(bytes)));
            assertTrue(bare.getMessage().contains("sealed secret") && bare.getMessage().contains(broken.message()),
                    bare.getMessage());
        }
    }

    @Test
    void codecSaysWhichPartOfThePlaintextIsWrong() {
        // Three fields claimed, room for two at most (each needs two 4-byte lengths).
        byte[] tooMany = {0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertEquals("field count out of range",
                assertThrows(IllegalArgumentException.class, () -> MaterialCodec.decode(tooMany)).getMessage());
        byte[] twoEmpty = {0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertEquals("duplicate field name",
                assertThrows(IllegalArgumentException.class, () -> MaterialCodec.decode(twoEmpty)).getMessage());
        byte[] longer = {0, 0, 0, 1, 0, 0, 0, 9, 'a', 0, 0, 0, 0};
        assertEquals("field length out of range",
                assertThrows(IllegalArgumentException.class, () -> MaterialCodec.decode(longer)).getMessage());
    }
}
