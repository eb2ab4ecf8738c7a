package dev.tokenkeeper.daemon.rekey;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.daemon.access.ConsumerDirectory;
import dev.tokenkeeper.daemon.access.ConsumerRowRetag;
import dev.tokenkeeper.daemon.access.ConsumerRowUpgrade;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.crypto.ConsumerRowMac;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.leases.RefreshLeases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A store that offers only the core (credentials and history), built on the real SQLite store: the
 * daemon does without each capability as the capability's javadoc says, never silently as if it
 * had it.
 */
class StoreWithoutCapabilitiesTest {

    private static final CredentialId ID = CredentialId.parse("gazelle:default");
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path state;

    private TokenStore sqlite;
    private TokenStore coreOnly;

    @BeforeEach
    void openStore() {
        sqlite = EmbeddedStore.found();
        sqlite.open(new DaemonPluginContext(Settings.of(Map.of(), Map.of()), state, Clock.systemUTC()));
        coreOnly = (TokenStore) Proxy.newProxyInstance(TokenStore.class.getClassLoader(), new Class<?>[] {TokenStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("capability")) {
                        return Optional.empty();
                    }
                    try {
                        return method.invoke(sqlite, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @AfterEach
    void closeStore() {
        sqlite.close();
    }

    @Test
    void withoutPurgeARekeyKeepsTheOldKeyAndSaysWhatToDo() {
        PurgeResult result = new OldKeyPurge(coreOnly, state).run(List.of());

        PurgeResult.Failed failed = assertInstanceOf(PurgeResult.Failed.class, result);
        assertFalse(result.allowsDestroyingOldKeys());
        assertTrue(failed.what().contains("the sqlite store offers no purge"), failed.what());
        assertTrue(failed.remedy().contains("tokenkeeper rekey --finish"), failed.remedy());
    }

    @Test
    void withoutLeasesTheDaemonRefreshesAsTheOnlyUserAndStillLosesAStaleCommit() {
        RefreshLeases leases = new RefreshLeases(coreOnly);
        assertTrue(coreOnly.insert(credential(1)));

        assertTrue(leases.tryLease(ID, "daemon-a", T0.plusSeconds(60)), "no lease to wait for");
        assertTrue(leases.tryLease(ID, "daemon-b", T0.plusSeconds(60)), "nor for another daemon");
        RefreshEvent event = new RefreshEvent(ID, T0, RefreshOutcome.REFRESHED, "", Duration.ZERO, 2);
        assertTrue(leases.commitRefresh(credential(2), 1, event, "daemon-a"));
        assertFalse(leases.commitRefresh(credential(2), 1, event, "daemon-b"), "the compare-and-set keeps one refresh");
        leases.release(ID, "daemon-a");

        assertEquals(2, coreOnly.get(ID).orElseThrow().version());
        assertEquals(List.of(event), coreOnly.history(ID, T0, 10), "the refresh's history is written");
    }

    @Test
    void withoutConsumerRowsAddingAConsumerFailsNamingTheStoreAndARekeyHasNoneToTag() {
        SecretSealer sealer = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory directory = new ConsumerDirectory(coreOnly, new ConsumerRowMac(sealer::keyring),
                new ConsumerRowUpgrade(state), Clock.systemUTC(), Duration.ZERO).start(false);
        try {
            StoreException refused = assertThrows(StoreException.class, () -> directory.create("analysis", List.of(ID)));
            assertTrue(refused.getMessage().contains("the sqlite store keeps no consumers"), refused.getMessage());
            assertEquals(List.of(), directory.list());
            assertFalse(directory.revoke("analysis"));
            assertEquals(0, ConsumerRowRetag.toCurrentKey(coreOnly, sealer));
        } finally {
            directory.close();
        }
    }

    private static StoredCredential credential(long version) {
        byte[] sealed = new byte[64];
        java.util.Arrays.fill(sealed, (byte) version);
        return new StoredCredential(ID, CredentialStatus.ACTIVE, SealedSecret.of(sealed), T0,
                Optional.of(T0.plusSeconds(3600)), Optional.empty(), version, Optional.of(T0), Optional.empty(), T0);
    }
}
