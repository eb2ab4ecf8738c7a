package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.Refreshability;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.tokenkeeper.daemon.refresh.ScriptedProvider.secret;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the control API asks of credentials, over the real SQLite store in a temp folder, the real
 * refresh pipeline and a scripted provider, on a clock the test moves (jitter zero).
 */
class CredentialServiceTest {

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
    private TokenStore store;
    private RefreshPipeline pipeline;
    private CredentialService service;

    @BeforeEach
    void open() {
        store = EmbeddedStore.found();
        store.open(TestContext.of(state, clock));
        pipeline = new RefreshPipeline(store, sealer, id -> id.equals("acme") ? Optional.of(provider) : Optional.empty(),
                POLICY, () -> 0L, clock, "me", cache);
        pipeline.addListener((credential, nextAttempt) -> published.add(credential.status() + " v" + credential.version()));
        service = new CredentialService(store, sealer, pipeline, cache, clock);
    }

    @AfterEach
    void close() {
        pipeline.closeAndAwaitIdle(Duration.ofSeconds(5));
        store.close();
    }

    private CredentialService.Imported imported(String access) throws InvalidSecretException {
        return service.importSecret(ID, new SecretInput.TokenJson(access));
    }

    private StoredCredential row() {
        return store.get(ID).orElseThrow();
    }

    private List<RefreshOutcome> outcomes() {
        return store.history(ID, Instant.EPOCH, 50).stream().map(RefreshEvent::outcome).toList();
    }

    @Test
    void anImportIsCommittedAsVersionOneCachedRecordedAndPublishedAndAReimportReplacesIt() throws Exception {
        Instant now = clock.instant();
        provider.importWarnings.add("the token has no scope \"orders\"");

        CredentialService.Imported first = imported("at-1");

        StoredCredential written = first.credential();
        assertEquals(row(), written);
        assertFalse(first.replaced());
        assertEquals(List.of("the token has no scope \"orders\""), first.warnings());
        assertEquals(1, written.version());
        assertEquals(CredentialStatus.ACTIVE, written.status());
        assertEquals(now, written.issuedAt());
        assertEquals(Optional.of(now.plus(Duration.ofHours(1))), written.accessExpiresAt());
        assertEquals(Optional.of(now), written.lastRefreshAt());
        assertEquals(Optional.empty(), written.lastError());
        assertEquals(now, written.updatedAt());
        assertEquals(secret("at-1", "rt-at-1"), sealer.open(ID, written.secret()), "the issued material is what was sealed");
        assertEquals("at-1", cache.get(ID).orElseThrow().presentation().token(), "the import fills the cache");
        assertEquals(List.of("ACTIVE v1"), published);
        RefreshEvent event = store.history(ID, Instant.EPOCH, 10).get(0);
        assertEquals(new RefreshEvent(ID, now, RefreshOutcome.IMPORTED, "token-json", Duration.ZERO, 1), event);

        clock.advance(Duration.ofMinutes(1));
        CredentialService.Imported second = imported("at-2");
        assertTrue(second.replaced());
        assertEquals(2, second.credential().version());
        assertEquals(row(), second.credential());
        assertEquals("at-2", service.token(ID, Duration.ofMinutes(5)).presentation().token());
        assertEquals(List.of(RefreshOutcome.IMPORTED, RefreshOutcome.IMPORTED), outcomes());
        assertEquals(0, provider.refreshCalls.get());
    }

    @Test
    void anInputTheProviderRejectsOrAnUnknownProviderWritesNothing() {
        assertThrows(InvalidSecretException.class, () -> service.importSecret(ID, new SecretInput.TokenJson(" ")));
        IllegalStateException unknown = assertThrows(IllegalStateException.class,
                () -> service.importSecret(CredentialId.parse("other:shop"), new SecretInput.TokenJson("at-1")));
        assertTrue(unknown.getMessage().contains("provider 'other' is not installed"), unknown.getMessage());
        assertEquals(List.of(), service.list());
        assertTrue(published.isEmpty());
        assertThrows(CredentialNotFoundException.class, () -> service.get(ID));
        assertThrows(CredentialNotFoundException.class, () -> service.token(ID, Duration.ZERO));
        assertThrows(CredentialNotFoundException.class, () -> service.history(ID, Instant.EPOCH, 10));
    }

