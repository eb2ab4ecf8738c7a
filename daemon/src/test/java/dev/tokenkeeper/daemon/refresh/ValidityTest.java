package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whether a token is still good for as long as a caller asks, the ask capped at half its lifetime. */
class ValidityTest {

    private static final Instant ISSUED = Instant.parse("2026-03-01T00:00:00Z");

    private static StoredCredential expiring(Optional<Instant> end) {
        return new StoredCredential(CredentialId.parse("acme:shop"), CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {1}),
                ISSUED, end, Optional.empty(), 1, Optional.of(ISSUED), Optional.empty(), ISSUED);
    }

    @Test
    void aTokenWithoutAKnownEndIsGoodForAnyAsk() {
        assertTrue(Validity.enough(expiring(Optional.empty()), ISSUED.plus(Duration.ofDays(400)), Duration.ofDays(30)));
    }

    @Test
    void aTokenIsGoodWhileItsEndIsNoEarlierThanTheAskAndTheAskIsCappedAtHalfItsLifetime() {
        StoredCredential hour = expiring(Optional.of(ISSUED.plus(Duration.ofHours(1))));
        Instant tenToEnd = ISSUED.plus(Duration.ofMinutes(50));
        assertTrue(Validity.enough(hour, tenToEnd, Duration.ofMinutes(10)), "exactly as long as asked");
        assertFalse(Validity.enough(hour, tenToEnd, Duration.ofMinutes(10).plusSeconds(1)));
        // Asking for two hours of a one-hour token asks for half an hour.
        assertTrue(Validity.enough(hour, ISSUED.plus(Duration.ofMinutes(30)), Duration.ofHours(2)));
        assertFalse(Validity.enough(hour, ISSUED.plus(Duration.ofMinutes(30)).plusSeconds(1), Duration.ofHours(2)));
        // An end before the issue (a clock step) caps nothing.
        StoredCredential backwards = expiring(Optional.of(ISSUED.minus(Duration.ofMinutes(1))));
        assertFalse(Validity.enough(backwards, ISSUED.minus(Duration.ofMinutes(2)), Duration.ofMinutes(5)));
        assertTrue(Validity.enough(backwards, ISSUED.minus(Duration.ofMinutes(6)), Duration.ofMinutes(5)));
    }
}
