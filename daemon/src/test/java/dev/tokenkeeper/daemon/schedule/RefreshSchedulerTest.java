package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.Refreshability;
import dev.tokenkeeper.api.RefreshTiming;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.daemon.config.RefreshPolicy;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.refresh.DueRowsStore;
import dev.tokenkeeper.daemon.refresh.HeldUpstreamCall;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import dev.tokenkeeper.daemon.refresh.RefreshTrigger;
import dev.tokenkeeper.daemon.refresh.ScriptedProvider;
import dev.tokenkeeper.daemon.refresh.TokenCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler over the real SQLite store and pipeline, ticked by hand on a clock the test moves
 * (no jitter, a 6-hour sweep), and once on Quartz where its own ticks are the subject.
 */
class RefreshSchedulerTest {

    private static final CredentialId ID = CredentialId.parse("acme:shop");
    private static final CredentialId OTHER = CredentialId.parse("acme:other");
    private static final Duration SWEEP = Duration.ofHours(6);
    private static final Duration LEASE = Duration.ofSeconds(120);

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"));
    private final SecretSealer sealer = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
    private final ScriptedProvider provider = new ScriptedProvider(clock);
    private TokenStore store;
    private RefreshPipeline pipeline;
    private RefreshScheduler scheduler;

    @BeforeEach
    void open() {
        store = EmbeddedStore.found();
        store.open(TestContext.of(state, clock));
        pipeline = pipelineOn(store);
    }

