package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.store.DueWork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Claims of the due queue on the real PostgreSQL: what a claim does to the row's due time. */
class PostgresClaimTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @RegisterExtension
    final OpenedStores stores = new OpenedStores(POSTGRES);

    @TempDir
    Path temp;

    @Test
    void aClaimedRowIsDueAgainAtItsLeasesEndAndTheClaimCarriesTheDueTimeItHad() {
        PostgresTokenStore store = stores.open(PostgresServer.freshSchema(), temp);
        CredentialId planned = CredentialId.parse("gazelle:planned");
        CredentialId unplanned = CredentialId.parse("gazelle:unplanned");
        store.insert(OpenedStores.credential(planned.toString(), 1));
        store.insert(OpenedStores.credential(unplanned.toString(), 1));
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Instant wasDue = now.minusSeconds(5);
        store.plan(planned, Optional.of(wasDue), false);
        Instant leaseEnd = now.plusSeconds(60);

        List<DueWork.Claim> claims = store.claimDue("me", now, leaseEnd, 5);

        assertEquals(List.of(Optional.<Instant>empty(), Optional.of(wasDue)), claims.stream().map(DueWork.Claim::due).toList(),
                "the unplanned row first, then the planned one with the due time it had");
        assertEquals(Optional.of(leaseEnd), store.nextDue(planned), "due again when the lease ends, off the queue's head");
        assertEquals(Optional.empty(), store.nextDue(unplanned), "a row never planned stays unplanned");

        store.release(planned, "me", Optional.of(now.plusSeconds(3600)), false);
        assertEquals(Optional.of(now.plusSeconds(3600)), store.nextDue(planned), "a release writes the plan");
    }
}
