package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spool's last rows seen: without a bound every row; with one the rows used most recently (issue 26). */
class LastSeenTest {

    private static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");

    private static StoredCredential row(int i, long version) {
        return new StoredCredential(id(i), CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {(byte) i}), T0,
                Optional.of(T0.plusSeconds(3600)), Optional.empty(), version, Optional.of(T0), Optional.empty(), T0);
    }

    private static CredentialId id(int i) {
        return new CredentialId("gazelle", "a" + i);
    }

    @Test
    void withABoundItKeepsTheRowsUsedMostRecentlyAndNoMore() {
        LastSeen seen = new LastSeen(3);
        assertTrue(seen.bounded());
        IntStream.range(0, 3).forEach(i -> seen.put(row(i, 1)));
        assertEquals(Optional.of(row(0, 1)), seen.get(id(0)), "read: now the most recent");
        seen.put(row(3, 1));
        assertEquals(3, seen.size());
        assertEquals(Optional.empty(), seen.get(id(1)), "the least recently used went");
        assertEquals(Optional.of(row(0, 1)), seen.put(row(0, 2)), "a put answers the row it replaced");
        seen.remove(id(2));
        Map<CredentialId, StoredCredential> copy = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        seen.copyInto(copy);
        assertEquals(Map.of(id(0), row(0, 2), id(3), row(3, 1)), copy);
        assertThrows(IllegalArgumentException.class, () -> new LastSeen(0));
    }

    @Test
    void withoutABoundItKeepsEveryRow() {
        LastSeen seen = new LastSeen(Integer.MAX_VALUE);
        assertFalse(seen.bounded());
        IntStream.range(0, 20_000).forEach(i -> seen.put(row(i, 1)));
        assertEquals(20_000, seen.size());
        assertEquals(Optional.of(row(0, 1)), seen.get(id(0)));
    }
}
