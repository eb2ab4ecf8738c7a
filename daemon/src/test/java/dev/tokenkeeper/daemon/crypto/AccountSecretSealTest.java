package dev.tokenkeeper.daemon.crypto;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SecretMaterial;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seal and tag of the secrets kept beside credentials, with real keys. */
class AccountSecretSealTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final CredentialId ID = CredentialId.parse("vinted:shop");
    private static final String HASH = "ab".repeat(32);
    private static final SecretMaterial SECRET = new SecretMaterial(Map.of("password", "pw-0123456789"));
    private static final Instant CREATED = Instant.parse("2026-03-01T10:15:30.123456Z");

    @Test
    void aSealedRowOpensAndAnyFieldMovedOrChangedByAStoreWriterIsRefusedBeforeItIsOpened() throws Exception {
        AccountSecretSeal seal = new AccountSecretSeal(new SecretSealer(Keyring.of(MasterKey.generate(RANDOM))));
        AccountSecret row = seal.seal(ID, "sign-in", HASH, SECRET, CREATED);
        assertEquals(Instant.parse("2026-03-01T10:15:30.123Z"), row.createdAt(), "kept to the millisecond");
        assertEquals(ConsumerRowMac.Verdict.CURRENT_KEY, seal.check(row));
        assertEquals(SECRET, seal.open(row));
        assertTrue(seal.current(row));

        AccountSecret other = seal.seal(ID, "sign-in", HASH, new SecretMaterial(Map.of("password", "other")), CREATED);
        List<AccountSecret> moved = List.of(
                new AccountSecret(CredentialId.parse("vinted:other"), row.kind(), HASH, row.sealed(), row.createdAt(), row.mac()),
                new AccountSecret(ID, "session", HASH, row.sealed(), row.createdAt(), row.mac()),
                new AccountSecret(ID, row.kind(), "cd".repeat(32), row.sealed(), row.createdAt(), row.mac()),
                new AccountSecret(ID, row.kind(), HASH, other.sealed(), row.createdAt(), row.mac()),
                new AccountSecret(ID, row.kind(), HASH, row.sealed(), row.createdAt().plusMillis(1), row.mac()));
        for (AccountSecret forged : moved) {
            assertEquals(ConsumerRowMac.Verdict.INVALID, seal.check(forged), forged.toString());
            UnsealException refused = assertThrows(UnsealException.class, () -> seal.open(forged));
            assertTrue(refused.getMessage().startsWith("the " + forged.kind() + " secret of " + forged.credential()
                    + " is not authenticated by this daemon's keys"), refused.getMessage());
            assertFalse(refused.getMessage().contains("pw-0123456789"));
        }
        AccountSecret untagged = new AccountSecret(ID, row.kind(), HASH, row.sealed(), row.createdAt(), Optional.empty());
        assertEquals(ConsumerRowMac.Verdict.MISSING, seal.check(untagged));
        assertThrows(UnsealException.class, () -> seal.open(untagged), "a row without a tag grants nothing");
    }

    @Test
    void aRowOfARetiredKeyIsSealedAndTaggedAgainWithTheCurrentOneItsFieldsUnchanged() throws Exception {
        MasterKey old = MasterKey.generate(RANDOM);
        SecretSealer sealer = new SecretSealer(Keyring.of(old));
        AccountSecretSeal seal = new AccountSecretSeal(sealer);
        AccountSecret row = seal.seal(ID, "sign-in", HASH, SECRET, CREATED);
        MasterKey next = MasterKey.generate(RANDOM);
        sealer.useKeyring(sealer.keyring().rotateTo(next));

        assertEquals(ConsumerRowMac.Verdict.RETIRED_KEY, seal.check(row));
        assertEquals(SECRET, seal.open(row), "valid while the old key is kept");
        assertFalse(seal.current(row));
        AccountSecret again = seal.reseal(row);
        assertEquals(List.of(row.credential(), row.kind(), row.lookupHash(), row.createdAt()),
                List.of(again.credential(), again.kind(), again.lookupHash(), again.createdAt()));
        assertTrue(seal.current(again));
        assertEquals(next.id(), SecretSealer.keyIdOf(again.sealed()));

        sealer.useKeyring(Keyring.of(next));
        assertEquals(ConsumerRowMac.Verdict.INVALID, seal.check(row), "the old key destroyed");
        assertEquals(SECRET, seal.open(again));
        AccountSecret sealedWithOldTaggedWithNew = new AccountSecret(ID, row.kind(), HASH, row.sealed(), row.createdAt(),
                again.mac());
        assertEquals(ConsumerRowMac.Verdict.INVALID, seal.check(sealedWithOldTaggedWithNew), "the tag covers the sealed bytes");
        assertThrows(NullPointerException.class, () -> new AccountSecretSeal(null));
    }
}
