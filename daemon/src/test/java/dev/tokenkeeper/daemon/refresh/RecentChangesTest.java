package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.contract.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecentChangesTest {

    private static final CredentialId A = CredentialId.parse("acme:a");
    private static final CredentialId B = CredentialId.parse("acme:b");
    private static final Duration KEPT = Duration.ofSeconds(60);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"));
    private final RecentChanges recent = new RecentChanges(clock, KEPT);

    @Test
    void aChangeAtOrAfterAClaimsReadCountsAndOneBeforeItDoesNot() {
        Instant read = clock.instant();
        assertFalse(recent.changedSince(A, read), "never changed");
        recent.changed(A);
        assertTrue(recent.changedSince(A, read), "changed at the very moment of the read: the read may predate it");
        assertFalse(recent.changedSince(A, read.plusMillis(1)), "changed before a later read");
        assertFalse(recent.changedSince(B, read));
    }

    @Test
    void changesOlderThanTheLeaseWindowAreForgottenAtTheFirstChangeAfterAWindow() {
        Instant first = clock.instant();
        recent.changed(A);
        clock.advance(KEPT.minusSeconds(1));
        recent.changed(B);
        assertEquals(2, recent.size(), "no purge within the first window");
        assertTrue(recent.changedSince(A, first));

        clock.advance(Duration.ofSeconds(2));
        recent.changed(B);
        assertEquals(1, recent.size(), "A, 61 s old, forgotten; B kept");
        assertFalse(recent.changedSince(A, first));
        assertTrue(recent.changedSince(B, clock.instant()));
    }
}
