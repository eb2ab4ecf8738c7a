package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which store reads a change announced by another daemon caught: those under way when it came, every
 * overlapping one of them, and none that began after the last of them ended.
 */
class ReadsUnderWayTest {

    private static final CredentialId ID = CredentialId.parse("acme:shop");
    private static final CredentialId OTHER = CredentialId.parse("acme:other");

    private final ReadsUnderWay reads = new ReadsUnderWay();

    @Test
    void aReadWithoutAChangeEndsClean() {
        reads.begin(ID);
        assertFalse(reads.end(ID));
    }

    @Test
    void aChangeDuringAReadMarksItAndOnlyThatCredential() {
        reads.begin(ID);
        reads.begin(OTHER);
        reads.changed(ID);
        assertTrue(reads.end(ID), "the row may predate the change");
        assertFalse(reads.end(OTHER));
    }

    @Test
    void aChangeAnnouncedWhileNothingIsReadMarksNoLaterRead() {
        reads.changed(ID);
        reads.begin(ID);
        assertFalse(reads.end(ID), "the read began after the change: its row has it");
    }

    @Test
    void overlappingReadsAreAllMarkedAndTheMarkEndsWithTheLastOfThem() {
        reads.begin(ID);
        reads.begin(ID);
        reads.changed(ID);
        assertTrue(reads.end(ID));
        assertTrue(reads.end(ID), "the second read was under way too");

        reads.begin(ID);
        assertFalse(reads.end(ID), "both ended before this read began");
    }

    @Test
    void aReadThatStillRunsKeepsTheMarkForItselfAfterAnEarlierOneEnded() {
        reads.begin(ID);
        reads.begin(ID);
        assertFalse(reads.end(ID));
        reads.changed(ID);
        assertTrue(reads.end(ID), "the remaining read was under way when the change came");
    }

    @Test
    void anEndWithoutABeginIsNotMarked() {
        reads.changed(ID);
        assertFalse(reads.end(ID));
    }
}