    private RefreshPipeline pipelineOn(TokenStore credentials) {
        return new RefreshPipeline(credentials, sealer, id -> Optional.of(provider), new RefreshPolicy(Duration.ofSeconds(60),
                Duration.ZERO, Duration.ofSeconds(30), Duration.ofSeconds(900), Duration.ofSeconds(5), LEASE),
                () -> 0L, clock, "me", new TokenCache());
    }

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
        pipeline.closeAndAwaitIdle(Duration.ofSeconds(5));
        store.close();
    }

    private RefreshScheduler byHand(boolean autoRefresh) throws Exception {
        scheduler = new RefreshScheduler(pipeline, store::list, new Scheduling(1, SWEEP, autoRefresh, Duration.ofSeconds(1)), clock);
        scheduler.tickByHand();
        scheduler.start();
        return scheduler;
    }

    /** Imported now, an hour-long token: due at 54 minutes (a tenth of the hour before its expiry). */
    private StoredCredential imported(CredentialId id) {
        Instant now = clock.instant();
        StoredCredential credential = new StoredCredential(id, CredentialStatus.ACTIVE,
                sealer.seal(id, new SecretMaterial(Map.of("access_token", "first-" + id.account()))), now, Optional.of(now.plus(Duration.ofHours(1))),
                Optional.empty(), 1, Optional.of(now), Optional.empty(), now);
        assertTrue(store.insert(credential));
        return credential;
    }

    private void tickAt(Duration sinceStart, Instant start) throws InterruptedException {
        clock.setTo(start.plus(sinceStart));
        scheduler.tick();
        assertTrue(scheduler.awaitIdle(Duration.ofSeconds(10)), "the dispatched refreshes finished");
    }

    @Test
    void aCredentialIsRefreshedAtItsPlannedTimeNotBeforeAndIsPlannedAgain() throws Exception {
        Instant start = clock.instant();
        imported(ID);
        byHand(true);
        assertEquals(1, scheduler.plannedAtStart());
        assertEquals(1, scheduler.planned());
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(54))), scheduler.nextFireTime(ID));
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(54))), scheduler.nextDue(), "before the sweep");
        assertFalse(scheduler.plansInStore());
        assertTrue(scheduler.plannedHere(ID), "the change follower re-reads what this daemon plans");
        assertFalse(scheduler.plannedHere(OTHER));
        assertEquals(Map.of(ID, start.plus(Duration.ofMinutes(54))), scheduler.nextFireTimes(List.of(ID, OTHER)),
                "a page's view: only what is planned");
        assertEquals("1 credentials planned", scheduler.planSummary());

        tickAt(Duration.ofMinutes(54).minusSeconds(1), start);
        assertEquals(0, provider.refreshCalls.get(), "not a second early");
        tickAt(Duration.ofMinutes(54), start);
        assertEquals(1, provider.refreshCalls.get());
        assertEquals(2, store.get(ID).orElseThrow().version());
        assertEquals(Optional.of(clock.instant().plus(Duration.ofMinutes(54))), scheduler.nextFireTime(ID), "planned from the new token");
        assertTrue(scheduler.alive(Duration.ofMinutes(1)), "it ticked just now");
    }

    @Test
    void aFailedRefreshIsRetriedAtItsBackoffEvenThoughItWouldNotBeDue() throws Exception {
        Instant start = clock.instant();
        imported(ID);
        byHand(true);
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        tickAt(Duration.ofMinutes(54), start);
        Instant retry = start.plus(Duration.ofMinutes(54)).plusSeconds(15);
        assertEquals(Optional.of(retry), scheduler.nextFireTime(ID), "half of the 30 s base, no jitter");
        tickAt(Duration.ofMinutes(54).plusSeconds(14), start);
        assertEquals(1, provider.refreshCalls.get());
        tickAt(Duration.ofMinutes(54).plusSeconds(15), start);
        assertEquals(2, provider.refreshCalls.get(), "the retry ran");
        assertEquals(3, store.get(ID).orElseThrow().version(), "refreshed on the retry (after the error's write)");
    }

    @Test
    void aRefreshAnotherDaemonMadeMeanwhileIsSkippedAndPlannedFromItsRow() throws Exception {
        Instant start = clock.instant();
        StoredCredential first = imported(ID);
        byHand(true);
        clock.setTo(start.plus(Duration.ofMinutes(40)));
        Instant now = clock.instant();
        assertTrue(store.compareAndSet(new StoredCredential(ID, CredentialStatus.ACTIVE, first.secret(), now,
                Optional.of(now.plus(Duration.ofHours(1))), Optional.empty(), 2, Optional.of(now), Optional.empty(), now), 1));
        tickAt(Duration.ofMinutes(54), start);
        assertEquals(0, provider.refreshCalls.get(), "not due any more");
        assertEquals(Optional.of(now.plus(Duration.ofMinutes(54))), scheduler.nextFireTime(ID));
    }

    @Test
    void stoppedItRunsNothingAndStartedAgainItRunsWhatIsOverdue() throws Exception {
        Instant start = clock.instant();
        imported(ID);
        byHand(false);
        assertFalse(scheduler.state().isActive(), "automatic refresh disabled: stopped from the start");
        assertTrue(scheduler.nextDue().isEmpty(), "nothing is due while stopped");
        assertTrue(scheduler.alive(Duration.ZERO), "stopped on purpose is not dead");
        tickAt(Duration.ofHours(2), start);
        assertEquals(0, provider.refreshCalls.get());

        SchedulerState resumed = scheduler.resume();
        assertTrue(resumed.isActive());
        assertFalse(resumed.autoRefreshEnabled());
        tickAt(Duration.ofHours(2), start);
        assertEquals(1, provider.refreshCalls.get(), "the overdue refresh ran at once");

        assertFalse(scheduler.pause().isActive());
        SchedulerState restarted = scheduler.restart(Optional.of(Duration.ofMinutes(10)));
        assertTrue(restarted.isActive());
        assertEquals(10.0, restarted.intervalMinutes());
        assertEquals(Optional.of(clock.instant().plus(Duration.ofMinutes(10))), scheduler.nextDue(), "the sweep comes first now");
    }

    @Test
    void theSweepRefreshesATokenTheUpstreamRejectsAndLeavesTheOthers() throws Exception {
        Instant start = clock.instant();
        imported(ID);
        imported(OTHER);
        byHand(true);
        scheduler.restart(Optional.of(Duration.ofMinutes(20)));
        provider.verdicts.put("first-shop", new ValidationResult.Rejected("revoked"));
        provider.verdicts.put("first-other", new ValidationResult.Inconclusive(FailureKind.NETWORK, "reset", Optional.empty()));
        tickAt(Duration.ofMinutes(19), start);
        assertEquals(0, provider.validationCalls.get(), "no sweep before its interval");
        tickAt(Duration.ofMinutes(20), start);
        assertEquals(2, provider.validationCalls.get(), "each credential asked once");
        assertEquals(1, provider.refreshCalls.get(), "only the rejected one refreshed");
        assertEquals(2, store.get(ID).orElseThrow().version());
        assertEquals(1, store.get(OTHER).orElseThrow().version());
        assertEquals(Optional.of(clock.instant().plus(Duration.ofMinutes(54))), scheduler.nextFireTime(ID), "planned from the new token");
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(40))), scheduler.nextDue(), "the next sweep, 20 minutes on");
    }

    @Test
    void aCredentialThatNeedsAHumanOrIsDeletedLeavesThePlan() throws Exception {
        StoredCredential credential = imported(ID);
        imported(OTHER);
        byHand(true);
        scheduler.plan(credential.withStatus(CredentialStatus.REQUIRES_CONFIGURATION, Optional.of("invalid_grant"), clock.instant()));
        assertTrue(scheduler.nextFireTime(ID).isEmpty());
        pipeline.forget(OTHER);
        assertTrue(scheduler.nextFireTime(OTHER).isEmpty());
        assertEquals(0, scheduler.planned());
    }

    @Test
    void tickingByHandIsChosenBeforeTheStartOnly() throws Exception {
        byHand(true);
        IllegalStateException late = assertThrows(IllegalStateException.class, scheduler::tickByHand);
        assertEquals("tickByHand() comes before start()", late.getMessage());
        RefreshScheduler onQuartz = new RefreshScheduler(pipeline, store::list,
                new Scheduling(1, SWEEP, true, Duration.ofSeconds(1)), clock);
        IllegalStateException notByHand = assertThrows(IllegalStateException.class, onQuartz::tick);
        assertTrue(notByHand.getMessage().startsWith("the scheduler ticks on Quartz"), notByHand.getMessage());
        onQuartz.close();
    }

    @Test
    void onQuartzADueCredentialIsRefreshedByItsOwnTicks() throws Exception {
        clock.setTo(clock.instant().minus(Duration.ofHours(2)));
        imported(ID);
        clock.setTo(clock.instant().plus(Duration.ofHours(2)));
        scheduler = new RefreshScheduler(pipeline, store::list, new Scheduling(1, SWEEP, true, Duration.ofMillis(20)), clock);
        scheduler.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> provider.refreshCalls.get() == 1
                && store.get(ID).orElseThrow().version() == 2);
        assertTrue(scheduler.alive(Duration.ofSeconds(10)));
        assertFalse(scheduler.pause().isActive());
        SchedulerState restarted = scheduler.restart(Optional.of(Duration.ofMinutes(30)));
        assertTrue(restarted.isActive());
        assertEquals(30.0, restarted.intervalMinutes());
    }

    @Test
    void onQuartzStartedStoppedItRefreshesNothingUntilResumedAndNothingAfterAPause() throws Exception {
        clock.setTo(clock.instant().minus(Duration.ofHours(2)));
        imported(ID);
        clock.setTo(clock.instant().plus(Duration.ofHours(2)));
        scheduler = new RefreshScheduler(pipeline, store::list, new Scheduling(1, SWEEP, false, Duration.ofMillis(20)), clock);
        scheduler.start();
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> provider.refreshCalls.get() == 0);

        scheduler.resume();
        await().atMost(Duration.ofSeconds(20)).until(() -> provider.refreshCalls.get() == 1
                && store.get(ID).orElseThrow().version() == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.nextDue()
                .equals(Optional.of(clock.instant().plus(Duration.ofMinutes(54)))));

        scheduler.pause();
        clock.setTo(clock.instant().plus(Duration.ofHours(2)));
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> provider.refreshCalls.get() == 1);
    }

    @Test
    void onQuartzTheSweepRunsOnItsIntervalAlsoAfterARestart() throws Exception {
        imported(ID);
        scheduler = new RefreshScheduler(pipeline, store::list, new Scheduling(1, Duration.ofSeconds(1), true,
                Duration.ofMillis(20)), clock);
        scheduler.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> provider.validationCalls.get() >= 1);
        scheduler.restart(Optional.of(Duration.ofSeconds(1)));
        int before = provider.validationCalls.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> provider.validationCalls.get() > before);
        assertEquals(0, provider.refreshCalls.get(), "an accepted token is not refreshed");
    }

    @Test
    void refreshesRunOnDaemonWorkerThreadsAndAStillRunningOneIsLookedAtAgainASecondLater() throws Exception {
        Instant start = clock.instant();
        imported(ID);
        byHand(true);
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> provider.issued("next", Duration.ofHours(1)));
        clock.setTo(start.plus(Duration.ofMinutes(54)));
        scheduler.tick();
        assertFalse(scheduler.awaitIdle(Duration.ofMillis(50)), "the refresh waits for the upstream");

        // Planned again while it runs (say an import): due now, it is not run twice at once.
        StoredCredential expired = store.get(ID).orElseThrow();
        scheduler.plan(new StoredCredential(ID, CredentialStatus.ACTIVE, expired.secret(), start, Optional.of(start),
                Optional.empty(), 1, Optional.of(start), Optional.empty(), start));
        scheduler.tick();
        assertEquals(Optional.of(clock.instant().plusSeconds(1)), scheduler.nextFireTime(ID));
        held.answer();
        assertTrue(scheduler.awaitIdle(Duration.ofSeconds(10)));
        assertEquals(1, provider.refreshCalls.get());
        assertTrue(held.caller().isDaemon(), "a refresh never keeps the JVM from exiting");
        assertEquals("refresh-worker", held.caller().getName());
    }

    @Test
    void aSchedulerThatHasNotTickedWithinTheBoundIsNotAlive() throws Exception {
        byHand(true);
        scheduler.tick();
        Thread.sleep(5);
        assertFalse(scheduler.alive(Duration.ofMillis(1)));
        assertTrue(scheduler.alive(Duration.ofMinutes(1)));
    }

    @Test
    void theSweepReplansFromTheRowButKeepsAPlannedRetry() throws Exception {
        Instant start = clock.instant();
        StoredCredential other = imported(OTHER);
        imported(ID);
        byHand(true);
        scheduler.restart(Optional.of(Duration.ofMinutes(20)));
        clock.setTo(start.plus(Duration.ofMinutes(19)));
        provider.refreshAnswers.add(() -> new RefreshResult.TransientFailure(FailureKind.RATE_LIMITED, "slow down",
                Optional.of(Duration.ofMinutes(10))));
        assertInstanceOf(RefreshReport.RetryLater.class, pipeline.refresh(ID, new RefreshTrigger.Forced()));
        Optional<Instant> retry = scheduler.nextFireTime(ID);
        assertTrue(retry.orElseThrow().isAfter(start.plus(Duration.ofMinutes(20))), retry.toString());
        // Another daemon refreshed OTHER: nothing told this one.
        Instant now = clock.instant();
        assertTrue(store.compareAndSet(new StoredCredential(OTHER, CredentialStatus.ACTIVE, other.secret(), now,
                Optional.of(now.plus(Duration.ofHours(1))), Optional.empty(), 2, Optional.of(now), Optional.empty(), now), 1));

        tickAt(Duration.ofMinutes(20), start);
        assertEquals(2, provider.validationCalls.get(), "the sweep ran");
        assertEquals(retry, scheduler.nextFireTime(ID), "the retry keeps its time");
        assertEquals(Optional.of(now.plus(Duration.ofMinutes(54))), scheduler.nextFireTime(OTHER), "planned from its row");
    }

    @Test
    void aTokenWithoutRefreshIsPlannedAtItsExpiryWhileActiveAndNotAfter() throws Exception {
        Instant start = clock.instant();
        provider.refreshability = Refreshability.UNTIL_EXPIRY;
        StoredCredential credential = imported(ID);
        byHand(true);
        assertEquals(Optional.of(start.plus(Duration.ofHours(1))), scheduler.nextFireTime(ID));
        scheduler.plan(credential.withStatus(CredentialStatus.EXPIRED, Optional.of("expired"), clock.instant()));
        assertTrue(scheduler.nextFireTime(ID).isEmpty());
    }

    @Test
    void accountsOfASpacedProviderArePlannedApartAndTheEarlierOneRefreshesAheadOfItsTime() throws Exception {
        Instant start = clock.instant();
        provider.timing = new RefreshTiming(Duration.ZERO, 2, Duration.ofMinutes(10));
        imported(OTHER);
        imported(ID);
        byHand(true);
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(54))), scheduler.nextFireTime(OTHER));
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(44))), scheduler.nextFireTime(ID), "ten minutes apart, earlier");
        tickAt(Duration.ofMinutes(44), start);
        assertEquals(1, provider.refreshCalls.get(), "refreshed ten minutes ahead of its time");
        assertEquals(2, store.get(ID).orElseThrow().version());
    }

    @Test
    void aDeletedAccountGivesBackItsSlot() throws Exception {
        Instant start = clock.instant();
        provider.timing = new RefreshTiming(Duration.ZERO, 2, Duration.ofMinutes(10));
        imported(OTHER);
        StoredCredential credential = imported(ID);
        byHand(true);
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(44))), scheduler.nextFireTime(ID));
        pipeline.forget(OTHER);
        scheduler.plan(credential);
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(54))), scheduler.nextFireTime(ID), "the slot at 54 is free again");
    }

    /**
     * On the store's plan: the SQLite store with its due queue beside it ({@link DueRowsStore}), whose
     * rows the scheduler claims; the scheduler is given no list of credentials to read.
     */
    private DueRowsStore onStorePlan(int threads) throws Exception {
        DueRowsStore due = dueRows();
        planningIn(due, threads, Duration.ofSeconds(1)).tickByHand();
        scheduler.start();
        return due;
    }

    /** The SQLite store with its due queue beside it, in place of the plain one; nothing planned yet. */
    private DueRowsStore dueRows() {
        pipeline.closeAndAwaitIdle(Duration.ofSeconds(5));
        store.close();
        DueRowsStore due = new DueRowsStore(clock);
        due.open(TestContext.of(state, clock));
        store = due;
        pipeline = pipelineOn(due);
        return due;
    }

    /** A scheduler, not started, that plans in the given store's due queue. */
    private RefreshScheduler planningIn(DueRowsStore due, int threads, Duration tick) {
        scheduler = new RefreshScheduler(pipeline, () -> {
            throw new AssertionError("the store's plan reads no list of credentials");
        }, new Scheduling(threads, SWEEP, true, tick), clock);
        scheduler.planIn(due, "me", LEASE);
        return scheduler;
    }

    @Test
    void onTheStoresPlanNothingIsReadAtStartAndATickClaimsNoMoreRowsThanFourTimesItsFreeWorkers() throws Exception {
        Instant start = clock.instant();
        DueRowsStore due = onStorePlan(1);
        List<CredentialId> rows = Stream.concat(Stream.of(ID, OTHER),
                Stream.of("third", "fourth", "fifth").map(account -> CredentialId.parse("acme:" + account))).toList();
        rows.forEach(this::imported);
        assertEquals(0, scheduler.plannedAtStart());
        assertEquals(0, scheduler.planned());
        assertEquals(Optional.empty(), scheduler.nextFireTime(ID), "the time is in the row");
        assertEquals(Optional.of(Instant.EPOCH), scheduler.nextDue(), "rows never planned are due at once");
        IllegalStateException late = assertThrows(IllegalStateException.class,
                () -> scheduler.planIn(due, "me", LEASE));
        assertEquals("planIn() comes before start()", late.getMessage());

        tickAt(Duration.ZERO, start);
        assertEquals(RefreshScheduler.CLAIMED_PER_WORKER, rows.stream().filter(id -> due.nextDue(id).isPresent()).count(),
                "one worker: a claim of four (one for the worker, three queued ahead)");
        tickAt(Duration.ZERO, start);
        for (CredentialId id : rows) {
            assertEquals(Optional.of(start.plus(Duration.ofMinutes(54))), due.nextDue(id), "given back planned for its refresh");
            assertEquals(Optional.empty(), due.leaseHolder(id));
        }
        assertEquals(0, provider.validationCalls.get(), "a row never planned is not validated");
        assertEquals(0, provider.refreshCalls.get());
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(54))), scheduler.nextDue(), "the store's earliest");
        assertTrue(scheduler.plansInStore());
        assertFalse(scheduler.plannedHere(ID), "due in the store, not in this daemon's memory");
        assertEquals(Map.of(ID, start.plus(Duration.ofMinutes(54)), OTHER, start.plus(Duration.ofMinutes(54))),
                scheduler.nextFireTimes(List.of(ID, OTHER)), "a page's view, read from the store");
        assertTrue(scheduler.planSummary().contains("store's due queue"), scheduler.planSummary());
    }

    @Test
    void aRunningRefreshTakesItsWorkerAndADueRowClaimedAheadWaitsForIt() throws Exception {
        Instant start = clock.instant();
        DueRowsStore due = onStorePlan(1);
        imported(ID);
        imported(OTHER);
        due.plan(ID, Optional.of(start), true);
        due.plan(OTHER, Optional.of(start.plusSeconds(1)), true);
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> provider.issued("second", Duration.ofHours(1)));
        scheduler.tick();
        held.awaitInside();
        clock.setTo(start.plusSeconds(1));
        scheduler.tick();
        assertEquals(Optional.of("me"), due.leaseHolder(OTHER), "no free worker: claimed one batch ahead, queued");
        assertEquals(1, provider.refreshCalls.get(), "it waits for the worker");
        assertTrue(scheduler.claimedHere(ID) && scheduler.claimedHere(OTHER), "refreshing and queued: both claimed here");
        assertFalse(scheduler.claimedHere(CredentialId.parse("gazelle:elsewhere")));
        held.answer();
        assertTrue(scheduler.awaitIdle(Duration.ofSeconds(10)));
        assertFalse(scheduler.claimedHere(ID) || scheduler.claimedHere(OTHER), "both claims ended");
        tickAt(Duration.ofSeconds(1), start);
        assertEquals(2, provider.refreshCalls.get());
        assertEquals(2, store.get(OTHER).orElseThrow().version());
    }

    @Test
    void aClaimedDueRowIsRefreshedItsCommitWritesTheNextDueTimeAndAFailureIsGivenBackAsARetry() throws Exception {
        Instant start = clock.instant();
        DueRowsStore due = onStorePlan(1);
        imported(ID);
        due.plan(ID, Optional.of(start.plus(Duration.ofMinutes(54))), false);

        tickAt(Duration.ofMinutes(54), start);
        assertEquals(1, provider.refreshCalls.get());
        assertEquals(2, store.get(ID).orElseThrow().version());
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(108))), due.nextDue(ID), "planned by the commit");
        assertFalse(due.plannedAsRetry(ID));
        assertEquals(Optional.empty(), due.leaseHolder(ID), "the commit gave the lease back");

        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        tickAt(Duration.ofMinutes(108), start);
        assertEquals(2, provider.refreshCalls.get());
        assertTrue(due.plannedAsRetry(ID));
        Instant retry = due.nextDue(ID).orElseThrow();
        assertTrue(retry.isAfter(clock.instant()) && retry.isBefore(clock.instant().plus(Duration.ofMinutes(15))), retry.toString());
        assertEquals(Optional.empty(), due.leaseHolder(ID), "the claim was given back");
    }

    @Test
    void aRetryPlannedThroughTheListenerIsRefreshedThoughNotDueAndAChangeIsPlannedAtTheEarlierOfRefreshAndValidation()
            throws Exception {
        Instant start = clock.instant();
        DueRowsStore due = onStorePlan(1);
        StoredCredential row = imported(ID);
        pipeline.publish(row, Optional.of(start.plusSeconds(30)));
        assertEquals(Optional.of(start.plusSeconds(30)), due.nextDue(ID));
        assertTrue(due.plannedAsRetry(ID));
        pipeline.publish(row, Optional.empty());
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(54))), due.nextDue(ID), "its refresh comes first");
        assertFalse(due.plannedAsRetry(ID));

        StoredCredential monthLong = new StoredCredential(ID, CredentialStatus.ACTIVE, row.secret(), start,
                Optional.of(start.plus(Duration.ofDays(30))), Optional.empty(), 2, Optional.of(start), Optional.empty(), start);
        assertTrue(store.compareAndSet(monthLong, 1));
        pipeline.publish(monthLong, Optional.empty());
        Instant validation = due.nextDue(ID).orElseThrow();
        assertTrue(validation.isAfter(start.plus(SWEEP).minus(SWEEP.dividedBy(10))) && !validation.isAfter(start.plus(SWEEP)),
                "the sweep interval from now less up to a tenth of it: " + validation);

        scheduler.plan(monthLong);
        pipeline.forget(ID);
        assertEquals(Optional.of(validation), due.nextDue(ID), "whoever changed it planned it in the store");

        pipeline.publish(monthLong, Optional.of(start.plusSeconds(30)));
        tickAt(Duration.ofSeconds(30), start);
        assertEquals(1, provider.refreshCalls.get(), "a retry is refreshed though not due");
        assertEquals(3, store.get(ID).orElseThrow().version());
        assertEquals(0, provider.validationCalls.get());
    }

    @Test
    void aClaimedRowThatIsNotDueIsValidatedAndARejectedOneRefreshed() throws Exception {
        Instant start = clock.instant();
        DueRowsStore due = onStorePlan(1);
        imported(ID);
        due.plan(ID, Optional.of(start.plus(Duration.ofMinutes(10))), false);
        tickAt(Duration.ofMinutes(10), start);
        assertEquals(1, provider.validationCalls.get());
        assertEquals(0, provider.refreshCalls.get());
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(54))), due.nextDue(ID));
        assertEquals(Optional.empty(), due.leaseHolder(ID));

        provider.verdicts.put("first-shop", new ValidationResult.Rejected("revoked"));
        due.plan(ID, Optional.of(start.plus(Duration.ofMinutes(20))), false);
        tickAt(Duration.ofMinutes(20), start);
        assertEquals(2, provider.validationCalls.get());
        assertEquals(1, provider.refreshCalls.get(), "the rejected token was refreshed");
        assertEquals(2, store.get(ID).orElseThrow().version());
        assertEquals(Optional.of(start.plus(Duration.ofMinutes(74))), due.nextDue(ID), "planned from the new token");
        assertEquals(Optional.empty(), due.leaseHolder(ID));
    }

    @Test
    void aClaimedRowThatNeedsAHumanIsKeptOutOfClaimsAndATickThatCannotClaimTriesAgainAtTheNext() throws Exception {
        Instant start = clock.instant();
        DueRowsStore due = onStorePlan(1);
        StoredCredential row = imported(ID);
        assertTrue(store.compareAndSet(row.withStatus(CredentialStatus.REQUIRES_CONFIGURATION, Optional.of("invalid_grant"),
                start), 1));
        due.down(true);
        tickAt(Duration.ZERO, start);
        assertEquals(Optional.of(Instant.EPOCH), scheduler.nextDue(), "nothing claimed while the store is down");
        due.down(false);
        due.plan(ID, Optional.of(start), false);
        tickAt(Duration.ZERO, start);
        assertEquals(Optional.empty(), due.nextDue(ID), "kept out of claims");
        assertEquals(Optional.empty(), scheduler.nextDue(), "nothing planned, and no sweep of its own");
        assertEquals(0, provider.validationCalls.get());
        assertEquals(0, provider.refreshCalls.get());

        clock.setTo(start.plus(SWEEP).plusSeconds(1));
        scheduler.tick();
        assertEquals(0, provider.validationCalls.get(), "validation is folded into the store's plan");
    }

    @Test
    void onQuartzABatchThatCameBackFullIsFollowedByTheNextWithoutWaitingForATick() throws Exception {
        Instant start = clock.instant();
        DueRowsStore due = dueRows();
        List<CredentialId> rows = Stream.of("a", "b", "c", "d", "e", "f", "g")
                .map(account -> CredentialId.parse("acme:" + account)).toList();
        rows.forEach(this::imported);
        // An hour between ticks: only the first tick, at the start, falls within the test.
        planningIn(due, 1, Duration.ofHours(1)).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> rows.stream()
                .allMatch(id -> due.nextDue(id).equals(Optional.of(start.plus(Duration.ofMinutes(54))))));
        assertTrue(scheduler.awaitIdle(Duration.ofSeconds(10)));
        for (CredentialId id : rows) {
            assertEquals(Optional.empty(), due.leaseHolder(id), "every claim given back");
        }
        assertEquals(0, provider.refreshCalls.get());
    }

    @Test
    void onQuartzTheNextClaimGoesOutWhileTwoRowsPerWorkerAreStillQueued() throws Exception {
        Instant start = clock.instant();
        DueRowsStore due = dueRows();
        List<CredentialId> rows = IntStream.rangeClosed(1, 12).mapToObj(i -> CredentialId.parse("acme:r" + i)).toList();
        rows.forEach(this::imported);
        // One worker, and only the first tick within the test: every claim after it is a worker's refill.
        planningIn(due, 1, Duration.ofHours(1)).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> rows.stream()
                .allMatch(id -> due.nextDue(id).equals(Optional.of(start.plus(Duration.ofMinutes(54))))));
        assertTrue(scheduler.awaitIdle(Duration.ofSeconds(10)));
        List<Integer> claims = due.heldAtClaims();
        List<Integer> refills = claims.subList(1, claims.size());
        assertTrue(refills.size() >= 3, "claims: " + claims);
        assertTrue(refills.stream().allMatch(held -> held <= RefreshScheduler.CLAIM_AGAIN_PER_WORKER),
                "never more than two rows per worker queued when a refill goes out: " + claims);
        assertEquals(RefreshScheduler.CLAIM_AGAIN_PER_WORKER, refills.stream().mapToInt(Integer::intValue).max().orElseThrow(),
                "the refill goes out while rows are still queued, not once the queue ran dry: " + claims);
    }

    @Test
    void onQuartzAFirstTickLaterThanTheMisfireThresholdRunsAtOnceNotAnIntervalLater() throws Exception {
        Instant start = clock.instant();
        DueRowsStore due = dueRows();
        imported(ID);
        scheduler = new RefreshScheduler(pipeline, () -> {
            throw new AssertionError("the store's plan reads no list of credentials");
        }, new Scheduling(1, SWEEP, false, Duration.ofHours(1)), clock);
        scheduler.planIn(due, "me", LEASE);
        scheduler.start();
        // Quartz's own timing is the subject: its first tick falls due now, and the scheduler starts
        // later than Quartz's misfire threshold (1 s), as a start under load or a resume does.
        Thread.sleep(1_500);
        scheduler.resume();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> due.nextDue(ID).equals(Optional.of(start.plus(Duration.ofMinutes(54)))));
    }

    @Test
    void theSweepAsksNothingOfACredentialThatNeedsAHumanAndMarksOneWhoseSecretCannotBeOpened() throws Exception {
        Instant start = clock.instant();
        imported(ID);
        StoredCredential human = imported(OTHER);
        assertTrue(store.compareAndSet(human.withStatus(CredentialStatus.REQUIRES_CONFIGURATION, Optional.of("invalid_grant"),
                start), 1));
        CredentialId sealedElsewhere = CredentialId.parse("acme:elsewhere");
        SecretSealer otherKey = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
        assertTrue(store.insert(new StoredCredential(sealedElsewhere, CredentialStatus.ACTIVE,
                otherKey.seal(sealedElsewhere, ScriptedProvider.secret("a", "r")), start, Optional.of(start.plus(Duration.ofHours(1))),
                Optional.empty(), 1, Optional.of(start), Optional.empty(), start)));
        byHand(true);
        scheduler.restart(Optional.of(Duration.ofMinutes(20)));

        tickAt(Duration.ofMinutes(20), start);
        assertEquals(1, provider.validationCalls.get(), "only the credential that can be asked about was asked");
        assertEquals(CredentialStatus.REQUIRES_CONFIGURATION, store.get(OTHER).orElseThrow().status());
        assertEquals(CredentialStatus.ERROR, store.get(sealedElsewhere).orElseThrow().status(),
                "a secret this daemon cannot open is shown, not left active");
        assertEquals(0, provider.refreshCalls.get());
    }
}
