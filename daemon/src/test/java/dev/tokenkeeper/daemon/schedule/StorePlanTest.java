package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.contract.Credentials;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.daemon.refresh.DueRowsStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plan kept in the store's due queue, over the real SQLite store with its due queue beside it
 * ({@link DueRowsStore}): what the scheduler puts and takes is what the store's rows say.
 */
class StorePlanTest {

    private static final Instant T0 = Credentials.T0;
    private static final Duration LEASE = Duration.ofSeconds(90);
    private static final CredentialId A = CredentialId.parse("gazelle:a");
    private static final CredentialId B = CredentialId.parse("gazelle:b");

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(T0);
    private final DueRowsStore store = new DueRowsStore(clock);
    private final StorePlan plan = new StorePlan(store, "me", LEASE);

    @BeforeEach
    void open() {
        store.open(TestContext.of(state, clock));
        assertTrue(store.insert(Credentials.minimal(A.toString(), (byte) 1)));
        assertTrue(store.insert(Credentials.minimal(B.toString(), (byte) 2)));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aPlannedTimeIsTheRowsAndARetryIsReadOnlyByItsClaim() {
        assertEquals(Optional.of(Instant.EPOCH), plan.earliest(), "a row never planned is due at once");
        plan.put(A, Optional.of(T0.plusSeconds(60)), true);
        plan.put(B, Optional.empty(), false);

        assertEquals(Optional.of(T0.plusSeconds(60)), plan.at(A));
        assertEquals(Optional.of(T0.plusSeconds(60)), store.nextDue(A), "written to the row");
        assertEquals(Optional.empty(), plan.at(B), "kept out of claims");
        assertTrue(store.plannedAsRetry(A));
        assertFalse(plan.retrying(A), "the plan does not read it back");
        assertEquals(Optional.of(T0.plusSeconds(60)), plan.earliest());

        plan.put(A, Optional.empty(), false);
        assertEquals(Optional.empty(), plan.earliest(), "nothing planned");
    }

    @Test
    void takingClaimsTheDueRowsUpToTheLimitWithTheLeaseFromNow() {
        plan.put(A, Optional.of(T0.plusSeconds(10)), true);
        plan.put(B, Optional.of(T0.plusSeconds(20)), false);
        assertEquals(List.of(), plan.takeDue(T0.plusSeconds(30), 0), "no free worker: nothing claimed");
        assertEquals(Optional.empty(), store.leaseHolder(A));

        List<Plan.Taken> first = plan.takeDue(T0.plusSeconds(30), 1);
        assertEquals(1, first.size());
        Plan.Taken taken = first.get(0);
        assertEquals(A, taken.id(), "the earliest first");
        assertTrue(taken.retry());
        assertEquals(A, taken.claim().orElseThrow().credential().id());
        assertEquals(Optional.of(T0.plusSeconds(10)), taken.claim().orElseThrow().due());
        assertEquals(Optional.of("me"), store.leaseHolder(A));

        Plan.Taken second = plan.takeDue(T0.plusSeconds(30), 5).get(0);
        assertEquals(B, second.id());
        assertFalse(second.retry());
        assertEquals(List.of(), plan.takeDue(T0.plusSeconds(30), 5), "both are claimed");

        clock.setTo(T0.plusSeconds(30).plus(LEASE).minusMillis(1));
        assertEquals(Optional.of("me"), store.leaseHolder(A), "the lease lasts its length from the claim");
        clock.setTo(T0.plusSeconds(30).plus(LEASE));
        assertEquals(Optional.empty(), store.leaseHolder(A), "and no longer");
    }

    @Test
    void aStoreThatDoesNotAnswerLeavesAViewsNextRefreshTimesUnknownInsteadOfFailingIt() {
        plan.put(A, Optional.of(T0.plusSeconds(60)), false);
        plan.put(B, Optional.of(T0.plusSeconds(90)), false);
        assertEquals(Map.of(A, T0.plusSeconds(60), B, T0.plusSeconds(90)), plan.at(List.of(A, B)));

        store.down(true);

        assertEquals(Optional.empty(), plan.at(A));
        assertEquals(Map.of(), plan.at(List.of(A, B)));
        store.down(false);
        assertEquals(Optional.of(T0.plusSeconds(60)), plan.at(A), "read again once it answers");
    }
}