    @Test
    void aTokenValidLongEnoughIsServedFromTheStoreWithoutTheUpstreamAndATooShortOneIsRefreshedFirst() throws Exception {
        imported("at-1");
        cache.remove(ID);
        clock.advance(Duration.ofMinutes(40));

        assertEquals("at-1", service.token(ID, Duration.ofMinutes(20)).presentation().token(), "20 min left is enough");
        assertEquals("at-1", cache.get(ID).orElseThrow().presentation().token(), "opened once, then cached");
        assertEquals("at-1", service.token(ID, Duration.ofMinutes(20)).presentation().token());
        assertEquals(0, provider.refreshCalls.get());

        provider.refreshAnswers.add(() -> provider.issued("at-2", Duration.ofHours(1)));
        LiveCredential refreshed = service.token(ID, Duration.ofMinutes(20).plusSeconds(1));
        assertEquals("at-2", refreshed.presentation().token(), "a second more than is left: refreshed first");
        assertEquals(1, provider.refreshCalls.get());
        assertEquals(2, row().version());
        assertEquals(row(), refreshed.stored());
    }

    @Test
    void aTransientFailureServesTheOldTokenWhileItIsValidAndOtherwiseSaysWhy() throws Exception {
        imported("at-1");
        clock.advance(Duration.ofMinutes(55));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "connection reset"));
        assertEquals("at-1", service.token(ID, Duration.ofMinutes(10)).presentation().token(),
                "five minutes left: the best token there is");
        assertEquals(1, provider.refreshCalls.get());

        clock.advance(Duration.ofMinutes(10));
        provider.refreshAnswers.add(() -> RefreshResult.TransientFailure.of(FailureKind.NETWORK, "connection reset"));
        NoValidTokenException expired = assertThrows(NoValidTokenException.class, () -> service.token(ID, Duration.ZERO));
        assertFalse(expired.needsHuman());
        assertTrue(expired.getMessage().startsWith("no valid token for acme:shop: "), expired.getMessage());
        assertTrue(expired.getMessage().contains("connection reset"), expired.getMessage());
        assertEquals(2, provider.refreshCalls.get());
    }

    @Test
    void aRevokedGrantNeedsANewImportAndIsNotSentUpstreamAgain() throws Exception {
        imported("at-1");
        clock.advance(Duration.ofHours(2));
        provider.refreshAnswers.add(() -> new RefreshResult.PermanentFailure("invalid_grant"));
        NoValidTokenException first = assertThrows(NoValidTokenException.class, () -> service.token(ID, Duration.ZERO));
        assertTrue(first.needsHuman());
        assertTrue(first.getMessage().startsWith("credential acme:shop needs a new import: "), first.getMessage());
        assertTrue(first.getMessage().contains("invalid_grant"), first.getMessage());
        assertEquals(CredentialStatus.REQUIRES_CONFIGURATION, row().status());

        NoValidTokenException again = assertThrows(NoValidTokenException.class, () -> service.token(ID, Duration.ZERO));
        assertTrue(again.needsHuman());
        assertTrue(again.getMessage().contains("needs a new import"), again.getMessage());
        assertEquals(1, provider.refreshCalls.get(), "a credential that needs an import is not refreshed");
    }

    @Test
    void aTokenAnotherDaemonMarkedAsNeedingAHumanIsNotServedWhileItsLifetimeLasts() throws Exception {
        imported("at-1");
        StoredCredential current = row();
        assertTrue(store.compareAndSet(current.withStatus(CredentialStatus.REQUIRES_CONFIGURATION, Optional.of("invalid_grant"),
                clock.instant()), current.version()), "another daemon's refresh was refused");
        cache.remove(ID); // its announcement reached this daemon

        NoValidTokenException refused = assertThrows(NoValidTokenException.class, () -> service.token(ID, Duration.ZERO));
        assertTrue(refused.needsHuman());
        assertTrue(refused.getMessage().contains("invalid_grant"), refused.getMessage());
        assertEquals(0, provider.refreshCalls.get(), "a credential that needs an import is not refreshed");
    }

    @Test
    void aNewTokenThatHasAlreadyExpiredIsNoValidToken() throws Exception {
        imported("at-1");
        clock.advance(Duration.ofHours(2));
        provider.refreshAnswers.add(() -> provider.issued("at-2", Duration.ofSeconds(-1)));
        NoValidTokenException stale = assertThrows(NoValidTokenException.class, () -> service.token(ID, Duration.ZERO));
        assertFalse(stale.needsHuman());
        assertTrue(stale.getMessage().contains("the new token had already expired when it was committed"), stale.getMessage());
        assertEquals(2, row().version());
    }

    @Test
    void aTokenWithoutRefreshIsServedUntilItsEndThenNeedsAHuman() throws Exception {
        imported("at-1");
        StoredCredential refreshing = row();
        assertEquals(Optional.empty(), service.note(refreshing), "a credential that refreshes needs no note");
        provider.refreshability = Refreshability.UNTIL_EXPIRY;
        assertEquals(Optional.of("no refresh token: import again before 2026-03-01T01:00:00Z"), service.note(row()));

        clock.advance(Duration.ofMinutes(50));
        assertEquals("at-1", service.token(ID, Duration.ofMinutes(20)).presentation().token(),
                "it cannot do better: the token it has");
        clock.advance(Duration.ofMinutes(11));
        NoValidTokenException ended = assertThrows(NoValidTokenException.class, () -> service.token(ID, Duration.ZERO));
        assertTrue(ended.needsHuman());
        assertTrue(ended.getMessage().contains("no refresh token: the access token expired at 2026-03-01T01:00:00Z"),
                ended.getMessage());
        assertEquals(CredentialStatus.EXPIRED, row().status());
        assertEquals(0, provider.refreshCalls.get(), "never sent upstream");
    }

    @Test
    void aReportedTokenThatIsNoLongerCurrentGetsTheCurrentOneWithoutAnUpstreamCall() throws Exception {
        imported("at-1");
        imported("at-2");
        clock.advance(Duration.ofSeconds(10));
        assertEquals("at-2", service.rejected(ID, "at-1").presentation().token());
        assertEquals(0, provider.refreshCalls.get());
        assertEquals(0, provider.validationCalls.get());
    }

    @Test
    void aReportAfterAnotherDaemonsRefreshIsAnsweredFromTheStoreNotTheOldCachedToken() throws Exception {
        StoredCredential first = imported("at-1").credential();
        clock.advance(Duration.ofMinutes(10));
        Instant now = clock.instant();
        assertTrue(store.compareAndSet(new StoredCredential(ID, CredentialStatus.ACTIVE, sealer.seal(ID, secret("at-2", "rt-2")),
                now, Optional.of(now.plus(Duration.ofHours(1))), Optional.empty(), 2, Optional.of(now), Optional.empty(), now),
                first.version()));
        assertEquals("at-1", cache.get(ID).orElseThrow().presentation().token(), "this daemon's cache is behind");

        LiveCredential current = service.rejected(ID, "at-1");

        assertEquals("at-2", current.presentation().token());
        assertEquals(2, current.stored().version());
        assertEquals(0, provider.refreshCalls.get(), "the report was about a token already replaced");
    }

    @Test
    void aReportRefreshesOnceAndARepeatInTheIntervalIsCheckedOnceThenRefused() throws Exception {
        imported("at-1");
        clock.advance(Duration.ofMinutes(1));
        provider.refreshAnswers.add(() -> provider.issued("at-2", Duration.ofHours(1)));
        assertEquals("at-2", service.rejected(ID, "at-1").presentation().token());
        assertEquals(1, provider.refreshCalls.get());
        assertEquals(List.of(RefreshOutcome.IMPORTED, RefreshOutcome.REFRESHED), outcomes());

        clock.advance(Duration.ofMillis(9_500));
        provider.validationAnswers.add(ValidationResult.Accepted::new);
        TooManyReportsException accepted = assertThrows(TooManyReportsException.class, () -> service.rejected(ID, "at-2"));
        assertEquals(Duration.ofMillis(50_500), accepted.retryAfter());
        assertEquals("the token of acme:shop was reported as rejected more often than the upstream may be asked (one"
                + " refresh per 60 s on reports, TOKENKEEPER_REPORT_REFRESH_INTERVAL_SECONDS); the upstream accepts the"
                + " token (checked just now); the token reported is still the current one: report it again in 51 s if the"
                + " upstream still refuses it", accepted.getMessage());
        assertEquals(1, provider.validationCalls.get());

        clock.advance(Duration.ofSeconds(50));
        TooManyReportsException waiting = assertThrows(TooManyReportsException.class, () -> service.rejected(ID, "at-2"));
        assertEquals(Duration.ofMillis(500), waiting.retryAfter());
        assertTrue(waiting.getMessage().contains("; the upstream was already asked about it in this interval; "),
                waiting.getMessage());
        assertTrue(waiting.getMessage().contains("report it again in 1 s "), waiting.getMessage());
        assertEquals(1, provider.validationCalls.get(), "checked once per interval");
        assertEquals(1, provider.refreshCalls.get());

        clock.advance(Duration.ofMillis(500));
        provider.refreshAnswers.add(() -> provider.issued("at-3", Duration.ofHours(1)));
        assertEquals("at-3", service.rejected(ID, "at-2").presentation().token(), "a new interval: refreshed again");
        assertEquals(2, provider.refreshCalls.get());
    }

    @Test
    void aRepeatedReportRefreshesWhenTheUpstreamConfirmsAndNotWhenItsCheckIsInconclusive() throws Exception {
        service.limitReports(new ReportLimit(clock, Duration.ofMinutes(10)));
        imported("at-1");
        clock.advance(Duration.ofMinutes(1));
        provider.refreshAnswers.add(() -> provider.issued("at-2", Duration.ofHours(1)));
        service.rejected(ID, "at-1");

        clock.advance(Duration.ofSeconds(10));
        provider.validationAnswers.add(() -> new ValidationResult.Rejected("token revoked"));
        provider.refreshAnswers.add(() -> provider.issued("at-3", Duration.ofHours(1)));
        assertEquals("at-3", service.rejected(ID, "at-2").presentation().token());
        assertEquals(2, provider.refreshCalls.get());

        service.limitReports(new ReportLimit(clock, Duration.ofMinutes(2)));
        clock.advance(Duration.ofSeconds(10));
        service.rejected(ID, "at-3");
        provider.validationAnswers.add(() -> new ValidationResult.Inconclusive(FailureKind.NETWORK, "timed out",
                Optional.empty()));
        TooManyReportsException unsure = assertThrows(TooManyReportsException.class, () -> service.rejected(ID, "next"));
        assertTrue(unsure.getMessage().contains("one refresh per 120 s on reports"), unsure.getMessage());
        assertTrue(unsure.getMessage().contains("; the upstream's check was inconclusive (timed out); "), unsure.getMessage());
        assertEquals(Duration.ofMinutes(2), unsure.retryAfter());
        assertEquals(3, provider.refreshCalls.get());
        assertEquals("next", service.token(ID, Duration.ZERO).presentation().token());
    }

    @Test
    void aRefreshOnRequestSkipsAValidTokenUnlessForced() throws Exception {
        imported("at-1");
        clock.advance(Duration.ofSeconds(10));
        RefreshReport.Skipped skipped = assertInstanceOf(RefreshReport.Skipped.class, service.refresh(ID, false));
        assertEquals("token valid long enough", skipped.why());
        assertEquals(0, provider.refreshCalls.get());
        RefreshReport.Refreshed forced = assertInstanceOf(RefreshReport.Refreshed.class, service.refresh(ID, true));
        assertEquals(2, forced.credential().version());
        assertEquals(1, provider.refreshCalls.get());
        assertEquals(forced.credential(), service.get(ID));
    }

    @Test
    void aForcedRefreshRightAfterASkippedOneIsNeverAnsweredWithTheSkip() throws Exception {
        imported("at-1");
        for (int round = 1; round <= 40; round++) {
            clock.advance(Duration.ofSeconds(10));
            assertInstanceOf(RefreshReport.Skipped.class, service.refresh(ID, false));
            RefreshReport forced = service.refresh(ID, true);
            assertInstanceOf(RefreshReport.Refreshed.class, forced, "round " + round + ": " + forced);
        }
        assertEquals(40, provider.refreshCalls.get());
        assertEquals(41, row().version());
    }

    @Test
    void aDeletedCredentialIsGoneFromStoreCacheAndReportLimit() throws Exception {
        imported("at-1");
        clock.advance(Duration.ofMinutes(1));
        service.rejected(ID, "at-1");
        assertTrue(service.delete(ID));
        assertTrue(cache.get(ID).isEmpty());
        assertThrows(CredentialNotFoundException.class, () -> service.get(ID));
        assertFalse(service.delete(ID), "nothing left to delete");

        imported("at-9");
        clock.advance(Duration.ofSeconds(10));
        provider.refreshAnswers.add(() -> provider.issued("at-10", Duration.ofHours(1)));
        assertEquals("at-10", service.rejected(ID, "at-9").presentation().token(),
                "the re-imported credential's first report refreshes at once");
        assertEquals(0, provider.validationCalls.get());
    }

    @Test
    void theHistoryIsTheCredentialsOwnOldestFirstWithinItsLimit() throws Exception {
        imported("at-1");
        clock.advance(Duration.ofMinutes(1));
        Instant second = clock.instant();
        imported("at-2");
        service.importSecret(CredentialId.parse("acme:other"), new SecretInput.TokenJson("at-x"));
        assertEquals(List.of(1L, 2L), service.history(ID, Instant.EPOCH, 10).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(2L), service.history(ID, second, 10).stream().map(RefreshEvent::version).toList());
        assertEquals(1, service.history(ID, Instant.EPOCH, 1).size());
        assertEquals(2, service.list().size());
        assertSame(clock, service.clock());
        assertNotNull(service.keyRotation(name -> Optional.empty(), state));
    }

    @Test
    void aSecretThatCannotBeDecryptedIsRecordedAsAnErrorOnceAndNeverSentUpstream() {
        Instant now = clock.instant();
        SecretSealer otherKey = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
        assertTrue(store.insert(new StoredCredential(ID, CredentialStatus.ACTIVE, otherKey.seal(ID, secret("at-1", "rt-1")),
                now, Optional.of(now.plus(Duration.ofHours(1))), Optional.empty(), 1, Optional.of(now), Optional.empty(), now)));
        clock.advance(Duration.ofSeconds(10));

        NoValidTokenException first = assertThrows(NoValidTokenException.class, () -> service.token(ID, Duration.ZERO));
        assertTrue(first.needsHuman());
        assertTrue(first.getMessage().startsWith("credential acme:shop cannot be decrypted: "), first.getMessage());
        StoredCredential marked = row();
        assertEquals(CredentialStatus.ERROR, marked.status());
        assertEquals(List.of("ERROR v2"), published);

        NoValidTokenException again = assertThrows(NoValidTokenException.class, () -> service.rejected(ID, "at-1"));
        assertTrue(again.needsHuman());
        assertEquals(marked, row(), "recorded once");
        assertEquals(List.of("ERROR v2"), published, "an error already recorded is not recorded again");
        assertEquals(0, provider.refreshCalls.get());
    }

    @Test
    void aConsumerWaitsNoLongerThanItsPatienceAndGetsTheCurrentTokenWhileItIsValid() throws Exception {
        service.answerConsumersWithin(Duration.ofMillis(300));
        imported("at-1");
        clock.advance(Duration.ofMinutes(55));
        HeldUpstreamCall held = HeldUpstreamCall.next(provider, () -> provider.issued("at-2", Duration.ofHours(1)));
        long started = System.nanoTime();
        assertEquals("at-1", service.token(ID, Duration.ofMinutes(10)).presentation().token(),
                "the refresh is slow: the token still valid for five minutes");
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(5)) < 0);

        clock.advance(Duration.ofMinutes(6));
        RefreshPendingException pending = assertThrows(RefreshPendingException.class, () -> service.token(ID, Duration.ZERO));
        assertNotNull(pending.getMessage());
        assertThrows(RefreshPendingException.class, () -> service.refresh(ID, false));
        held.answer();
        assertTrue(pipeline.closeAndAwaitIdle(Duration.ofSeconds(10)));
        assertEquals(1, provider.refreshCalls.get(), "one upstream call for all of them");
        assertEquals("at-2", cache.get(ID).orElseThrow().presentation().token());
    }

    @Test
    void aRowReadBeforeAnotherDaemonsChangeIsNotLeftInTheCacheWhenTheChangeIsAnnouncedDuringTheRead() throws Exception {
        StoredCredential first = imported("at-1").credential();
        cache.remove(ID);
        clock.advance(Duration.ofMinutes(10));
        Instant now = clock.instant();

        LiveCredential served = pipeline.whileReading(ID, () -> {
            StoredCredential read = row();
            assertTrue(store.compareAndSet(new StoredCredential(ID, CredentialStatus.ACTIVE, sealer.seal(ID, secret("at-2", "rt-2")),
                    now, Optional.of(now.plus(Duration.ofHours(1))), Optional.empty(), 2, Optional.of(now), Optional.empty(), now),
                    first.version()));
            assertFalse(pipeline.changedElsewhere(ID), "not held here: the follower reads nothing");
            try {
                return pipeline.open(read);
            } catch (UnsealException e) {
                throw new AssertionError(e);
            }
        });

        assertEquals("at-1", served.presentation().token(), "the read gets the row as it was when read");
        assertTrue(cache.get(ID).isEmpty(), "the row read before the change is not cached");
        assertEquals("at-2", service.token(ID, Duration.ofMinutes(5)).presentation().token());
    }

    @Test
    void aReadWithoutAChangeAnnouncedMeanwhileIsCachedAndAChangeOfAHeldCredentialAsksForARead() throws Exception {
        imported("at-1");
        cache.remove(ID);

        LiveCredential served = pipeline.whileReading(ID, () -> {
            try {
                return pipeline.open(row());
            } catch (UnsealException e) {
                throw new AssertionError(e);
            }
        });

        assertEquals(served, cache.get(ID).orElseThrow());
        assertTrue(pipeline.changedElsewhere(ID), "held here: the follower reads the changed row");
        assertEquals(served, cache.get(ID).orElseThrow(), "no read under way: the cache is left as it is");
    }
}
