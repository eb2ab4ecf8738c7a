package dev.tokenkeeper.daemon.crypto;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsumerRowMacTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final CredentialId A = CredentialId.parse("gazelle:a");
    private static final CredentialId B = CredentialId.parse("vinted:b");
    private static final Consumer ROW = new Consumer("reader", "ab".repeat(32), List.of(B, A),
            Instant.ofEpochMilli(1_700_000_000_123L));

    @Test
    void aTaggedRowVerifiesAndAnyChangeOfItsFieldsOrTagDoesNot() {
        MasterKey key = MasterKey.generate(RANDOM);
        ConsumerRowMac macs = new ConsumerRowMac(() -> Keyring.of(key));
        Consumer signed = macs.sign(ROW);
        assertTrue(signed.mac().orElseThrow().matches(key.id() + ":[0-9a-f]{64}"), signed.mac().toString());
        assertEquals(ConsumerRowMac.Verdict.CURRENT_KEY, macs.check(signed));
        assertEquals(ConsumerRowMac.Verdict.CURRENT_KEY, macs.check(new Consumer(ROW.name(), ROW.tokenHash(),
                List.of(A, B), ROW.createdAt(), signed.mac())), "the credential order does not matter");
        assertEquals(ConsumerRowMac.Verdict.MISSING, macs.check(ROW));
        String tag = signed.mac().orElseThrow();
        List<Consumer> changed = List.of(
                new Consumer("reader2", ROW.tokenHash(), ROW.credentials(), ROW.createdAt()),
                new Consumer(ROW.name(), "cd".repeat(32), ROW.credentials(), ROW.createdAt()),
                new Consumer(ROW.name(), ROW.tokenHash(), List.of(A), ROW.createdAt()),
                new Consumer(ROW.name(), ROW.tokenHash(), List.of(A, B, CredentialId.parse("gazelle:c")), ROW.createdAt()),
                new Consumer(ROW.name(), ROW.tokenHash(), ROW.credentials(), ROW.createdAt().plusMillis(1)));
        for (Consumer other : changed) {
            assertEquals(ConsumerRowMac.Verdict.INVALID, macs.check(other.withMac(tag)), other.toString());
        }
        String flipped = tag.substring(0, tag.length() - 1) + (tag.endsWith("0") ? "1" : "0");
        for (String bad : List.of(flipped, "garbage", tag.toUpperCase(), tag + "0", "00000000:" + "0".repeat(64))) {
            assertEquals(ConsumerRowMac.Verdict.INVALID, macs.check(ROW.withMac(bad)), bad);
        }
    }

    @Test
    void aRowTaggedWithARetiredKeyVerifiesWhileTheKeyIsKeptAndNotAfter() {
        MasterKey old = MasterKey.generate(RANDOM);
        MasterKey next = MasterKey.generate(RANDOM);
        AtomicReference<Keyring> keys = new AtomicReference<>(Keyring.of(old));
        ConsumerRowMac macs = new ConsumerRowMac(keys::get);
        Consumer signed = macs.sign(ROW);
        keys.set(keys.get().rotateTo(next));
        assertEquals(ConsumerRowMac.Verdict.RETIRED_KEY, macs.check(signed));
        Consumer again = macs.sign(signed);
        assertEquals(ConsumerRowMac.Verdict.CURRENT_KEY, macs.check(again));
        keys.set(Keyring.of(next));
        assertEquals(ConsumerRowMac.Verdict.INVALID, macs.check(signed), "the old key is gone");
        assertTrue(macs.check(again).valid());
        assertEquals(ConsumerRowMac.Verdict.INVALID, new ConsumerRowMac(() -> Keyring.of(MasterKey.generate(RANDOM)))
                .check(again), "another installation's key");
    }

    @Test
    void theTagIsNotAnHmacUnderTheMasterKeyItselfAndTheEncodingIsUnambiguous() throws Exception {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        MasterKey key = MasterKey.of(raw);
        String tag = new ConsumerRowMac(() -> Keyring.of(key)).sign(ROW).mac().orElseThrow();
        Mac direct = Mac.getInstance("HmacSHA256");
        direct.init(new SecretKeySpec(raw, "HmacSHA256"));
        assertNotEquals(key.id() + ":" + HexFormat.of().formatHex(direct.doFinal(ConsumerRowMac.encode(ROW))), tag,
                "the master key itself never tags rows");
        // Fields that would run together in a plain concatenation encode differently.
        Consumer one = new Consumer("ab", ROW.tokenHash(), List.of(CredentialId.parse("gazelle:x")), ROW.createdAt());
        Consumer two = new Consumer("a", ROW.tokenHash(), List.of(CredentialId.parse("gazelle:x")), ROW.createdAt());
        assertFalse(java.util.Arrays.equals(ConsumerRowMac.encode(one), ConsumerRowMac.encode(two)));
        assertArrayEquals(ConsumerRowMac.encode(ROW), ConsumerRowMac.encode(new Consumer(ROW.name(), ROW.tokenHash(),
                List.of(A, B), ROW.createdAt())));
    }

    @Test
    void theTaggedBytesAreTheDocumentedUnambiguousLayout() throws Exception {
        Consumer row = new Consumer("r", "ab".repeat(32), List.of(B, A), Instant.ofEpochMilli(258));
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        for (String text : List.of(ConsumerRowMac.LABEL, "r", "ab".repeat(32))) {
            expected.write(new byte[] {0, 0, 0, (byte) text.length()});
            expected.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        expected.write(new byte[] {0, 0, 0, 2});
        for (String id : List.of("gazelle:a", "vinted:b")) {
            expected.write(new byte[] {0, 0, 0, (byte) id.length()});
            expected.write(id.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        expected.write(new byte[] {0, 0, 0, 0, 0, 0, 1, 2});
        assertArrayEquals(expected.toByteArray(), ConsumerRowMac.encode(row));
    }

    @Test
    void onlyATagMadeWithAKeyTheDaemonHoldsMayAuthenticate() {
        assertTrue(ConsumerRowMac.Verdict.CURRENT_KEY.valid());
        assertTrue(ConsumerRowMac.Verdict.RETIRED_KEY.valid());
        assertFalse(ConsumerRowMac.Verdict.MISSING.valid());
        assertFalse(ConsumerRowMac.Verdict.INVALID.valid());
    }
}
