package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.Refreshability;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.daemon.config.RefreshPolicy;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static dev.tokenkeeper.daemon.refresh.ScriptedProvider.secret;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The refresh pipeline over the real SQLite store in a temp folder, with a provider that answers
 * what each test scripts, on a clock the test moves and a jitter of zero (delays are exact).
 */
class RefreshPipelineTest {

    private static final CredentialId ID = CredentialId.parse("acme:shop");
    /** margin 60 s, jitter 300 s, retries 30 s .. 900 s, minimum interval 5 s, lease 120 s */
    private static final RefreshPolicy POLICY = new RefreshPolicy(Duration.ofSeconds(60), Duration.ofSeconds(300),
            Duration.ofSeconds(30), Duration.ofSeconds(900), Duration.ofSeconds(5), Duration.ofSeconds(120));

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"));
    private final SecretSealer sealer = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
    private final ScriptedProvider provider = new ScriptedProvider(clock);
    private final TokenCache cache = new TokenCache();
    private final List<String> published = new ArrayList<>();
    private final List<RefreshEvent> recorded = new ArrayList<>();
    private TokenStore store;
    private RefreshPipeline pipeline;

    @BeforeEach
    void open() {
        store = EmbeddedStore.found();
        store.open(TestContext.of(state, clock));
        pipeline = pipeline(clock);
    }

    @AfterEach
    void close() {
        pipeline.closeAndAwaitIdle(Duration.ofSeconds(5));
        store.close();
    }

    private RefreshPipeline pipeline(Clock time) {
        return pipeline(time, POLICY);
    }

