package dev.tokenkeeper.daemon.rekey;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.LoadedKey;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.MasterKeyLoader;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Re-sealing against the real SQLite store in a temporary folder. */
class RekeyerTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path state;

    private TokenStore store;
    private final Map<CredentialId, SecretMaterial> secrets = new HashMap<>();

    @BeforeEach
    void openStore() {
        store = EmbeddedStore.found();
        store.open(new DaemonPluginContext(Settings.of(Map.of(), Map.of()), state, Clock.systemUTC()));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private void insert(SecretSealer sealer, int count) {
        Instant now = Instant.now();
        for (int i = 0; i < count; i++) {
            CredentialId id = new CredentialId("gazelle", "a" + i);
            SecretMaterial secret = new SecretMaterial(Map.of("access_token", "at-" + i + "-" + RANDOM.nextInt(),
                    "refresh_token", "rt-" + i));
            secrets.put(id, secret);
            assertTrue(store.insert(new StoredCredential(id, CredentialStatus.ACTIVE, sealer.seal(id, secret), now,
                    Optional.of(now.plusSeconds(3600)), Optional.empty(), 1, Optional.of(now), Optional.empty(), now)));
        }
    }

    private void assertAllOn(String keyId, SecretSealer reader) throws Exception {
        for (StoredCredential c : store.list()) {
            assertEquals(keyId, SecretSealer.keyIdOf(c.secret()), c.id() + " carries the new key id");
            assertEquals(secrets.get(c.id()), reader.open(c.id(), c.secret()), c.id() + " opens to the same secret");
        }
    }

    @Test
    void resealsEveryCredentialWithTheNewKeyBumpingTheVersionAndIsIdempotent() throws Exception {
        MasterKey old = MasterKey.generate(RANDOM);
        MasterKey next = MasterKey.generate(RANDOM);
        insert(new SecretSealer(Keyring.of(old)), 6);
        SecretSealer rotated = new SecretSealer(Keyring.of(old).rotateTo(next));

        Rekeyer.Result first = new Rekeyer(store, rotated, Clock.systemUTC()).resealAll();
        assertEquals(6, first.resealed().size());
        assertTrue(first.complete());
        assertEquals(next.id(), first.currentKeyId());
        assertAllOn(next.id(), new SecretSealer(Keyring.of(next)));
        store.list().forEach(c -> assertEquals(2, c.version(), c.id() + " written by compare-and-set, version + 1"));

        Rekeyer.Result again = new Rekeyer(store, rotated, Clock.systemUTC()).resealAll();
        assertEquals(0, again.resealed().size(), "a second run has nothing left to do");
        assertEquals(6, again.alreadyCurrent().size());
        store.list().forEach(c -> assertEquals(2, c.version()));
    }

    @Test
    void aRunInterruptedHalfwayIsFinishedByTheNextOne() throws Exception {
        MasterKey old = MasterKey.generate(RANDOM);
        MasterKey next = MasterKey.generate(RANDOM);
        insert(new SecretSealer(Keyring.of(old)), 6);
        SecretSealer rotated = new SecretSealer(Keyring.of(old).rotateTo(next));
        // What a crash leaves: some rows re-sealed, the rest still on the old key.
        int done = 0;
        for (StoredCredential c : store.list()) {
            if (done++ == 3) {
                break;
            }
            StoredCredential after = new StoredCredential(c.id(), c.status(), rotated.seal(c.id(), secrets.get(c.id())),
                    c.issuedAt(), c.accessExpiresAt(), c.refreshExpiresAt(), c.version() + 1, c.lastRefreshAt(),
                    c.lastError(), Instant.now());
            assertTrue(store.compareAndSet(after, c.version()));
        }
        Rekeyer.Result result = new Rekeyer(store, rotated, Clock.systemUTC()).resealAll();
        assertEquals(3, result.resealed().size());
        assertEquals(3, result.alreadyCurrent().size());
        assertAllOn(next.id(), rotated);
    }

    @Test
    void aCredentialSealedWithAnUnknownKeyIsReportedAndTheOthersAreStillResealed() throws Exception {
        MasterKey lost = MasterKey.generate(RANDOM);
        MasterKey old = MasterKey.generate(RANDOM);
        MasterKey next = MasterKey.generate(RANDOM);
        insert(new SecretSealer(Keyring.of(old)), 2);
        CredentialId orphan = new CredentialId("gazelle", "orphan");
        Instant now = Instant.now();
        store.insert(new StoredCredential(orphan, CredentialStatus.ACTIVE,
                new SecretSealer(Keyring.of(lost)).seal(orphan, new SecretMaterial(Map.of("access_token", "x"))), now,
                Optional.empty(), Optional.empty(), 1, Optional.empty(), Optional.empty(), now));

        Rekeyer.Result result = new Rekeyer(store, new SecretSealer(Keyring.of(old).rotateTo(next)), Clock.systemUTC())
                .resealAll();
        assertEquals(2, result.resealed().size());
        assertEquals(1, result.failed().size());
        assertEquals("gazelle:orphan", result.failed().get(0).id());
        assertTrue(result.failed().get(0).reason().contains(lost.id()), result.failed().get(0).reason());
        assertEquals(1, store.get(orphan).orElseThrow().version(), "the unreadable row is left alone");
    }

    @Test
    void keyRotationReplacesTheGeneratedKeyKeepsTheOldOneAndSurvivesAReload() throws Exception {
        LoadedKey loaded = MasterKeyLoader.load(name -> Optional.empty(), state);
        SecretSealer live = new SecretSealer(loaded.keyring());
        insert(live, 4);
        String oldId = loaded.keyring().current().id();

        // --keep-old: the retired key stays until `rekey --finish`.
        KeyRotation.Outcome outcome = new KeyRotation(name -> Optional.empty(), state, store, live, Clock.systemUTC()).rotate(true);
        assertTrue(outcome.rotated());
        assertEquals(4, outcome.resealed().size());
        assertTrue(outcome.retiredKeyIds().contains(oldId));
        assertEquals(outcome.currentKeyId(), live.keyring().current().id(), "the live sealer switched keys");
        assertTrue(Files.exists(state.resolve("keys/retired-" + oldId + ".key")), "the old key is kept");
        assertFalse(Files.exists(state.resolve("keys/" + KeyRotation.PENDING_FILE)), "a finished rekey leaves no marker");

        LoadedKey reloaded = MasterKeyLoader.load(name -> Optional.empty(), state);
        assertEquals(outcome.currentKeyId(), reloaded.keyring().current().id(), "a restart uses the new key");
        assertAllOn(outcome.currentKeyId(), new SecretSealer(reloaded.keyring()));
    }

    @Test
    void anUnfinishedRotationIsResumedWithoutAnotherKey() throws Exception {
        LoadedKey loaded = MasterKeyLoader.load(name -> Optional.empty(), state);
        insert(new SecretSealer(loaded.keyring()), 3);
        // A crash after the key file was replaced and the marker written, before any re-seal.
        MasterKey next = MasterKeyLoader.rotateGeneratedKey(name -> Optional.empty(), state);
        Files.writeString(state.resolve("keys/" + KeyRotation.PENDING_FILE), next.id() + "\n");
        LoadedKey afterRestart = MasterKeyLoader.load(name -> Optional.empty(), state);
        SecretSealer live = new SecretSealer(afterRestart.keyring());

        KeyRotation.Outcome outcome = new KeyRotation(name -> Optional.empty(), state, store, live, Clock.systemUTC()).rotate();
        assertTrue(outcome.resumed());
        assertFalse(outcome.rotated());
        assertEquals(next.id(), outcome.currentKeyId(), "no third key");
        assertEquals(3, outcome.resealed().size());
        assertAllOn(next.id(), live);
    }

    @Test
    void aConfiguredKeyIsNotRotatedButCanBeResealed() throws Exception {
        String hex = java.util.HexFormat.of().formatHex(new byte[32]).replace('0', '7');
        Map<String, String> env = Map.of(MasterKeyLoader.MASTER_KEY, hex);
        LoadedKey loaded = MasterKeyLoader.load(name -> Optional.ofNullable(env.get(name)), state);
        SecretSealer live = new SecretSealer(loaded.keyring());
        insert(live, 2);
        KeyRotation rotation = new KeyRotation(name -> Optional.ofNullable(env.get(name)), state, store, live, Clock.systemUTC());
        KeyRotation.RotationRefusedException refused = assertThrows(KeyRotation.RotationRefusedException.class, rotation::rotate);
        assertTrue(refused.getMessage().contains(MasterKeyLoader.MASTER_KEY), refused.getMessage());
        assertFalse(refused.getMessage().contains(hex), "the key itself is never in a message");
        KeyRotation.Outcome outcome = rotation.resealOnly();
        assertEquals(2, outcome.alreadyCurrent().size());
    }
}
