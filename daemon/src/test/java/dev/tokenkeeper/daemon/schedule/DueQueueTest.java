package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DueQueueTest {

    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void credentialsDueAtTheSameInstantAreAllTakenEarliestFirstInTheOrderTheyWerePlanned() {
        DueQueue queue = new DueQueue();
        CredentialId later = CredentialId.parse("acme:later");
        CredentialId first = CredentialId.parse("acme:first");
        CredentialId second = CredentialId.parse("acme:second");
        queue.put(later, AT.plusSeconds(60), false);
        queue.put(first, AT, false);
        queue.put(second, AT, true);
        assertEquals(3, queue.size());
        assertEquals(Optional.of(AT), queue.earliest());

        List<DueQueue.Due> due = queue.takeDue(AT);

        assertEquals(List.of(first, second), due.stream().map(DueQueue.Due::id).toList());
        assertEquals(List.of(false, true), due.stream().map(DueQueue.Due::retry).toList());
        assertEquals(1, queue.size());
        assertEquals(Optional.of(AT.plusSeconds(60)), queue.earliest());
    }

    @Test
    void aCredentialPlannedAgainMovesAndOneTakenOffIsNoLongerDue() {
        DueQueue queue = new DueQueue();
        CredentialId moved = CredentialId.parse("acme:moved");
        CredentialId removed = CredentialId.parse("acme:removed");
        queue.put(moved, Optional.of(AT), true);
        queue.put(removed, Optional.of(AT), false);
        assertTrue(queue.retrying(moved));
        assertFalse(queue.retrying(removed));

        queue.put(moved, Optional.of(AT.plusSeconds(30)), false);
        queue.put(removed, Optional.empty(), false);
        assertEquals(1, queue.size());
        assertEquals(Optional.of(AT.plusSeconds(30)), queue.at(moved));
        assertFalse(queue.retrying(moved));
        assertEquals(Optional.empty(), queue.at(removed));
        assertFalse(queue.retrying(removed));
        assertEquals(List.of(), queue.takeDue(AT, 5), "not due at its old time");

        assertEquals(List.of(new Plan.Taken(moved, false, Optional.empty())), queue.takeDue(AT.plusSeconds(30), 0),
                "due at its new time, whatever the limit");
        assertEquals(0, queue.size());
        assertEquals(Optional.empty(), queue.earliest());
        assertEquals(List.of(), queue.takeDue(AT.plusSeconds(30), 5));
    }
}