    private RefreshPipeline pipeline(Clock time, RefreshPolicy policy) {
        RefreshPipeline made = new RefreshPipeline(store, sealer,
                id -> id.equals("acme") ? Optional.of(provider) : Optional.empty(), policy, () -> 0L, time, "me", cache);
        made.addListener(new RefreshListener() {
            @Override
            public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
                published.add(credential.status() + " v" + credential.version() + nextAttempt.map(at -> " retry " + at).orElse(""));
            }

            @Override
            public void recorded(RefreshEvent event) {
                recorded.add(event);
            }
        });
        return made;
    }

    /** Imports version 1: issued now, its access token good for an hour. */
    private StoredCredential imported() {
        Instant now = clock.instant();
        StoredCredential credential = new StoredCredential(ID, CredentialStatus.ACTIVE,
                sealer.seal(ID, secret("at-1", "refresh-one-0123")), now, Optional.of(now.plus(Duration.ofHours(1))), Optional.empty(), 1,
                Optional.of(now), Optional.empty(), now);
        assertTrue(store.insert(credential));
        return credential;
    }

    private RefreshResult.Refreshed issued(String access) {
        return provider.issued(access, Duration.ofHours(1));
    }

    private StoredCredential row() {
        return store.get(ID).orElseThrow();
    }

    private boolean leaseIsFree() {
        Leases leases = store.capability(Leases.class).orElseThrow();
        boolean free = leases.tryLease(ID, "observer", clock.instant().plusSeconds(60));
        if (free) {
            leases.releaseLease(ID, "observer");
        }
        return free;
    }

    @Test
    void aDueCredentialIsRefreshedCommittedOneVersionUpCachedPublishedAndItsLeaseGivenBack() throws Exception {
        imported();
        pipeline.open(row()); // a consumer's read: the refresh keeps its cache entry current
        clock.advance(Duration.ofMinutes(58)); // 2 min before expiry: inside the 6 min margin
        assertTrue(pipeline.isDue(row()));
        provider.refreshAnswers.add(() -> issued("at-2"));

        RefreshReport report = pipeline.refresh(ID, new RefreshTrigger.Scheduled());

        RefreshReport.Refreshed refreshed = assertInstanceOf(RefreshReport.Refreshed.class, report);
        StoredCredential after = row();
        assertEquals(after, refreshed.credential());
        assertEquals(2, after.version());
        assertEquals(CredentialStatus.ACTIVE, after.status());
        assertEquals(Optional.of(clock.instant()), after.lastRefreshAt());
        assertEquals(Optional.of(clock.instant().plus(Duration.ofHours(1))), after.accessExpiresAt());
        assertEquals(secret("at-2", "rt-at-2"), sealer.open(ID, after.secret()), "the new material is what was sealed");
        assertEquals(List.of(secret("at-1", "refresh-one-0123")), provider.refreshedFrom, "the upstream got the committed secret");
        assertEquals("at-2", cache.get(ID).orElseThrow().presentation().token(), "the cache holds the new token");
        assertEquals(List.of("ACTIVE v2"), published);
        assertEquals(RefreshOutcome.REFRESHED, recorded.get(0).outcome());
        assertEquals(2, recorded.get(0).version());
        assertEquals(List.of(RefreshOutcome.REFRESHED),
                store.history(ID, Instant.EPOCH, 10).stream().map(RefreshEvent::outcome).toList());
        assertTrue(leaseIsFree(), "the commit gave the lease back");
        assertFalse(pipeline.isDue(after), "a fresh token is not due");
        // Due at expiry minus 6 minutes (a tenth of the hour), less the 3-minute jitter the zero random never takes.
        assertEquals(clock.instant().plus(Duration.ofMinutes(54)), pipeline.plan(after));
    }

    @Test
    void whatIsNotDueOrStillValidLongEnoughIsSkippedWithoutAnUpstreamCall() {
        imported();
        clock.advance(Duration.ofMinutes(10));
        RefreshReport valid = pipeline.refresh(ID, new RefreshTrigger.OnDemand(Duration.ofMinutes(5)));
        assertEquals("token valid long enough", assertInstanceOf(RefreshReport.Skipped.class, valid).why());
        RefreshReport notDue = pipeline.refresh(ID, new RefreshTrigger.Scheduled());
        assertEquals("not due yet", assertInstanceOf(RefreshReport.Skipped.class, notDue).why());
        assertEquals(0, provider.refreshCalls.get());
        assertTrue(leaseIsFree(), "a skip holds no lease");
        // The scheduler may run a refresh ahead of its time: due at 54 min less 2.7 min of jitter room.
        RefreshReport stillEarly = pipeline.refresh(ID, new RefreshTrigger.Scheduled(Duration.ofMinutes(41)));
        assertEquals("not due yet", assertInstanceOf(RefreshReport.Skipped.class, stillEarly).why());
        provider.refreshAnswers.add(() -> issued("at-2"));
        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, new RefreshTrigger.Scheduled(Duration.ofMinutes(42))));
        assertEquals(1, provider.refreshCalls.get());
    }

    @Test
    void aTransientFailureKeepsTheTokenPlansABackoffThatGrowsAndMarksAnExpiredToken() {
        imported();
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "connection reset"));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "connection reset"));
        provider.refreshAnswers.add(() -> new RefreshResult.TransientFailure(FailureKind.RATE_LIMITED, "slow down",
                Optional.of(Duration.ofMinutes(20))));

        RefreshReport first = pipeline.refresh(ID, new RefreshTrigger.Scheduled());
        RefreshReport.RetryLater later = assertInstanceOf(RefreshReport.RetryLater.class, first);
        // First failure: half the 30 s base (jitter zero), the token still good for 2 minutes.
        assertEquals(clock.instant().plusSeconds(15), later.nextAttemptAt());
        assertEquals("network: connection reset", later.reason());
        StoredCredential kept = row();
        assertEquals(CredentialStatus.ACTIVE, kept.status());
        assertEquals(2, kept.version(), "the error is written by a compare-and-set");
        assertEquals(Optional.of("network: connection reset"), kept.lastError());
        assertEquals(secret("at-1", "refresh-one-0123"), cache.get(ID).map(LiveCredential::secret).orElseGet(() -> open(kept)));
        assertEquals(List.of("ACTIVE v2 retry " + later.nextAttemptAt()), published);
        assertEquals(RefreshOutcome.TRANSIENT_FAILURE, recorded.get(0).outcome());
        assertTrue(leaseIsFree(), "a failed refresh gives its lease back");

        clock.advance(Duration.ofSeconds(15));
        RefreshReport second = pipeline.refresh(ID, new RefreshTrigger.Retry());
        // Second failure: half of 60 s, but at most half of the 105 s the token has left.
        assertEquals(clock.instant().plusSeconds(30), second.retryAt().orElseThrow());

        clock.advance(Duration.ofMinutes(5)); // past the expiry
        RefreshReport third = pipeline.refresh(ID, new RefreshTrigger.Retry());
        assertEquals(clock.instant().plus(Duration.ofMinutes(20)), third.retryAt().orElseThrow(), "the upstream's Retry-After wins");
        assertEquals(CredentialStatus.EXPIRED, row().status());
        assertEquals(Optional.of("rate_limited: slow down"), row().lastError());
        assertEquals(3, store.history(ID, Instant.EPOCH, 10).size());
    }

    private SecretMaterial open(StoredCredential credential) {
        try {
            return sealer.open(ID, credential.secret());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aSuccessAfterFailuresStartsTheBackoffAgain() {
        imported();
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        provider.refreshAnswers.add(() -> issued("at-2"));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        pipeline.refresh(ID, new RefreshTrigger.Scheduled());
        clock.advance(Duration.ofSeconds(15));
        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, new RefreshTrigger.Retry()));
        assertEquals(Optional.empty(), row().lastError(), "a refresh clears the error");
        clock.advance(Duration.ofMinutes(58));
        RefreshReport failed = pipeline.refresh(ID, new RefreshTrigger.Scheduled());
        assertEquals(clock.instant().plusSeconds(15), failed.retryAt().orElseThrow(), "counted from one again");
    }

    @Test
    void aPermanentFailureNeedsAHumanAndOnlyAForcedRefreshTriesAgain() {
        imported();
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> new RefreshResult.PermanentFailure("invalid_grant"));
        RefreshReport report = pipeline.refresh(ID, new RefreshTrigger.Scheduled());
        RefreshReport.NeedsHuman human = assertInstanceOf(RefreshReport.NeedsHuman.class, report);
        assertEquals("invalid_grant", human.reason());
        assertEquals(CredentialStatus.REQUIRES_CONFIGURATION, row().status());
        assertEquals(Optional.of("invalid_grant"), row().lastError());
        assertTrue(cache.get(ID).isEmpty(), "no token of it is served any more");
        assertEquals(List.of("REQUIRES_CONFIGURATION v2"), published);
        assertEquals(RefreshOutcome.PERMANENT_FAILURE, recorded.get(0).outcome());
        assertTrue(leaseIsFree());

        for (RefreshTrigger trigger : List.of(new RefreshTrigger.Scheduled(), new RefreshTrigger.Retry(),
                new RefreshTrigger.OnDemand(Duration.ofMinutes(1)), new RefreshTrigger.Rejected(1))) {
            RefreshReport skipped = pipeline.refresh(ID, trigger);
            assertEquals("needs a new import", assertInstanceOf(RefreshReport.Skipped.class, skipped).why(), trigger.toString());
        }
        assertEquals(1, provider.refreshCalls.get());
        provider.refreshAnswers.add(() -> issued("at-2"));
        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, new RefreshTrigger.Forced()));
        assertEquals(CredentialStatus.ACTIVE, row().status());
    }

    @Test
    void aRefusalAfterARestartSaysTheTokenRotatedWhileTokenkeeperWasDown() throws Exception {
        imported();
        provider.refreshAnswers.add(() -> new RefreshResult.PermanentFailure("invalid_grant"));
        RefreshIntents intents = RefreshIntents.in(state.resolve("inflight"));
        pipeline.recordIntents(intents);
        RefreshReport report = pipeline.resume(new RefreshIntents.Intent(ID, "me-before"), Runnable::run).get(5, TimeUnit.SECONDS);
        String reason = assertInstanceOf(RefreshReport.NeedsHuman.class, report).reason();
        assertTrue(reason.startsWith("the upstream refused the refresh token presented again after a restart (invalid_grant)"),
                reason);
        assertTrue(reason.endsWith("import the credential again"), reason);
        assertTrue(intents.pending().isEmpty(), "the note of the refresh is gone once it is decided");
    }

    @Test
    void aProviderThatThrowsOrAnswersNothingFailsTransientlyWithoutShowingItsMessage() {
        imported();
        provider.refreshAnswers.add(() -> {
            throw new IllegalStateException("upstream said refresh-one-0123 is bad");
        });
        provider.refreshAnswers.add(() -> null);
        RefreshReport thrown = pipeline.refresh(ID, new RefreshTrigger.Forced());
        assertEquals("bad_response: provider failed with IllegalStateException",
                assertInstanceOf(RefreshReport.RetryLater.class, thrown).reason());
        clock.advance(Duration.ofMinutes(1));
        RefreshReport nothing = pipeline.refresh(ID, new RefreshTrigger.Forced());
        assertEquals("bad_response: provider returned nothing", assertInstanceOf(RefreshReport.RetryLater.class, nothing).reason());
        assertFalse(row().lastError().orElseThrow().contains("refresh-one-0123"));
    }

    @Test
    void aSecretTheUpstreamEchoesIsScrubbedFromTheReason() {
        imported();
        provider.refreshAnswers.add(() -> new RefreshResult.PermanentFailure("token refresh-one-0123 revoked"));
        RefreshReport report = pipeline.refresh(ID, new RefreshTrigger.Forced());
        String reason = assertInstanceOf(RefreshReport.NeedsHuman.class, report).reason();
        assertFalse(reason.contains("refresh-one-0123"), reason);
        assertFalse(row().lastError().orElseThrow().contains("refresh-one-0123"));
    }

    @Test
    void aRejectedTokenIsReplacedOnceAndNotMomentsAfterARefresh() {
        imported();
        RefreshReport tooSoon = pipeline.refresh(ID, new RefreshTrigger.Rejected(1));
        assertEquals("refreshed moments ago", assertInstanceOf(RefreshReport.Skipped.class, tooSoon).why());
        clock.advance(Duration.ofSeconds(5));
        provider.refreshAnswers.add(() -> issued("at-2"));
        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, new RefreshTrigger.Rejected(1)));
        clock.advance(Duration.ofMinutes(1));
        RefreshReport replaced = pipeline.refresh(ID, new RefreshTrigger.Rejected(1));
        assertEquals("already replaced", assertInstanceOf(RefreshReport.Skipped.class, replaced).why());
        assertEquals(1, provider.refreshCalls.get());
    }

    /**
     * Another daemon's failed refresh marks the credential expired (version 2, the same secret); a
     * consumer's report of the token of version 1 still refreshes: by the version alone (as before)
     * it was skipped as "already replaced", and the consumer got a 503 for an expired token.
     */
    @Test
    void aTokenRejectedBeforeAChangeOfStatusOnlyIsStillRefreshed() {
        imported();
        StoredCredential rejected = row();
        assertTrue(store.compareAndSet(rejected.withStatus(CredentialStatus.EXPIRED,
                Optional.of("network: another daemon's refresh failed"), clock.instant()), 1));
        clock.advance(Duration.ofMinutes(1));
        RefreshReport byVersionAlone = pipeline.refresh(ID, new RefreshTrigger.Rejected(1));
        assertEquals("already replaced", assertInstanceOf(RefreshReport.Skipped.class, byVersionAlone).why());
        provider.refreshAnswers.add(() -> issued("at-2"));
        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, RefreshTrigger.Rejected.of(rejected)));
        RefreshReport replaced = pipeline.refresh(ID, RefreshTrigger.Rejected.of(rejected));
        assertEquals("already replaced", assertInstanceOf(RefreshReport.Skipped.class, replaced).why());
        assertEquals(1, provider.refreshCalls.get());
    }

    @Test
    void anOnDemandRefreshRunsWhenLessValidityIsLeftThanAsked() {
        imported();
        clock.advance(Duration.ofMinutes(50));
        provider.refreshAnswers.add(() -> issued("at-2"));
        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, new RefreshTrigger.OnDemand(Duration.ofMinutes(15))));
    }

    @Test
    void callersAtOnceShareOneUpstreamCallAndAnImpatientOneHearsWhichStepIsSlow() throws Exception {
        imported();
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> issued("at-2"));
        CompletableFuture<RefreshReport> first = CompletableFuture.supplyAsync(() -> pipeline.refresh(ID, new RefreshTrigger.Forced()));
        held.awaitInside();
        RefreshPendingException pending = assertThrows(RefreshPendingException.class,
                () -> pipeline.refreshWithin(ID, new RefreshTrigger.Forced(), Duration.ofMillis(50)));
        assertEquals("the refresh of acme:shop is still running after 1 s (waiting for the upstream acme to answer);"
                + " it goes on in the background: ask again shortly", pending.getMessage());
        CompletableFuture<RefreshReport> joined = CompletableFuture.supplyAsync(
                () -> pipeline.refreshWithin(ID, new RefreshTrigger.Forced(), Duration.ofSeconds(10)));
        held.answer();
        RefreshReport mine = first.get(10, TimeUnit.SECONDS);
        assertInstanceOf(RefreshReport.Refreshed.class, mine);
        assertEquals(mine, joined.get(10, TimeUnit.SECONDS), "the joiner got the same report");
        assertEquals(1, provider.refreshCalls.get(), "one upstream call for all of them");
    }

    @Test
    void anOnDemandRefreshGoesOnInTheBackgroundAfterTheCallerStopsWaiting() throws Exception {
        imported();
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> issued("at-2"));
        assertThrows(RefreshPendingException.class,
                () -> pipeline.refreshWithin(ID, new RefreshTrigger.Forced(), Duration.ofMillis(20)));
        held.answer();
        assertTrue(pipeline.closeAndAwaitIdle(Duration.ofSeconds(10)), "the refresh finished");
        assertEquals(2, row().version(), "and committed without a waiting caller");
        assertThrows(NoValidTokenException.class, () -> pipeline.refresh(ID, new RefreshTrigger.Forced()),
                "a closing pipeline takes no new refresh");
        assertThrows(NoValidTokenException.class,
                () -> pipeline.refreshWithin(ID, new RefreshTrigger.Forced(), Duration.ofSeconds(1)));
    }

    @Test
    void closingWaitsForARunningRefreshAndSaysWhenItDidNotEnd() throws Exception {
        imported();
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> issued("at-2"));
        CompletableFuture<RefreshReport> running = CompletableFuture.supplyAsync(() -> pipeline.refresh(ID, new RefreshTrigger.Forced()));
        held.awaitInside();
        assertFalse(pipeline.closeAndAwaitIdle(Duration.ofMillis(50)), "still running");
        held.answer();
        assertTrue(pipeline.closeAndAwaitIdle(Duration.ofSeconds(10)));
        assertInstanceOf(RefreshReport.Refreshed.class, running.get(10, TimeUnit.SECONDS));
    }

    @Test
    void anotherDaemonsLeaseIsWaitedForBoundedByTheLeaseLength() {
        imported();
        Leases leases = store.capability(Leases.class).orElseThrow();
        assertTrue(leases.tryLease(ID, "other", clock.instant().plus(Duration.ofHours(1))));
        // Each look at this clock moves it 20 s on, so the 120 s wait ends after a few 100 ms pauses.
        RefreshPipeline ticking = pipeline(new Ticking(clock, Duration.ofSeconds(20)));
        RefreshReport report = ticking.refresh(ID, new RefreshTrigger.Forced());
        assertEquals("another daemon holds the refresh lease", assertInstanceOf(RefreshReport.Skipped.class, report).why());
        assertEquals(0, provider.refreshCalls.get());
        assertFalse(leaseIsFree(), "the other daemon's lease is untouched");
        ticking.closeAndAwaitIdle(Duration.ofSeconds(1));
    }

    @Test
    void aCommitThatLostTheRaceKeepsWhatIsCommitted() throws Exception {
        StoredCredential first = imported();
        provider.refreshAnswers.add(() -> {
            // Meanwhile another writer committed version 2.
            StoredCredential theirs = new StoredCredential(ID, CredentialStatus.ACTIVE, sealer.seal(ID, secret("at-theirs", "rt-t")),
                    first.issuedAt(), first.accessExpiresAt(), Optional.empty(), 2, Optional.of(clock.instant()), Optional.empty(),
                    clock.instant());
            assertTrue(store.compareAndSet(theirs, 1));
            return issued("at-mine");
        });
        RefreshReport report = pipeline.refresh(ID, new RefreshTrigger.Forced());
        RefreshReport.Skipped skipped = assertInstanceOf(RefreshReport.Skipped.class, report);
        assertEquals("lost the commit race", skipped.why());
        assertEquals(2, skipped.credential().version());
        assertEquals(secret("at-theirs", "rt-t"), sealer.open(ID, row().secret()));
        assertTrue(leaseIsFree(), "the lease is given back");
        assertTrue(published.isEmpty(), "nothing of ours was published");
    }

    @Test
    void aSecretThatCannotBeOpenedMarksTheCredentialOnce() {
        Instant now = clock.instant();
        SecretSealer other = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
        assertTrue(store.insert(new StoredCredential(ID, CredentialStatus.ACTIVE, other.seal(ID, secret("a", "r")), now,
                Optional.of(now.plusSeconds(3600)), Optional.empty(), 1, Optional.of(now), Optional.empty(), now)));
        RefreshReport report = pipeline.refresh(ID, new RefreshTrigger.Forced());
        assertInstanceOf(RefreshReport.NeedsHuman.class, report);
        assertEquals(CredentialStatus.ERROR, row().status());
        assertEquals(2, row().version(), "marked by a compare-and-set");
        pipeline.refresh(ID, new RefreshTrigger.Forced());
        assertEquals(2, row().version(), "the same error is not written twice");
        assertEquals(0, provider.refreshCalls.get());
        assertTrue(leaseIsFree());
    }

    @Test
    void anUnknownCredentialOrProviderSaysWhatIsMissing() {
        assertThrows(CredentialNotFoundException.class, () -> pipeline.refresh(ID, new RefreshTrigger.Forced()));
        imported();
        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, new RefreshTrigger.Forced()),
                "a failed refresh is not joined by the next one");
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> pipeline.provider(CredentialId.parse("nosuch:x")));
        assertTrue(missing.getMessage().contains("provider 'nosuch' is not installed"), missing.getMessage());
        assertEquals(Duration.ZERO, pipeline.timing(CredentialId.parse("nosuch:x")).failurePause());
    }

    @Test
    void validationThroughTheProviderIsInconclusiveWhenItThrowsOrAnswersNothing() throws Exception {
        StoredCredential credential = imported();
        LiveCredential live = pipeline.open(credential);
        assertEquals("at-1", live.presentation().token());
        assertSame(live, pipeline.open(credential), "opened once, then cached");
        provider.validationAnswers.add(ValidationResult.Accepted::new);
        provider.validationAnswers.add(() -> null);
        provider.validationAnswers.add(() -> {
            throw new IllegalStateException("refresh-one-0123");
        });
        assertInstanceOf(ValidationResult.Accepted.class, pipeline.validate(live, Duration.ofSeconds(1)));
        ValidationResult.Inconclusive nothing = assertInstanceOf(ValidationResult.Inconclusive.class,
                pipeline.validate(live, Duration.ofSeconds(1)));
        assertEquals("provider returned nothing", nothing.reason());
        ValidationResult.Inconclusive thrown = assertInstanceOf(ValidationResult.Inconclusive.class,
                pipeline.validate(live, Duration.ofSeconds(1)));
        assertEquals("provider failed with IllegalStateException", thrown.reason());
    }

    @Test
    void forgettingACredentialDropsItsCachedTokenAndTellsTheListeners() throws Exception {
        pipeline.open(imported());
        List<CredentialId> removed = new ArrayList<>();
        pipeline.addListener(new RefreshListener() {
            @Override
            public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
            }

            @Override
            public void removed(CredentialId id) {
                removed.add(id);
            }
        });
        pipeline.forget(ID);
        assertTrue(cache.get(ID).isEmpty());
        assertEquals(List.of(ID), removed);
    }

    @Test
    void missedAnnouncementsDropEveryOpenedTokenWhichIsOpenedAgainFromTheRowAtItsNextUse() throws Exception {
        StoredCredential first = imported();
        pipeline.open(first);
        // Another daemon commits version 2 and its announcement is lost: the cache still holds version 1.
        Instant now = clock.instant();
        StoredCredential second = new StoredCredential(ID, CredentialStatus.ACTIVE, sealer.seal(ID, secret("at-2", "rt-2")),
                now, Optional.of(now.plus(Duration.ofHours(1))), Optional.empty(), 2, Optional.of(now), Optional.empty(), now);
        assertTrue(store.compareAndSet(second, 1));
        assertEquals(1, cache.get(ID).orElseThrow().stored().version());

        pipeline.forgetOpened();

        assertTrue(cache.get(ID).isEmpty(), "nothing older than its row is served");
        assertEquals("at-2", pipeline.open(row()).presentation().token(), "opened again from the row");
    }

    private static final String IMPORT_AGAIN = "tokenkeeper import acme --account shop --token-json <file>";

    @Test
    void aSecretThatCannotRefreshIsPlannedForItsEndNeverSentUpstreamAndMarkedExpiredOnce() {
        StoredCredential first = imported();
        provider.refreshability = Refreshability.UNTIL_EXPIRY;
        Instant end = first.accessExpiresAt().orElseThrow();
        assertTrue(pipeline.untilExpiry(row()));
        assertEquals(end, pipeline.plan(row()), "nothing to refresh: only its end is due");
        clock.advance(Duration.ofMinutes(59));
        assertFalse(pipeline.isDue(row()));
        assertEquals("not due yet", assertInstanceOf(RefreshReport.Skipped.class,
                pipeline.refresh(ID, new RefreshTrigger.Scheduled(Duration.ofSeconds(59)))).why());
        // Moved a minute early by the scheduler, its end is due; still valid, it is served as it is.
        RefreshReport served = pipeline.refresh(ID, new RefreshTrigger.Scheduled(Duration.ofMinutes(1)));
        assertEquals("no refresh token: it is served until " + end + "; import again before then: " + IMPORT_AGAIN,
                assertInstanceOf(RefreshReport.Skipped.class, served).why());
        assertEquals(1, row().version());

        clock.advance(Duration.ofMinutes(1)); // at its end
        assertTrue(pipeline.isDue(row()));
        RefreshReport ended = pipeline.refresh(ID, new RefreshTrigger.Scheduled());
        String reason = "no refresh token: the access token expired at " + end + "; import a new one: " + IMPORT_AGAIN;
        assertEquals(reason, assertInstanceOf(RefreshReport.NeedsHuman.class, ended).reason());
        assertEquals(CredentialStatus.EXPIRED, row().status());
        assertEquals(Optional.of(reason), row().lastError());
        assertEquals(2, row().version(), "marked by a compare-and-set");
        assertTrue(cache.get(ID).isEmpty(), "no token of it is served any more");
        assertEquals(List.of(RefreshOutcome.PERMANENT_FAILURE), recorded.stream().map(RefreshEvent::outcome).toList());
        assertEquals(List.of("EXPIRED v2"), published);

        RefreshReport again = pipeline.refresh(ID, new RefreshTrigger.Forced());
        assertEquals(reason, assertInstanceOf(RefreshReport.NeedsHuman.class, again).reason());
        assertEquals(2, row().version(), "the same expiry is not written twice");
        assertEquals(1, recorded.size(), "nor recorded twice");
        assertEquals(List.of("EXPIRED v2", "EXPIRED v2"), published);
        assertEquals(0, provider.refreshCalls.get(), "never sent upstream");
        assertTrue(leaseIsFree());
    }

    @Test
    void aSecretThatCannotRefreshAndHasNoKnownEndIsLookedAtAgainAfterTheKeepAlive() {
        Instant now = clock.instant();
        provider.refreshability = Refreshability.UNTIL_EXPIRY;
        StoredCredential endless = new StoredCredential(ID, CredentialStatus.ACTIVE, sealer.seal(ID, secret("a", "r")), now,
                Optional.empty(), Optional.empty(), 1, Optional.of(now), Optional.empty(), now);
        assertTrue(pipeline.untilExpiry(endless));
        assertEquals(now.plus(Duration.ofDays(1)), pipeline.plan(endless));
        assertFalse(pipeline.isDue(endless), "never due: nothing ends");
    }

    @Test
    void aRejectedTokenThatCannotRefreshNeedsAHumanAtOnce() {
        imported();
        provider.refreshability = Refreshability.UNTIL_EXPIRY;
        clock.advance(Duration.ofMinutes(1));
        RefreshReport report = pipeline.refresh(ID, RefreshTrigger.Rejected.of(row()));
        assertEquals("the upstream rejected the access token and there is no refresh token to get another; import a new one: "
                + IMPORT_AGAIN, assertInstanceOf(RefreshReport.NeedsHuman.class, report).reason());
        assertEquals(CredentialStatus.REQUIRES_CONFIGURATION, row().status());
        assertEquals(0, provider.refreshCalls.get());
    }

    @Test
    void aSecretThatCannotBeOpenedOrAProviderNotInstalledIsPlannedAsOneThatRefreshes() {
        provider.refreshability = Refreshability.UNTIL_EXPIRY;
        Instant now = clock.instant();
        SecretSealer other = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
        StoredCredential unreadable = new StoredCredential(ID, CredentialStatus.ACTIVE, other.seal(ID, secret("a", "r")), now,
                Optional.empty(), Optional.empty(), 1, Optional.of(now), Optional.empty(), now);
        assertFalse(pipeline.untilExpiry(unreadable), "its refresh says what is wrong");
        CredentialId orphanId = CredentialId.parse("nosuch:x");
        StoredCredential orphan = new StoredCredential(orphanId, CredentialStatus.ACTIVE, sealer.seal(orphanId, secret("a", "r")),
                now, Optional.empty(), Optional.empty(), 1, Optional.of(now), Optional.empty(), now);
        assertFalse(pipeline.untilExpiry(orphan));
        assertEquals(now.plus(Duration.ofDays(1)), pipeline.plan(orphan), "the default keep-alive");
    }

    @Test
    void aResumedRefreshGivesBackThePreviousRunsLease() throws Exception {
        imported();
        Leases leases = store.capability(Leases.class).orElseThrow();
        assertTrue(leases.tryLease(ID, "me-before", clock.instant().plus(Duration.ofHours(1))));
        provider.refreshAnswers.add(() -> issued("at-2"));
        // Each look at this clock moves it on: had the old lease stayed, the wait for it would end in a skip.
        RefreshPipeline ticking = pipeline(new Ticking(clock, Duration.ofSeconds(20)));
        RefreshReport report = ticking.resume(new RefreshIntents.Intent(ID, "me-before"), Runnable::run).get(10, TimeUnit.SECONDS);
        assertInstanceOf(RefreshReport.Refreshed.class, report);
        assertEquals(1, provider.refreshCalls.get());
        assertTrue(leaseIsFree());
        ticking.closeAndAwaitIdle(Duration.ofSeconds(1));
    }

    @Test
    void aResumedRefreshJoinsTheRefreshAlreadyRunning() throws Exception {
        imported();
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> issued("at-2"));
        CompletableFuture<RefreshReport> first = CompletableFuture.supplyAsync(() -> pipeline.refresh(ID, new RefreshTrigger.Forced()));
        held.awaitInside();
        CompletableFuture<RefreshReport> resumed = pipeline.resume(new RefreshIntents.Intent(ID, "me-before"), Runnable::run);
        assertFalse(resumed.isDone(), "joined, not run again");
        held.answer();
        assertEquals(first.get(10, TimeUnit.SECONDS), resumed.get(10, TimeUnit.SECONDS));
        assertEquals(1, provider.refreshCalls.get());
    }

    /**
     * Another daemon holds the lease: this refresh waits (and says so to an impatient caller); when
     * the other's refresh fails and its lease is given back, this one refreshes; when the other
     * commits, this one stops, as the new token is not due.
     */
    @Test
    void aRefreshWaitingForAnotherDaemonsLeaseRefreshesWhenThatOneFailedAndStopsWhenItCommitted() throws Exception {
        imported();
        clock.advance(Duration.ofMinutes(58));
        Leases leases = store.capability(Leases.class).orElseThrow();
        assertTrue(leases.tryLease(ID, "other", clock.instant().plus(Duration.ofHours(1))));
        provider.refreshAnswers.add(() -> issued("at-2"));
        CompletableFuture<RefreshReport> waiting = CompletableFuture.supplyAsync(() -> pipeline.refresh(ID, new RefreshTrigger.Scheduled()));
        assertWaitsForTheLease();
        leases.releaseLease(ID, "other"); // its refresh failed
        assertInstanceOf(RefreshReport.Refreshed.class, waiting.get(10, TimeUnit.SECONDS));
        assertEquals(2, row().version());

        clock.advance(Duration.ofMinutes(58));
        assertTrue(leases.tryLease(ID, "other", clock.instant().plus(Duration.ofHours(1))));
        CompletableFuture<RefreshReport> again = CompletableFuture.supplyAsync(() -> pipeline.refresh(ID, new RefreshTrigger.Scheduled()));
        assertWaitsForTheLease();
        committedByAnotherDaemon(2);
        RefreshReport skipped = again.get(10, TimeUnit.SECONDS);
        assertEquals("not due yet (after another daemon's refresh)", assertInstanceOf(RefreshReport.Skipped.class, skipped).why());
        assertEquals(3, skipped.credential().version());
        assertEquals(1, provider.refreshCalls.get(), "one upstream call: the first wait's");
        assertFalse(leaseIsFree(), "the other daemon's lease is untouched");
    }

    @Test
    void aRefreshLeavesTheTokenCacheToWhatConsumersRead() throws Exception {
        imported();
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> issued("at-2"));
        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, new RefreshTrigger.Scheduled()));
        assertEquals(0, cache.size(), "nothing cached for a credential no consumer read here");
        assertEquals(2, row().version());

        // A consumer's read of the row from before a refresh's commit, cached after it: dropped again, not served.
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> issued("at-3"));
        LiveCredential read = pipeline.whileReading(ID, () -> {
            StoredCredential before = row();
            assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, new RefreshTrigger.Scheduled()));
            try {
                return pipeline.open(before);
            } catch (UnsealException e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(2, read.stored().version(), "the reader gets what it read");
        assertEquals(3, row().version());
        assertTrue(cache.get(ID).isEmpty(), "the older row is not left in the cache");

        pipeline.open(row());
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> issued("at-4"));
        pipeline.refresh(ID, new RefreshTrigger.Scheduled());
        assertEquals("at-4", cache.get(ID).orElseThrow().presentation().token(), "a consumer's entry follows the refresh");
    }

    /** An impatient caller with the same trigger joins the waiting refresh (or starts the one it joins) and hears why it waits. */
    private void assertWaitsForTheLease() {
        await().atMost(Duration.ofSeconds(10)).until(() -> assertThrows(RefreshPendingException.class,
                () -> pipeline.refreshWithin(ID, new RefreshTrigger.Scheduled(), Duration.ofMillis(50))).getMessage()
                .contains("(waiting for another daemon's refresh lease)"));
    }

    @Test
    void aRepeatedFailureIsNotWrittenAgainAndTheCacheFollowsTheRow() throws Exception {
        imported();
        pipeline.open(row()); // a consumer's read
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        pipeline.refresh(ID, new RefreshTrigger.Scheduled());
        assertEquals(2, row().version());
        assertEquals(row(), cache.get(ID).orElseThrow().stored(), "the cache holds the row with its error");
        clock.advance(Duration.ofSeconds(15));
        RefreshReport second = pipeline.refresh(ID, new RefreshTrigger.Retry());
        assertEquals(2, row().version(), "the same status and error are not written twice");
        assertEquals(2, second.credential().version());
        assertEquals(2, recorded.size(), "each attempt is in the history");
        assertEquals(2, recorded.get(1).version());

        clock.advance(Duration.ofMinutes(2)); // past the expiry: the same error, a new status
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        pipeline.refresh(ID, new RefreshTrigger.Retry());
        assertEquals(CredentialStatus.EXPIRED, row().status());
        assertEquals(3, row().version());
    }

    @Test
    void theBackoffCountsFromOneAgainAfterAPermanentFailureOrAForget() {
        imported();
        clock.advance(Duration.ofMinutes(50)); // 10 minutes left: the count alone decides the delay
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        provider.refreshAnswers.add(() -> new RefreshResult.PermanentFailure("invalid_grant"));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        assertEquals(clock.instant().plusSeconds(15), pipeline.refresh(ID, new RefreshTrigger.Forced()).retryAt().orElseThrow());
        assertInstanceOf(RefreshReport.NeedsHuman.class, pipeline.refresh(ID, new RefreshTrigger.Forced()));
        assertEquals(clock.instant().plusSeconds(15), pipeline.refresh(ID, new RefreshTrigger.Forced()).retryAt().orElseThrow(),
                "counted from one after the permanent failure");
        pipeline.forget(ID);
        assertEquals(clock.instant().plusSeconds(15), pipeline.refresh(ID, new RefreshTrigger.Forced()).retryAt().orElseThrow(),
                "and after a forget");
    }

    @Test
    void aRefreshIsNotedInFlightWhileTheUpstreamAnswers() throws Exception {
        imported();
        RefreshIntents intents = RefreshIntents.in(state.resolve("inflight"));
        pipeline.recordIntents(intents);
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> issued("at-2"));
        CompletableFuture<RefreshReport> running = CompletableFuture.supplyAsync(() -> pipeline.refresh(ID, new RefreshTrigger.Forced()));
        held.awaitInside();
        assertEquals(List.of(new RefreshIntents.Intent(ID, "me")), intents.pending(), "noted before the call");
        held.answer();
        assertInstanceOf(RefreshReport.Refreshed.class, running.get(10, TimeUnit.SECONDS));
        assertEquals(List.of(), intents.pending(), "and the note gone once committed");
    }

    @Test
    void aPermanentFailureAfterAnotherWritersCommitKeepsTheirs() throws Exception {
        StoredCredential first = imported();
        provider.refreshAnswers.add(() -> {
            StoredCredential theirs = new StoredCredential(ID, CredentialStatus.ACTIVE, sealer.seal(ID, secret("at-theirs", "rt-t")),
                    first.issuedAt(), first.accessExpiresAt(), Optional.empty(), 2, Optional.of(clock.instant()), Optional.empty(),
                    clock.instant());
            assertTrue(store.compareAndSet(theirs, 1));
            return new RefreshResult.PermanentFailure("invalid_grant");
        });
        RefreshReport report = pipeline.refresh(ID, new RefreshTrigger.Forced());
        RefreshReport.NeedsHuman human = assertInstanceOf(RefreshReport.NeedsHuman.class, report);
        assertEquals(CredentialStatus.ACTIVE, human.credential().status(), "theirs, as committed");
        assertEquals(2, human.credential().version());
        assertEquals(CredentialStatus.ACTIVE, row().status());
        assertEquals(secret("at-theirs", "rt-t"), sealer.open(ID, row().secret()));
        assertEquals(2, recorded.get(0).version());
    }

    @Test
    void aCredentialMarkedAsNeedingAHumanIsRecordedPublishedAndNoLongerServed() throws Exception {
        pipeline.open(imported());
        RefreshReport report = pipeline.markNeedsHuman(ID, "the sign-in met a captcha");
        assertEquals("the sign-in met a captcha", assertInstanceOf(RefreshReport.NeedsHuman.class, report).reason());
        assertEquals(CredentialStatus.REQUIRES_CONFIGURATION, row().status());
        assertEquals(2, row().version());
        assertTrue(cache.get(ID).isEmpty());
        assertEquals(List.of("REQUIRES_CONFIGURATION v2"), published);
        assertEquals(new RefreshEvent(ID, clock.instant(), RefreshOutcome.PERMANENT_FAILURE, "the sign-in met a captcha",
                Duration.ZERO, 2), recorded.get(0));
        assertEquals(recorded, store.history(ID, Instant.EPOCH, 10));
    }

    @Test
    void anUpstreamCallWhoseTurnDoesNotComeInTimeIsNotMade() throws Exception {
        imported();
        pipeline.limitUpstreamCalls(new ProviderGate(1, 0.001)); // one call per 1,000 s
        LiveCredential live = pipeline.open(row());
        assertInstanceOf(ValidationResult.Accepted.class, pipeline.validate(live, Duration.ofSeconds(1)), "the first turn");
        ValidationResult.Inconclusive busy = assertInstanceOf(ValidationResult.Inconclusive.class,
                pipeline.validate(live, Duration.ofSeconds(1)));
        assertEquals(FailureKind.NETWORK, busy.kind());
        assertTrue(busy.reason().startsWith("no turn for an upstream call: acme is limited to 0.001 calls per second"), busy.reason());
        RefreshReport report = pipeline.refresh(ID, new RefreshTrigger.Forced());
        String reason = assertInstanceOf(RefreshReport.RetryLater.class, report).reason();
        assertTrue(reason.startsWith("network: no turn for an upstream call: acme is limited to"), reason);
        assertTrue(reason.endsWith("; it is tried again later"), reason);
        assertEquals(1, provider.validationCalls.get());
        assertEquals(0, provider.refreshCalls.get());
        assertTrue(leaseIsFree());
    }

    /** Another daemon's refresh committed over version {@code over}: new tokens, valid an hour from now. */
    private void committedByAnotherDaemon(long over) {
        StoredCredential theirs = new StoredCredential(ID, CredentialStatus.ACTIVE, sealer.seal(ID, secret("at-theirs", "rt-t")),
                clock.instant(), Optional.of(clock.instant().plus(Duration.ofHours(1))), Optional.empty(), over + 1,
                Optional.of(clock.instant()), Optional.empty(), clock.instant());
        assertTrue(store.compareAndSet(theirs, over));
    }

    /** The SQLite store with a due queue beside it, in place of the plain one: its rows can be claimed. */
    private DueRowsStore dueRows() {
        pipeline.closeAndAwaitIdle(Duration.ofSeconds(5));
        store.close();
        DueRowsStore due = new DueRowsStore(clock);
        due.open(TestContext.of(state, clock));
        store = due;
        pipeline = pipeline(clock);
        return due;
    }

    /** Claims the one row for this daemon now, with the policy's lease, as the scheduler's tick does. */
    private RefreshPipeline.Claimed claimed(DueRowsStore due, Function<StoredCredential, Optional<Instant>> nextDue) {
        Instant now = clock.instant();
        List<DueWork.Claim> claims = due.claimDue("me", now, now.plus(POLICY.lease()), 1);
        assertEquals(1, claims.size());
        return new RefreshPipeline.Claimed(claims.get(0).credential(), now, nextDue);
    }

    @Test
    void aClaimWhoseLeaseRanOutWhileTheStoreCannotRenewItIsNotPresentedUpstream() {
        // The row waited for a worker past its lease, and the store went away meanwhile: another daemon may have
        // claimed it before that, so its refresh token may be on its way upstream already.
        RefreshPipeline.Claimed claim = claimedThenStoreDownFor(POLICY.lease());

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertInstanceOf(RefreshReport.Skipped.class, report);
        assertEquals(0, provider.refreshCalls.get(), "nothing presented upstream");
        assertEquals(1, row().version());
    }

    @Test
    void aClaimWithMostOfItsLeaseLeftIsRefreshedEvenWhenTheStoreCannotRenewIt() {
        RefreshPipeline.Claimed claim = claimedThenStoreDownFor(POLICY.lease().dividedBy(3));

        pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertEquals(1, provider.refreshCalls.get(), "nobody else can hold a lease that has two thirds to run");
    }

    /** A due row claimed with an answer ready upstream, then the store down for {@code waited} before its turn. */
    private RefreshPipeline.Claimed claimedThenStoreDownFor(Duration waited) {
        DueRowsStore due = dueRows();
        imported();
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> issued("at-2"));
        RefreshPipeline.Claimed claim = claimed(due, after -> after.accessExpiresAt().map(end -> end.minusSeconds(60)));
        due.down(true);
        clock.advance(waited);
        return claim;
    }

    @Test
    void aClaimedRowIsRefreshedAndItsCommitWritesTheNextDueTimeAndGivesTheClaimsLeaseBack() {
        DueRowsStore due = dueRows();
        imported();
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> issued("at-2"));
        RefreshPipeline.Claimed claim = claimed(due, after -> after.accessExpiresAt().map(end -> end.minusSeconds(60)));

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        RefreshReport.Refreshed refreshed = assertInstanceOf(RefreshReport.Refreshed.class, report);
        assertEquals(row(), refreshed.credential());
        assertEquals(2, row().version());
        assertEquals(Optional.of(clock.instant().plus(Duration.ofMinutes(59))), due.nextDue(ID), "written with the commit");
        assertEquals(Optional.empty(), due.leaseHolder(ID));
        assertEquals(List.of("ACTIVE v2"), published);
        assertEquals(RefreshOutcome.REFRESHED, recorded.get(0).outcome());
    }

    @Test
    void aClaimedRefreshPlansItsNextDueTimeWithTheIssuedSecretNotADecryptionOfWhatWasSealed() {
        DueRowsStore due = dueRows();
        imported();
        clock.advance(Duration.ofMinutes(58));
        RefreshResult.Refreshed answer = issued("at-2");
        provider.refreshAnswers.add(() -> answer);
        List<SecretMaterial> asked = new ArrayList<>();
        RefreshPipeline.Claimed claim = claimed(due, after -> {
            provider.refreshabilityAsked.clear();
            Instant at = pipeline.plan(after);
            asked.addAll(provider.refreshabilityAsked);
            return Optional.of(at);
        });

        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled()));

        assertFalse(asked.isEmpty(), "planning asked whether the new secret refreshes");
        // A decryption would hand over an equal secret, not this very one (a storm paid one per refresh).
        asked.forEach(secret -> assertSame(answer.issued().secret(), secret));
    }

    @Test
    void aClaimedRefreshThatDidNotCommitLeavesTheClaimsLeaseToTheCallerToGiveBack() {
        DueRowsStore due = dueRows();
        imported();
        clock.advance(Duration.ofMinutes(58));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "reset"));
        RefreshPipeline.Claimed claim = claimed(due, after -> {
            throw new AssertionError("asked for the next due time of a refresh that did not commit");
        });

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertEquals(clock.instant().plusSeconds(15), assertInstanceOf(RefreshReport.RetryLater.class, report).retryAt().orElseThrow());
        assertEquals(Optional.of("me"), due.leaseHolder(ID), "still the claim's");
        assertEquals(Optional.empty(), due.nextDue(ID), "nothing planned by the pipeline");
    }

    @Test
    void aClaimedRowThatCannotBeOpenedIsMarkedAndItsClaimsLeaseLeftToTheCaller() {
        DueRowsStore due = dueRows();
        insertedUnopenable();
        RefreshPipeline.Claimed claim = claimed(due, after -> Optional.empty());

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Forced());

        assertInstanceOf(RefreshReport.NeedsHuman.class, report);
        assertEquals(CredentialStatus.ERROR, row().status());
        assertEquals(0, provider.refreshCalls.get());
        assertEquals(Optional.of("me"), due.leaseHolder(ID), "still the claim's, for the caller to give back");
    }

    @Test
    void aClaimedRowThatCannotRefreshIsMarkedExpiredAtItsEndAndItsClaimsLeaseLeftToTheCaller() {
        DueRowsStore due = dueRows();
        imported();
        RefreshPipeline.Claimed claim = claimedAtItsEndWithoutRefresh(due);

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertInstanceOf(RefreshReport.NeedsHuman.class, report);
        assertEquals(CredentialStatus.EXPIRED, row().status());
        assertEquals(0, provider.refreshCalls.get());
        assertEquals(Optional.of("me"), due.leaseHolder(ID), "still the claim's, for the caller to give back");
    }

    @Test
    void aClaimedRowThatCannotBeOpenedAndChangedSinceTheClaimKeepsAndReportsTheOtherWritersRow() {
        DueRowsStore due = dueRows();
        StoredCredential first = insertedUnopenable();
        RefreshPipeline.Claimed claim = claimed(due, after -> Optional.empty());
        StoredCredential theirs = first.withStatus(CredentialStatus.ACTIVE, Optional.of("noted by another writer"),
                clock.instant());
        assertTrue(store.compareAndSet(theirs, first.version()));

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Forced());

        assertInstanceOf(RefreshReport.NeedsHuman.class, report);
        assertEquals(theirs, row(), "the marking lost the compare-and-set");
        assertEquals(theirs, report.credential(), "the report carries the row as it stands, not the lost marking");
        assertEquals(List.of("ACTIVE v2"), published);
    }

    @Test
    void aClaimedRowThatCannotRefreshAndChangedSinceTheClaimKeepsAndReportsTheOtherWritersRow() {
        DueRowsStore due = dueRows();
        StoredCredential first = imported();
        RefreshPipeline.Claimed claim = claimedAtItsEndWithoutRefresh(due);
        StoredCredential theirs = first.withStatus(CredentialStatus.ACTIVE, Optional.of("noted by another writer"),
                clock.instant());
        assertTrue(store.compareAndSet(theirs, first.version()));

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertInstanceOf(RefreshReport.NeedsHuman.class, report);
        assertEquals(theirs, row(), "the expiry lost the compare-and-set");
        assertEquals(theirs, report.credential(), "the report carries the row as it stands, not the lost expiry");
        assertEquals(List.of("ACTIVE v2"), published);
        assertEquals(2, recorded.get(0).version(), "the event names the version that stands");
    }

    /**
     * A claim reads its rows when it takes their leases; its refreshes run later. Another path of this
     * daemon (a consumer's refresh, under the same lease owner) refreshed the credential in between:
     * the claimed row holds the refresh token that refresh spent, so it is read again and nothing is
     * presented (seen under load on PostgreSQL: the token was refused as spent).
     */
    @Test
    void aClaimedRowThisDaemonRefreshedSinceTheClaimIsReadAgainAndItsSpentTokenNeverPresented() {
        DueRowsStore due = dueRows();
        imported();
        clock.advance(Duration.ofMinutes(58));
        RefreshPipeline.Claimed claim = claimed(due, after -> Optional.empty());
        clock.advance(Duration.ofSeconds(1));
        provider.refreshAnswers.add(() -> issued("at-2"));
        assertInstanceOf(RefreshReport.Refreshed.class, pipeline.refresh(ID, new RefreshTrigger.OnDemand(Duration.ofMinutes(5))));

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertEquals("not due yet", assertInstanceOf(RefreshReport.Skipped.class, report).why());
        assertEquals(2, report.credential().version(), "the row as it stands");
        assertEquals(1, provider.refreshCalls.get(), "the spent refresh token was not presented again");
        assertEquals(2, row().version());
    }

    /** A change another daemon announced after the claim read its row is read too. */
    @Test
    void aClaimedRowAnnouncedAsChangedElsewhereSinceTheClaimIsReadAgain() {
        DueRowsStore due = dueRows();
        StoredCredential first = imported();
        clock.advance(Duration.ofMinutes(58));
        RefreshPipeline.Claimed claim = claimed(due, after -> Optional.empty());
        // As the daemon wires it: changes are remembered for the credentials claimed here only.
        pipeline.rememberChangesOnlyOf(ID::equals);
        committedByAnotherDaemon(first.version());
        pipeline.changedElsewhere(ID);

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertEquals("not due yet", assertInstanceOf(RefreshReport.Skipped.class, report).why());
        assertEquals(0, provider.refreshCalls.get());
    }

    /**
     * The claim's lease ran out before its refresh reached the upstream call, and another daemon
     * claimed the row and refreshed it meanwhile: the call is not made with the spent refresh token.
     */
    @Test
    void aClaimWhoseLeaseRanOutIsNotSentWhenTheRowChangedMeanwhile() {
        DueRowsStore due = dueRows();
        StoredCredential first = imported();
        RefreshPipeline.Claimed claim = claimedWhoseLeaseRanOut(due);
        committedByAnotherDaemon(first.version());

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertEquals("its refresh lease ran out while this refresh waited, and it was changed meanwhile (version 1 is now 2)",
                assertInstanceOf(RefreshReport.Skipped.class, report).why());
        assertEquals(2, report.credential().version());
        assertEquals(0, provider.refreshCalls.get());
        assertEquals(Optional.of("me"), due.leaseHolder(ID), "taken again by the last look, for the caller to give back");
    }

    @Test
    void aClaimWhoseLeaseRanOutIsNotSentWhenAnotherDaemonHoldsTheLeaseNow() {
        DueRowsStore due = dueRows();
        imported();
        provider.refreshAnswers.add(() -> issued("at-2"));
        RefreshPipeline.Claimed claim = claimedWhoseLeaseRanOut(due);
        assertTrue(store.capability(Leases.class).orElseThrow().tryLease(ID, "other", clock.instant().plus(POLICY.lease())));

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertEquals("its refresh lease ran out while this refresh waited, and another daemon holds it now",
                assertInstanceOf(RefreshReport.Skipped.class, report).why());
        assertEquals(0, provider.refreshCalls.get());
        assertEquals(1, row().version());
        assertEquals(Optional.of("other"), due.leaseHolder(ID));
    }

    @Test
    void aClaimWhoseLeaseRanOutIsStillSentWhenNobodyChangedTheRowMeanwhile() throws Exception {
        DueRowsStore due = dueRows();
        imported();
        provider.refreshAnswers.add(() -> issued("at-2"));
        RefreshPipeline.Claimed claim = claimedWhoseLeaseRanOut(due);

        RefreshReport report = pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled());

        assertInstanceOf(RefreshReport.Refreshed.class, report);
        assertEquals(1, provider.refreshCalls.get());
        assertEquals(2, row().version());
        assertEquals(secret("at-2", "rt-at-2"), sealer.open(ID, row().secret()));
    }

    @Test
    void aClaimedRefreshRunningIsJoinedByAResumedOne() throws Exception {
        DueRowsStore due = dueRows();
        imported();
        clock.advance(Duration.ofMinutes(58));
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> issued("at-2"));
        RefreshPipeline.Claimed claim = claimed(due, after -> Optional.empty());
        CompletableFuture<RefreshReport> first = CompletableFuture.supplyAsync(
                () -> pipeline.refreshClaimed(claim, new RefreshTrigger.Scheduled()));
        held.awaitInside();
        CompletableFuture<RefreshReport> resumed = pipeline.resume(new RefreshIntents.Intent(ID, "me-before"), Runnable::run);
        assertFalse(resumed.isDone(), "joined, not run again");
        held.answer();
        assertEquals(first.get(10, TimeUnit.SECONDS), resumed.get(10, TimeUnit.SECONDS));
        assertEquals(1, provider.refreshCalls.get());
    }

    @Test
    void aJoinerWaitsTwiceTheLeaseAtMostAndThenHearsThatTheRefreshIsStillRunning() throws Exception {
        imported();
        RefreshPipeline halfSecondLease = pipeline(clock, new RefreshPolicy(POLICY.minimumMargin(), POLICY.maximumJitter(),
                POLICY.retryBase(), POLICY.retryMax(), POLICY.minimumInterval(), Duration.ofMillis(500)));
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> issued("at-2"));
        CompletableFuture<RefreshReport> first = CompletableFuture.supplyAsync(
                () -> halfSecondLease.refresh(ID, new RefreshTrigger.Forced()));
        held.awaitInside();
        long started = System.nanoTime();

        RefreshReport joined = halfSecondLease.refresh(ID, new RefreshTrigger.Forced());

        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(1)) >= 0, "waited twice the lease");
        assertEquals("another refresh of it is still running after 1 s", assertInstanceOf(RefreshReport.Skipped.class, joined).why());
        assertEquals(1, joined.credential().version(), "the credential as it is");
        held.answer();
        assertInstanceOf(RefreshReport.Refreshed.class, first.get(10, TimeUnit.SECONDS));
        assertEquals(1, provider.refreshCalls.get());
        assertTrue(halfSecondLease.closeAndAwaitIdle(Duration.ofSeconds(5)));
    }

    @Test
    void aLeaseTheStoreCannotGiveServesWhatThereIsAndLooksAgainInTwoSeconds() {
        DueRowsStore due = dueRows();
        imported();
        clock.advance(Duration.ofMinutes(58));
        due.down(true);

        RefreshReport report = pipeline.refresh(ID, new RefreshTrigger.Scheduled());

        RefreshReport.RetryLater later = assertInstanceOf(RefreshReport.RetryLater.class, report);
        assertEquals("test: the store is down", later.reason());
        assertEquals(Optional.of(clock.instant().plusSeconds(2)), later.retryAt());
        assertEquals(List.of("ACTIVE v1 retry " + clock.instant().plusSeconds(2)), published);
        assertEquals(0, provider.refreshCalls.get());
    }

    /** A clock that moves on by a step each time it is read. */
    private static final class Ticking extends Clock {
        private final MutableClock clock;
        private final Duration step;

        Ticking(MutableClock clock, Duration step) {
            this.clock = clock;
            this.step = step;
        }

        @Override
        public Instant instant() {
            return clock.advance(step);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** @return a row, inserted, whose secret was sealed with a key this daemon does not hold */
    private StoredCredential insertedUnopenable() {
        Instant now = clock.instant();
        SecretSealer other = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
        StoredCredential row = new StoredCredential(ID, CredentialStatus.ACTIVE, other.seal(ID, secret("a", "r")), now,
                Optional.of(now.plusSeconds(3600)), Optional.empty(), 1, Optional.of(now), Optional.empty(), now);
        assertTrue(store.insert(row));
        return row;
    }

    /** A claim of the imported credential at the end of its token's life, whose provider cannot refresh it. */
    private RefreshPipeline.Claimed claimedAtItsEndWithoutRefresh(DueRowsStore due) {
        provider.refreshability = Refreshability.UNTIL_EXPIRY;
        clock.advance(Duration.ofHours(1));
        return claimed(due, after -> Optional.empty());
    }

    /** A claim of the imported credential two minutes before its expiry, whose lease then ran out unrenewed. */
    private RefreshPipeline.Claimed claimedWhoseLeaseRanOut(DueRowsStore due) {
        clock.advance(Duration.ofMinutes(58));
        RefreshPipeline.Claimed claim = claimed(due, after -> Optional.empty());
        clock.advance(POLICY.lease().plusSeconds(1));
        return claim;
    }
}
