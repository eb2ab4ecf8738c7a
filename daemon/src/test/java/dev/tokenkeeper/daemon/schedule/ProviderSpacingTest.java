package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProviderSpacingTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration SPACING = Duration.ofSeconds(60);

    @Test
    void accountsDueTogetherArePlannedApartEarlierRatherThanLater() {
        ProviderSpacing spacing = new ProviderSpacing();
        Instant due = NOW.plus(Duration.ofHours(1));
        List<Instant> planned = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            planned.add(spacing.place(new CredentialId("vinted", "a" + i), due, SPACING, NOW));
        }
        planned.sort(null);
        for (int i = 1; i < planned.size(); i++) {
            assertTrue(Duration.between(planned.get(i - 1), planned.get(i)).compareTo(SPACING) >= 0, planned.toString());
        }
        assertFalse(planned.get(planned.size() - 1).isAfter(due), "no account is planned later than it is due");
        // Other providers are not constrained.
        assertEquals(due, spacing.place(new CredentialId("gazelle", "a"), due, SPACING, NOW));
    }

    @Test
    void overdueAccountsAreSpreadFromNowOn() {
        ProviderSpacing spacing = new ProviderSpacing();
        Instant overdue = NOW.minus(Duration.ofMinutes(5));
        Instant first = spacing.place(new CredentialId("vinted", "a"), overdue, SPACING, NOW);
        Instant second = spacing.place(new CredentialId("vinted", "b"), overdue, SPACING, NOW);
        assertEquals(NOW, first);
        assertEquals(NOW.plus(SPACING), second);
        // Re-planning an account frees its old slot.
        assertEquals(NOW, spacing.place(new CredentialId("vinted", "a"), overdue, SPACING, NOW));
    }

    @Test
    void anAccountWithNoRoomBetweenNowAndItsTimeIsPlannedTheSpacingAfterTheOther() {
        ProviderSpacing spacing = new ProviderSpacing();
        Instant soon = NOW.plusSeconds(30);
        assertEquals(soon, spacing.place(new CredentialId("vinted", "a"), soon, SPACING, NOW));
        // A minute earlier would be in the past: a minute later instead.
        assertEquals(soon.plus(SPACING), spacing.place(new CredentialId("vinted", "b"), soon, SPACING, NOW));
    }

    @Test
    void anAccountExactlyTheSpacingApartKeepsItsTime() {
        ProviderSpacing spacing = new ProviderSpacing();
        Instant due = NOW.plus(Duration.ofHours(1));
        spacing.place(new CredentialId("vinted", "a"), due, SPACING, NOW);
        assertEquals(due.plus(SPACING), spacing.place(new CredentialId("vinted", "b"), due.plus(SPACING), SPACING, NOW));
        assertEquals(due.minus(SPACING), spacing.place(new CredentialId("vinted", "c"), due.minus(SPACING), SPACING, NOW));
        assertEquals(due.minus(SPACING.multipliedBy(2)),
                spacing.place(new CredentialId("vinted", "d"), due.minus(SPACING).plusSeconds(1), SPACING, NOW),
                "a second too close: moved to the nearest free time, earlier");
    }
}
