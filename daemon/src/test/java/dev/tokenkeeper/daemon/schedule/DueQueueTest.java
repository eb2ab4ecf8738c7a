package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
