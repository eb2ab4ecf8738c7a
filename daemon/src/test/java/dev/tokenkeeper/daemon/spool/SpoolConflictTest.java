package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which side survives when a spooled change meets a row another daemon changed meanwhile: the one
 * whose secret was issued last, a usable one before a refused one issued in the same second, then
 * the later refresh. (The drain itself is in {@link SpooledStoreTest}.)
 */
class SpoolConflictTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static StoredCredential row(long version, int secret, CredentialStatus status, Instant issued,
                                        Optional<Instant> lastRefresh) {
        return new StoredCredential(CredentialId.parse("gazelle:default"), status, SealedSecret.of(new byte[] {(byte) secret}),
                issued, Optional.of(issued.plusSeconds(3600)), Optional.empty(), version, lastRefresh, Optional.empty(), issued);
    }

    private static StoredCredential active(long version, int secret, Instant issued) {
        return row(version, secret, CredentialStatus.ACTIVE, issued, Optional.of(issued));
    }

    @Test
    void whenNobodyElseWroteTheSpooledChangeStandsWhateverItHolds() {
        StoredCredential refused = row(2, 1, CredentialStatus.REQUIRES_CONFIGURATION, T0, Optional.of(T0));
        assertTrue(SpoolConflict.spooledWins(refused, 1, active(1, 1, T0.plusSeconds(60))),
                "the store's row is the one the spooled change replaced");
    }

    @Test
    void theSecretIssuedLastWinsEitherWay() {
        StoredCredential spooled = active(2, 2, T0.plusSeconds(30));
        assertTrue(SpoolConflict.spooledWins(spooled, 1, active(2, 9, T0.plusSeconds(29))));
        assertFalse(SpoolConflict.spooledWins(spooled, 1, active(2, 9, T0.plusSeconds(31))));
    }

    @Test
    void withTheSameSecretOnBothSidesTheStoresLaterStatusStands() {
        StoredCredential spooled = row(2, 1, CredentialStatus.ACTIVE, T0, Optional.of(T0.plusSeconds(50)));
        StoredCredential inStore = row(2, 1, CredentialStatus.REQUIRES_CONFIGURATION, T0, Optional.of(T0.plusSeconds(10)));
        assertFalse(SpoolConflict.spooledWins(spooled, 1, inStore), "only the status differs: not a newer token pair");
    }

    @Test
    void inTheSameSecondAUsableSecretBeatsARefusedOne() {
        StoredCredential usable = row(2, 2, CredentialStatus.ACTIVE, T0, Optional.of(T0));
        StoredCredential refused = row(2, 3, CredentialStatus.REQUIRES_CONFIGURATION, T0, Optional.of(T0.plusSeconds(1)));
        assertTrue(SpoolConflict.spooledWins(usable, 1, refused));
        assertFalse(SpoolConflict.spooledWins(refused, 1, usable));
    }

    @Test
    void inTheSameSecondAndStateTheLaterRefreshWinsAndATieKeepsTheStores() {
        StoredCredential earlier = row(2, 2, CredentialStatus.ACTIVE, T0, Optional.of(T0.plusMillis(400)));
        StoredCredential later = row(2, 3, CredentialStatus.ACTIVE, T0, Optional.of(T0.plusMillis(900)));
        assertTrue(SpoolConflict.spooledWins(later, 1, earlier));
        assertFalse(SpoolConflict.spooledWins(earlier, 1, later));
        StoredCredential sameMoment = row(2, 4, CredentialStatus.ACTIVE, T0, Optional.of(T0.plusMillis(900)));
        assertFalse(SpoolConflict.spooledWins(sameMoment, 1, later), "nothing says the spooled one is newer");
    }

    @Test
    void aRowNeverRefreshedCountsFromItsIssue() {
        StoredCredential imported = row(2, 2, CredentialStatus.ACTIVE, T0, Optional.empty());
        StoredCredential refreshedLater = row(2, 3, CredentialStatus.ACTIVE, T0, Optional.of(T0.plusMillis(1)));
        StoredCredential refreshedBefore = row(2, 3, CredentialStatus.ACTIVE, T0, Optional.of(T0.minusMillis(1)));
        assertFalse(SpoolConflict.spooledWins(imported, 1, refreshedLater));
        assertTrue(SpoolConflict.spooledWins(imported, 1, refreshedBefore));
        assertTrue(SpoolConflict.spooledWins(refreshedLater, 1, imported));
    }
}
