package dev.tokenkeeper.daemon.changes;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoreChange;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.daemon.config.RefreshPolicy;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.ScriptedProvider;
import dev.tokenkeeper.daemon.refresh.TokenCache;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import dev.tokenkeeper.daemon.schedule.Scheduling;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The change follower over the real SQLite store, the real pipeline and a scheduler ticked by hand
 * on a clock the test moves: each test writes the store as another daemon would and announces it
 * as the store's feed would. The follower works on a thread of its own, which is the subject, so
 * the tests wait for it (bounded).
 */
class ChangeFollowerTest {

    private static final CredentialId A = CredentialId.parse("acme:a");
    private static final CredentialId B = CredentialId.parse("acme:b");
    private static final Duration FOLLOWED = Duration.ofSeconds(10);

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"));
    private final SecretSealer sealer = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
    private final TokenCache cache = new TokenCache();
    private final AtomicInteger consumersChanged = new AtomicInteger();
    private TokenStore store;
    private RefreshPipeline pipeline;
    private RefreshScheduler scheduler;
    private ChangeFollower follower;

    @BeforeEach
    void start() throws Exception {
        store = EmbeddedStore.found();
        store.open(TestContext.of(state, clock));
        pipeline = new RefreshPipeline(store, sealer, id -> Optional.of(new ScriptedProvider(clock)), new RefreshPolicy(
                Duration.ofSeconds(60), Duration.ZERO, Duration.ofSeconds(30), Duration.ofSeconds(900), Duration.ofSeconds(1),
                Duration.ofSeconds(120)), () -> 0L, clock, "me", cache);
        scheduler = new RefreshScheduler(pipeline, store::list, new Scheduling(1, Duration.ofHours(6), true, Duration.ofSeconds(1)),
                clock);
        scheduler.tickByHand();
        scheduler.start();
        follower = new ChangeFollower(store, pipeline, scheduler).onConsumersChanged(consumersChanged::incrementAndGet)
                .replanAfterGaps(() -> store.list().forEach(scheduler::plan));
    }

    @AfterEach
    void stop() {
        follower.close();
        scheduler.close();
        pipeline.closeAndAwaitIdle(Duration.ofSeconds(5));
        store.close();
    }

    /** Another daemon's write: a credential whose hour-long token is {@code access}. */
    private StoredCredential written(CredentialId id, long version, String access) {
        Instant now = clock.instant();
        StoredCredential credential = new StoredCredential(id, CredentialStatus.ACTIVE,
                sealer.seal(id, new SecretMaterial(Map.of("access_token", access))), now, Optional.of(now.plus(Duration.ofHours(1))),
                Optional.empty(), version, Optional.of(now), Optional.empty(), now);
        assertTrue(version == 1 ? store.insert(credential) : store.compareAndSet(credential, version - 1));
        return credential;
    }

    private Optional<String> cachedToken(CredentialId id) {
        return cache.get(id).map(LiveCredential::presentation).map(Presentation::token);
    }

    @Test
    void aStoreWithoutAFeedIsFollowedOnlyByTheSweep() {
        assertFalse(follower.start(), "SQLite announces nothing");
    }

    @Test
    void aCredentialAnotherDaemonWroteIsOpenedAndPlannedAndItsNextVersionReplacesIt() {
        written(A, 1, "access-one");
        assertTrue(scheduler.nextFireTime(A).isEmpty());
        follower.changed(new StoreChange.Credentials(Set.of(A)));
        await().atMost(FOLLOWED).until(() -> cachedToken(A).equals(Optional.of("access-one")));
        // Planned 6 minutes (a tenth of the hour) before its expiry, no jitter.
        assertEquals(Optional.of(clock.instant().plus(Duration.ofMinutes(54))), scheduler.nextFireTime(A));

        clock.advance(Duration.ofMinutes(30));
        written(A, 2, "access-two");
        follower.changed(new StoreChange.Credentials(Set.of(A)));
        await().atMost(FOLLOWED).until(() -> cachedToken(A).equals(Optional.of("access-two")));
        assertEquals(Optional.of(clock.instant().plus(Duration.ofMinutes(54))), scheduler.nextFireTime(A), "re-planned");
        assertEquals(0, consumersChanged.get(), "credential changes are not consumer changes");
    }

    @Test
    void aCredentialAnotherDaemonDeletedIsForgottenHere() {
        written(A, 1, "access-one");
        written(B, 1, "access-b");
        follower.changed(new StoreChange.Credentials(Set.of(A, B)));
        await().atMost(FOLLOWED).until(() -> cachedToken(A).isPresent() && cachedToken(B).isPresent());
        assertTrue(store.delete(A));
        follower.changed(new StoreChange.Credentials(Set.of(A)));
        await().atMost(FOLLOWED).until(() -> scheduler.nextFireTime(A).isEmpty());
        assertTrue(cachedToken(A).isEmpty(), "its opened token is dropped");
        assertEquals(Optional.of("access-b"), cachedToken(B), "the other one stays");
    }

    @Test
    void missedAnnouncementsEmptyTheCacheReplanEverythingAndTellTheConsumers() {
        written(A, 1, "access-one");
        follower.changed(new StoreChange.Credentials(Set.of(A)));
        await().atMost(FOLLOWED).until(() -> cachedToken(A).equals(Optional.of("access-one")));
        // Announcements of these two are missed: the feed reports a gap instead.
        written(A, 2, "access-two");
        written(B, 1, "access-b");
        follower.changed(new StoreChange.Everything());
        assertEquals(1, consumersChanged.get(), "consumers may have changed too");
        await().atMost(FOLLOWED).until(() -> scheduler.nextFireTime(B).isPresent());
        assertTrue(scheduler.nextFireTime(A).isPresent());
        assertEquals(0, cache.size(), "nothing read or opened for the cache: every entry may be stale, so all are dropped");
        CredentialService reads = new CredentialService(store, sealer, pipeline, cache, clock);
        assertEquals("access-two", reads.token(A, Duration.ZERO).presentation().token(),
                "a read after the gap sees the store's newest version, not the one cached before it");
        assertEquals(Optional.of("access-two"), cachedToken(A), "and caches it");
    }

    @Test
    void consumerChangesOnlyRunTheHook() {
        written(A, 1, "access-one");
        follower.changed(new StoreChange.Consumers());
        assertEquals(1, consumersChanged.get());
        follower.changed(new StoreChange.Credentials(Set.of(A)));
        await().atMost(FOLLOWED).until(() -> cachedToken(A).isPresent());
        assertEquals(1, consumersChanged.get());
    }

    @Test
    void aSecretThatDoesNotOpenIsStillPlanned() {
        SecretSealer other = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
        Instant now = clock.instant();
        assertTrue(store.insert(new StoredCredential(A, CredentialStatus.ACTIVE, other.seal(A, new SecretMaterial(Map.of(
                "access_token", "x"))), now, Optional.of(now.plus(Duration.ofHours(1))), Optional.empty(), 1, Optional.of(now),
                Optional.empty(), now)));
        follower.changed(new StoreChange.Credentials(Set.of(A)));
        await().atMost(FOLLOWED).until(() -> scheduler.nextFireTime(A).isPresent());
        assertTrue(cachedToken(A).isEmpty());
    }

    @Test
    void afterCloseAnnouncementsAreIgnored() {
        written(A, 1, "access-one");
        follower.close();
        follower.changed(new StoreChange.Credentials(Set.of(A)));
        follower.changed(new StoreChange.Credentials(Set.of(A)));
        assertTrue(scheduler.nextFireTime(A).isEmpty());
    }
}
