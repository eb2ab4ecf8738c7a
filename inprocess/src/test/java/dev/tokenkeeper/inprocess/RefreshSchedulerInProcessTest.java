package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RefreshScheduler} in the harness's daemon, ticked by hand on the controlled clock, with the
 * real Gazelle provider and its imitation (1-hour access tokens), the validation sweep every minute.
 */
class RefreshSchedulerInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CredentialId ID = CredentialId.parse("gazelle:default");

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock).accessLifetime(Duration.ofHours(1));

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings())
            .setting("TOKENKEEPER_CHECK_INTERVAL_MINUTES", "1")
            // A plan that does not move: the sweep re-plans with a fresh jitter each time.
            .setting("TOKENKEEPER_REFRESH_JITTER_SECONDS", "0")
            // Refresh 30 minutes before expiry, retry 10 minutes after a failure: ten sweeps in between.
            .setting("TOKENKEEPER_REFRESH_MARGIN_SECONDS", "1800")
            .setting("TOKENKEEPER_RETRY_BASE_SECONDS", "600");

    private RefreshScheduler scheduler;

    @BeforeEach
    void importChain() {
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString());
        assertEquals(201, imported.statusCode(), imported.body());
        scheduler = daemon.assembly().scheduler();
    }

    @AfterEach
    void closeImitation() {
        gazelle.close();
    }

    @Test
    void aRefreshRunsAtItsPlannedTimeAndNotBefore() {
        Instant planned = scheduler.nextFireTime(ID).orElseThrow();
        assertTrue(planned.isBefore(clock.instant().plus(Duration.ofHours(1))), "before the token expires: " + planned);
        daemon.advance(Duration.between(clock.instant(), planned).minusSeconds(1));
        assertEquals(0, gazelle.refreshRequestCount(), "not before its time");
        daemon.advance(Duration.ofSeconds(1));
        assertEquals(1, gazelle.refreshRequestCount(), "at its time");
        assertEquals(planned, gazelle.tokenRequests().get(0).at());
    }

    /** The sweep re-plans every credential; one waiting for its retry keeps the retry's time. */
    @Test
    void aRetryKeepsItsTimeThroughTheSweeps() {
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.serviceUnavailable());
        Instant planned = scheduler.nextFireTime(ID).orElseThrow();
        daemon.advance(Duration.between(clock.instant(), planned));
        assertEquals(1, gazelle.refreshRequestCount(), "the planned try, answered 503");
        Instant retry = scheduler.nextFireTime(ID).orElseThrow();
        assertTrue(retry.isAfter(clock.instant().plus(Duration.ofMinutes(5))), "a retry some sweeps away: " + retry);

        daemon.advance(Duration.between(clock.instant(), retry).minusSeconds(1));
        assertEquals(1, gazelle.refreshRequestCount(), "no try between the sweeps");
        assertEquals(retry, scheduler.nextFireTime(ID).orElseThrow());
        daemon.advance(Duration.ofSeconds(1));
        List<FakeGazelle.TokenRequest> requests = gazelle.tokenRequests();
        assertEquals(2, requests.size());
        assertEquals(retry, requests.get(1).at());
    }

    @Test
    void aStoppedSchedulerRefreshesNothingAndResumedRunsWhatIsOverdue() {
        scheduler.pause();
        daemon.advance(Duration.ofHours(2));
        assertEquals(0, gazelle.refreshRequestCount(), "stopped");
        assertFalse(scheduler.nextDue().isPresent(), "nothing due while stopped");
        scheduler.resume();
        daemon.advance(Duration.ZERO);
        assertEquals(1, gazelle.refreshRequestCount(), "the overdue refresh at once");
        assertEquals(clock.instant(), gazelle.tokenRequests().get(0).at());
    }
}
