package dev.tokenkeeper.api.contract;

import static dev.tokenkeeper.api.contract.Credentials.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.AccountSecrets;
import dev.tokenkeeper.api.store.Consumers;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.api.store.StoreCapability;
import dev.tokenkeeper.api.store.Tally;
import org.junit.jupiter.api.Assumptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link TokenStore} owes the daemon, as JUnit 5 tests: extend this class once
 * per store and implement {@link #openStore(Clock)}.
 *
 * <pre>{@code
 * class MyStoreContractTest extends TokenStoreContract {
 *
 *     @TempDir
 *     Path state;                      // the backing storage, fresh for every test
 *
 *     @Override
 *     protected TokenStore openStore(Clock clock) {
 *         MyStore store = new MyStore();
 *         store.open(TestContext.of(state, clock));
 *         return store;
 *     }
 * }
 * }</pre>
 *
 * <p>Each test starts from empty backing storage and opens one or more stores on it: several stores
 * in one test stand for several daemons sharing that storage, so the compare-and-set and lease
 * tests prove coordination <em>between instances</em>, not only between threads. The kit closes
 * every store it opened after each test, in its own {@link AfterEach} method; JUnit runs that after
 * the subclass's {@code @AfterEach} methods, so storage a store still needs while closing (a server,
 * say) is best released in an extension or per class.
 *
 * <p>Add the store's own tests (schema, error messages, wire format) to the subclass or to separate
 * test classes. To reuse the kit from another build, depend on {@code dev.tokenkeeper:api} with
 * {@code <type>test-jar</type>} in test scope; the kit has no {@code module-info} and runs from
 * the class path (Surefire lets a store module patched with its tests read it).
 */
@Timeout(60)
public abstract class TokenStoreContract {

    private static final CredentialId ID = CredentialId.parse("gazelle:default");

    private final MutableClock clock = new MutableClock(T0);
    private final List<TokenStore> opened = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(8);
    private TokenStore store;

    /**
     * Opens a new store instance on the same backing storage as the others opened in this test
     * (like a second daemon on the same database). Each test gets fresh, empty storage.
     *
     * @param clock the clock the store must read "now" from (lease expiry is judged by it)
     * @return an opened store; the kit closes it after the test
     */
    protected abstract TokenStore openStore(Clock clock);

    /** @return the test's first store, opened on {@link #clock()} when first asked for */
    protected final TokenStore store() {
        if (store == null) {
            store = daemon(clock);
        }
        return store;
    }

    /** @return the clock of {@link #store()}, at {@link Credentials#T0} when the test starts */
    protected final MutableClock clock() {
        return clock;
    }

    /**
     * Closes every store the test opened (twice is allowed by the contract) and stops the test's threads.
     *
     * @throws InterruptedException when interrupted while the threads stop
     */
    @AfterEach
    protected final void closeOpenedStores() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "the test's threads stopped");
        opened.forEach(TokenStore::close);
    }

    private TokenStore daemon(Clock daemonClock) {
        TokenStore opening = openStore(daemonClock);
        opened.add(opening);
        return opening;
    }

    /**
     * @param store a store of the test
     * @return its leases; the test is skipped (not failed) when the store offers none
     */
    protected static Leases leases(TokenStore store) {
        return offered(store, Leases.class);
    }

    /**
     * @param store a store of the test
     * @return its consumers; the test is skipped when the store keeps none
     */
    protected static Consumers consumers(TokenStore store) {
        return offered(store, Consumers.class);
    }

    /**
     * @param store a store of the test
     * @return its purge; the test is skipped when the store offers none
     */
    protected static Purge purge(TokenStore store) {
        return offered(store, Purge.class);
    }

    /**
     * @param store a store of the test
     * @return its account secrets; the test is skipped when the store keeps none
     */
    protected static AccountSecrets accountSecrets(TokenStore store) {
        return offered(store, AccountSecrets.class);
    }

    /**
     * @param store a store of the test
     * @return its due queue; the test is skipped when the store offers none
     */
    protected static DueWork dueWork(TokenStore store) {
        return offered(store, DueWork.class);
    }

    /**
     * @param store a store of the test
     * @return its tally; the test is skipped when the store offers none
     */
    protected static Tally tally(TokenStore store) {
        return offered(store, Tally.class);
    }

    private static <C extends StoreCapability> C offered(TokenStore store, Class<C> type) {
        Optional<C> capability = store.capability(type);
        Assumptions.assumeTrue(capability.isPresent(), "the " + store.id() + " store offers no " + type.getSimpleName());
        return capability.get();
    }

    @Test
    void keepsConsumersByNameAndFindsThemByTokenHash() {
        TokenStore first = store();
        String hashA = "a".repeat(64);
        String hashB = "0123456789abcdef".repeat(4);
        Consumer a = new Consumer("analysis", hashA, List.of(ID), java.time.Instant.ofEpochSecond(1_700_000_000L));
        Consumer b = new Consumer("backup-job", hashB,
                List.of(ID, CredentialId.parse("vinted:shop")), java.time.Instant.ofEpochSecond(1_700_000_100L));
        assertTrue(consumers(first).insertConsumer(b));
        assertTrue(consumers(first).insertConsumer(a));
        assertFalse(consumers(first).insertConsumer(new Consumer("analysis", "b".repeat(64), List.of(ID),
                java.time.Instant.ofEpochSecond(1_700_000_200L))), "a taken name is refused");
        assertEquals(List.of(a, b), consumers(first).consumers(), "every field kept, in name order");
        TokenStore second = daemon(clock());
        assertEquals(Optional.of(b), consumers(second).consumerByTokenHash(hashB), "another daemon on the store sees it");
        assertEquals(Optional.empty(), consumers(second).consumerByTokenHash("c".repeat(64)));
        assertTrue(consumers(second).deleteConsumer("backup-job"));
        assertFalse(consumers(second).deleteConsumer("backup-job"));
        assertEquals(Optional.empty(), consumers(first).consumerByTokenHash(hashB), "revoked for every daemon");
        assertEquals(List.of(a), consumers(first).consumers());
    }

    @Test
    void keepsAccountSecretsPerCredentialAndKindAndFindsThemByLookupHash() {
        TokenStore first = store();
        CredentialId shop = CredentialId.parse("vinted:shop");
        AccountSecret link = new AccountSecret(shop, "cookiecloud", "a".repeat(64), SealedSecret.of(new byte[] {1, 2, 3}),
                java.time.Instant.ofEpochMilli(1_700_000_000_123L), Optional.of("0a1b2c3d:" + "f".repeat(64)));
        AccountSecret signIn = new AccountSecret(shop, "sign-in", "a".repeat(64), SealedSecret.of(new byte[] {4, 5}),
                java.time.Instant.ofEpochMilli(1_700_000_000_456L), Optional.empty());
        AccountSecret other = new AccountSecret(ID, "cookiecloud", "b".repeat(64), SealedSecret.of(new byte[] {6}),
                java.time.Instant.ofEpochMilli(1_700_000_000_789L), Optional.of("x".repeat(Consumer.MOST_MAC_LENGTH)));
        assertTrue(accountSecrets(first).putAccountSecret(link));
        assertTrue(accountSecrets(first).putAccountSecret(signIn), "the same hash under another kind");
        assertTrue(accountSecrets(first).putAccountSecret(other));
        assertFalse(accountSecrets(first).putAccountSecret(new AccountSecret(ID, "cookiecloud", "a".repeat(64),
                        SealedSecret.of(new byte[] {7}), java.time.Instant.ofEpochMilli(1L), Optional.empty())),
                "another credential's lookup hash of the same kind is refused");
        assertEquals(List.of(other, link, signIn), accountSecrets(first).accountSecrets(), "every field kept, in id and kind order");
        assertArrayEquals(new byte[] {1, 2, 3}, accountSecrets(first).accountSecret(shop, "cookiecloud").orElseThrow()
                .sealed().bytes());

        TokenStore second = daemon(clock());
        assertEquals(Optional.of(link), accountSecrets(second).accountSecretByLookupHash("cookiecloud", "a".repeat(64)),
                "another daemon on the store finds it");
        assertEquals(Optional.empty(), accountSecrets(second).accountSecretByLookupHash("cookiecloud", "c".repeat(64)));
        AccountSecret replaced = new AccountSecret(shop, "cookiecloud", "d".repeat(64), SealedSecret.of(new byte[] {8, 9}),
                java.time.Instant.ofEpochMilli(1_700_000_001_000L), Optional.of("0a1b2c3d:" + "e".repeat(64)));
        assertTrue(accountSecrets(second).putAccountSecret(replaced), "the credential's row of the kind is replaced");
        assertEquals(Optional.of(replaced), accountSecrets(first).accountSecret(shop, "cookiecloud"));
        assertEquals(Optional.empty(), accountSecrets(first).accountSecretByLookupHash("cookiecloud", "a".repeat(64)));
        assertTrue(accountSecrets(second).deleteAccountSecret(shop, "cookiecloud"));
        assertFalse(accountSecrets(second).deleteAccountSecret(shop, "cookiecloud"));
        assertEquals(List.of(other, signIn), accountSecrets(first).accountSecrets());
    }

    @Test
    void keepsTheAuthenticationTagOfAConsumerRowAsGivenAndReplacesItOnlyForTheSameTokenHash() {
        TokenStore store = store();
        String hash = "0123456789abcdef".repeat(4);
        String tag = "0a1b2c3d:" + "f".repeat(64);
        Consumer tagged = new Consumer("tagged", hash, List.of(ID, CredentialId.parse("vinted:shop")),
                java.time.Instant.ofEpochMilli(1_700_000_000_123L)).withMac(tag);
        Consumer untagged = new Consumer("untagged", "d".repeat(64), List.of(ID),
                java.time.Instant.ofEpochMilli(1_700_000_000_456L));
        assertTrue(consumers(store).insertConsumer(tagged));
        assertTrue(consumers(store).insertConsumer(untagged));
        assertEquals(List.of(tagged, untagged), consumers(store).consumers(), "the tag and the missing tag kept");
        assertEquals(Optional.of(tagged), consumers(store).consumerByTokenHash(hash));

        String longest = "x".repeat(Consumer.MOST_MAC_LENGTH);
        assertTrue(consumers(store).setConsumerMac("untagged", "d".repeat(64), longest));
        assertFalse(consumers(store).setConsumerMac("untagged", "e".repeat(64), tag), "another token hash: nothing written");
        assertFalse(consumers(store).setConsumerMac("nobody", "d".repeat(64), tag));
        assertEquals(List.of(tagged, untagged.withMac(longest)), consumers(daemon(clock())).consumers(),
                "only the tag changed, for every daemon");
    }

    @Test
    void roundTripsEveryField() {
        TokenStore store = store();
        StoredCredential full = new StoredCredential(CredentialId.parse("gazelle:ops@example.com"),
                CredentialStatus.REQUIRES_CONFIGURATION, SealedSecret.of(new byte[] {1, 0, -1, 127, -128}),
                Instant.parse("2025-01-02T03:04:05.006Z"),
                Optional.of(Instant.parse("2025-01-02T04:04:05.006Z")),
                Optional.of(Instant.parse("2025-02-02T03:04:05.999Z")),
                42, Optional.of(Instant.parse("2025-01-02T03:04:05.001Z")),
                Optional.of("upstream said invalid_grant: \"import\" again, 100% sure & (really)"),
                Instant.parse("2025-01-02T03:04:06Z"));
        StoredCredential empty = Credentials.minimal("vinted:admin", (byte) 9);

        assertTrue(store.insert(full));
        assertTrue(store.insert(empty));

        assertEquals(Optional.of(full), store.get(full.id()));
        assertEquals(Optional.of(empty), store.get(empty.id()));
        for (CredentialStatus status : CredentialStatus.values()) {
            StoredCredential withStatus = Credentials.minimal("gazelle:status-" + status.wireName(), (byte) 1);
            withStatus = new StoredCredential(withStatus.id(), status, withStatus.secret(), withStatus.issuedAt(),
                    withStatus.accessExpiresAt(), withStatus.refreshExpiresAt(), 1, withStatus.lastRefreshAt(),
                    withStatus.lastError(), withStatus.updatedAt());
            assertTrue(store.insert(withStatus));
            assertEquals(status, store.get(withStatus.id()).orElseThrow().status());
        }
        assertEquals(Optional.empty(), store.get(CredentialId.parse("gazelle:nobody")));
    }

    @Test
    void keepsSealedBytesExactlyAsGiven() {
        TokenStore store = store();
        byte[] sealed = new byte[4096];
        for (int i = 0; i < sealed.length; i++) {
            sealed[i] = (byte) (i * 31 + 7);
        }
        assertTrue(store.insert(Credentials.minimal("gazelle:default", sealed)));

        assertArrayEquals(sealed, store.get(CredentialId.parse("gazelle:default")).orElseThrow().secret().bytes());
        assertTrue(store.insert(Credentials.minimal("gazelle:empty")));
        assertEquals(0, store.get(CredentialId.parse("gazelle:empty")).orElseThrow().secret().length());
    }

    @Test
    void listsInIdOrder() {
        TokenStore store = store();
        for (String id : List.of("vinted:b", "gazelle:z", "vinted:a", "gazelle:default", "a-b:x")) {
            assertTrue(store.insert(Credentials.minimal(id, (byte) 1)));
        }
        assertEquals(List.of("a-b:x", "gazelle:default", "gazelle:z", "vinted:a", "vinted:b"),
                store.list().stream().map(c -> c.id().toString()).toList());
    }

    @Test
    void pagesWalkTheCredentialsInTheOrderOfTheList() {
        TokenStore store = store();
        for (String id : List.of("vinted:b", "gazelle:default", "a-b:x", "vinted:a", "gazelle:z")) {
            assertTrue(store.insert(Credentials.minimal(id, (byte) 1)));
        }
        List<String> walked = new ArrayList<>();
        Optional<CredentialId> after = Optional.empty();
        int pages = 0;
        while (true) {
            List<StoredCredential> page = store.listPage(after, 2);
            pages++;
            assertTrue(page.size() <= 2, "a page holds at most its limit: " + page.size());
            page.forEach(credential -> walked.add(credential.id().toString()));
            if (page.size() < 2) {
                break;
            }
            after = Optional.of(page.get(page.size() - 1).id());
        }
        assertEquals(List.of("a-b:x", "gazelle:default", "gazelle:z", "vinted:a", "vinted:b"), walked);
        assertEquals(3, pages, "two full pages and a last one of one");
        assertEquals(List.of("vinted:b"), store.listPage(Optional.of(CredentialId.parse("vinted:a")), 10).stream()
                .map(c -> c.id().toString()).toList(), "after an id, only what sorts after it");
        assertEquals(List.of(), store.listPage(Optional.of(CredentialId.parse("zz:last")), 10));
        assertThrows(IllegalArgumentException.class, () -> store.listPage(Optional.empty(), 0));
    }

    @Test
    void insertOfAnExistingIdReturnsFalseAndKeepsTheRow() {
        TokenStore store = store();
        StoredCredential first = Credentials.minimal("gazelle:default", (byte) 1);
        assertTrue(store.insert(first));

        assertFalse(store.insert(Credentials.minimal("gazelle:default", (byte) 2)));
        assertEquals(Optional.of(first), store.get(first.id()));
    }

    @Test
    void deleteRemovesTheCredentialButKeepsItsHistory() {
        TokenStore store = store();
        StoredCredential credential = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(credential);
        store.appendHistory(new RefreshEvent(credential.id(), T0, RefreshOutcome.IMPORTED, "", Duration.ZERO, 1));

        assertTrue(store.delete(credential.id()));
        assertFalse(store.delete(credential.id()));
        assertEquals(Optional.empty(), store.get(credential.id()));
        assertEquals(List.of(), store.list());
        assertEquals(1, store.history(credential.id(), Instant.EPOCH, 10).size());
        assertTrue(store.insert(credential), "the id may be imported again after a delete");
    }

    @Test
    void compareAndSetWritesOnlyOnTheExpectedVersion() {
        TokenStore store = store();
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        StoredCredential v2 = Credentials.next(v1, "first writer");
        StoredCredential staleV2 = Credentials.next(v1, "second writer");

        assertTrue(store.compareAndSet(v2, 1));
        assertFalse(store.compareAndSet(staleV2, 1), "a writer that read version 1 must lose");
        assertEquals(Optional.of(v2), store.get(v1.id()));
        assertFalse(store.compareAndSet(Credentials.next(Credentials.minimal("gazelle:absent", (byte) 1), "x"), 1),
                "compare-and-set of a missing credential");
    }

    @Test
    void purgeOverwrittenSaysWhatItDidAndKeepsEveryLiveRow() {
        TokenStore store = store();
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        StoredCredential v2 = Credentials.next(v1, "second");
        assertTrue(store.compareAndSet(v2, 1));
        StoredCredential v3 = Credentials.next(v2, "third");
        assertTrue(store.compareAndSet(v3, 2));

        PurgeResult purged = purge(store).purgeOverwritten();
        assertTrue(purged.allowsDestroyingOldKeys(), "a store that offers a purge says what it did: " + purged.summary());
        assertFalse(purged.summary().isBlank());
        assertEquals(Optional.of(v3), store.get(v1.id()), "the live row survives the purge");
        assertEquals(Optional.of(v3), daemon(clock()).get(v1.id()), "also for another daemon on the store");
    }

    @Test
    void compareAndSetRejectsVersionsThatDoNotAddUp() {
        TokenStore store = store();
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        StoredCredential v2 = Credentials.next(v1, "x");

        assertThrows(IllegalArgumentException.class, () -> store.compareAndSet(v2, 0));
        assertThrows(IllegalArgumentException.class, () -> store.compareAndSet(v2, 2));
        assertThrows(IllegalArgumentException.class, () -> store.compareAndSet(v1, 1));
        assertEquals(Optional.of(v1), store.get(v1.id()));
    }

    @Test
    void compareAndSetLeavesTheLeaseAlone() {
        TokenStore store = store();
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        assertTrue(leases(store).tryLease(v1.id(), "daemon-a", T0.plusSeconds(60)));

        assertTrue(store.compareAndSet(Credentials.next(v1, "refreshed"), 1));

        assertFalse(leases(store).tryLease(v1.id(), "daemon-b", T0.plusSeconds(60)), "the lease survived the update");
        leases(store).releaseLease(v1.id(), "daemon-a");
        assertTrue(leases(store).tryLease(v1.id(), "daemon-b", T0.plusSeconds(60)));
    }

    @Test
    void commitRefreshWritesTheRowItsHistoryAndReleasesTheLeaseTogether() {
        TokenStore store = store();
        StoredCredential first = Credentials.minimal("gazelle:a", (byte) 1);
        assertTrue(store.insert(first));
        assertTrue(leases(store).tryLease(first.id(), "me", T0.plusSeconds(60)));
        StoredCredential second = Credentials.next(first, "two");
        RefreshEvent event = new RefreshEvent(first.id(), T0, RefreshOutcome.REFRESHED, "", Duration.ofMillis(5), 2);
        assertTrue(leases(store).commitRefresh(second, 1, event, "me"));
        assertEquals(Optional.of(second), store.get(first.id()));
        assertEquals(List.of(event), store.history(first.id(), Instant.EPOCH, 10));
        assertTrue(leases(store).tryLease(first.id(), "someone-else", T0.plusSeconds(60)), "the lease was given back");

        StoredCredential stale = Credentials.next(first, "stale");
        assertFalse(leases(store).commitRefresh(stale, 1, event, "me"), "a stale version loses");
        assertEquals(Optional.of(second), store.get(first.id()), "and writes nothing");
        assertEquals(1, store.history(first.id(), Instant.EPOCH, 10).size(), "nor history");
        assertFalse(leases(store).tryLease(first.id(), "me", T0.plusSeconds(60)), "nor releases someone else's lease");
    }

    @Test
    void historyReturnsTheNewestEventsSinceAGivenTimeOldestFirst() {
        TokenStore store = store();
        CredentialId id = CredentialId.parse("gazelle:default");
        CredentialId other = CredentialId.parse("vinted:default");
        RefreshOutcome[] outcomes = RefreshOutcome.values();
        // Appended out of time order on purpose: the order is by time, not by arrival.
        int[] minutes = {5, 0, 3, 1, 4, 2, 6, 7, 9, 8};
        for (int minute : minutes) {
            store.appendHistory(new RefreshEvent(id, T0.plus(Duration.ofMinutes(minute)),
                    outcomes[minute % outcomes.length], "event " + minute, Duration.ofMillis(100 + minute), minute));
        }
        store.appendHistory(new RefreshEvent(other, T0.plus(Duration.ofMinutes(9)), RefreshOutcome.REFRESHED,
                "someone else", Duration.ZERO, 1));

        List<RefreshEvent> all = store.history(id, Instant.EPOCH, 100);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), all.stream().map(RefreshEvent::version).toList());
        assertEquals(new RefreshEvent(id, T0.plus(Duration.ofMinutes(3)), outcomes[3], "event 3",
                Duration.ofMillis(103), 3), all.get(3));

        assertEquals(List.of(7L, 8L, 9L),
                store.history(id, Instant.EPOCH, 3).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L),
                store.history(id, T0.plus(Duration.ofMinutes(4)), 100).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(8L, 9L),
                store.history(id, T0.plus(Duration.ofMinutes(4)), 2).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(), store.history(id, T0.plus(Duration.ofMinutes(10)), 5));
        assertEquals(List.of(), store.history(id, Instant.EPOCH, 0));
        assertThrows(IllegalArgumentException.class, () -> store.history(id, Instant.EPOCH, -1));
        assertEquals(1, store.history(other, Instant.EPOCH, 100).size());
    }

    @Test
    void eventsAtTheSameInstantKeepTheirAppendOrder() {
        TokenStore store = store();
        CredentialId id = CredentialId.parse("gazelle:default");
        for (int i = 0; i < 5; i++) {
            store.appendHistory(new RefreshEvent(id, T0, RefreshOutcome.VALIDATED, "n" + i, Duration.ZERO, i));
        }
        assertEquals(List.of("n2", "n3", "n4"),
                store.history(id, T0, 3).stream().map(RefreshEvent::detail).toList());
    }

    @Test
    void closedStoreRefusesCalls() {
        TokenStore store = store();
        store.close();
        store.close();
        StoreException closed = assertThrows(StoreException.class, store::list);
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }

    @Test
    void racingCompareAndSetHasExactlyOneWinnerPerVersion() throws Exception {
        TokenStore first = daemon(Clock.systemUTC());
        TokenStore second = daemon(Clock.systemUTC());
        first.insert(Credentials.minimal(ID.toString(), (byte) 1));
        long lastVersion = 61;
        Map<Long, String> winners = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        AtomicInteger successes = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);

        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            String name = "writer-" + t;
            TokenStore writer = t % 2 == 0 ? first : second;
            workers.add(pool.submit(() -> {
                start.await();
                while (true) {
                    StoredCredential read = writer.get(ID).orElseThrow();
                    if (read.version() >= lastVersion) {
                        return null;
                    }
                    StoredCredential updated = Credentials.next(read, name);
                    if (writer.compareAndSet(updated, read.version())) {
                        successes.incrementAndGet();
                        if (winners.putIfAbsent(updated.version(), name) != null) {
                            duplicates.incrementAndGet();
                        }
                    }
                }
            }));
        }
        start.countDown();
        for (Future<?> worker : workers) {
            worker.get(50, TimeUnit.SECONDS);
        }

        StoredCredential last = first.get(ID).orElseThrow();
        assertEquals(0, duplicates.get(), "two writers won the same version");
        assertEquals(lastVersion, last.version());
        assertEquals(lastVersion - 1, successes.get(), "final version = 1 + successful compare-and-sets");
        assertEquals(successes.get(), winners.size());
        for (long version = 2; version <= lastVersion; version++) {
            assertTrue(winners.containsKey(version), "version " + version + " has a winner");
        }
        assertEquals(winners.get(lastVersion), last.lastError().orElseThrow(), "the stored row is the winner's");
    }

    @Test
    void leaseIsExclusiveBetweenTwoDaemonsUntilItRunsOut() {
        TokenStore a = store();
        TokenStore b = daemon(clock);
        a.insert(Credentials.minimal(ID.toString(), (byte) 1));
        Instant inOneMinute = T0.plusSeconds(60);

        assertTrue(leases(a).tryLease(ID, "daemon-a", inOneMinute));
        assertFalse(leases(b).tryLease(ID, "daemon-b", T0.plusSeconds(3600)), "held by daemon-a");
        assertFalse(leases(a).tryLease(ID, "daemon-b", T0.plusSeconds(3600)), "same answer from either instance");

        // The owner may take it again, which moves its end.
        assertTrue(leases(a).tryLease(ID, "daemon-a", T0.plusSeconds(120)));
        clock.advance(Duration.ofSeconds(90));
        assertFalse(leases(b).tryLease(ID, "daemon-b", T0.plusSeconds(3600)), "extended to 120 s, not run out at 60 s");

        // Release by someone else does nothing.
        leases(b).releaseLease(ID, "daemon-b");
        assertFalse(leases(b).tryLease(ID, "daemon-b", T0.plusSeconds(3600)));

        // Once run out, the other daemon gets it and the first one no longer holds it.
        clock.advance(Duration.ofSeconds(30));
        assertTrue(leases(b).tryLease(ID, "daemon-b", T0.plusSeconds(300)));
        assertFalse(leases(a).tryLease(ID, "daemon-a", T0.plusSeconds(300)));

        // A stale release by the old owner does not free daemon-b's lease.
        leases(a).releaseLease(ID, "daemon-a");
        assertFalse(leases(a).tryLease(ID, "daemon-a", T0.plusSeconds(300)));
        leases(b).releaseLease(ID, "daemon-b");
        assertTrue(leases(a).tryLease(ID, "daemon-a", T0.plusSeconds(300)));

        assertFalse(leases(a).tryLease(CredentialId.parse("gazelle:absent"), "daemon-a", T0.plusSeconds(300)),
                "no lease on a missing credential");
    }

    @Test
    void parallelLeasesFromTwoDaemonsNeverHaveTwoHolders() throws Exception {
        TokenStore a = daemon(Clock.systemUTC());
        TokenStore b = daemon(Clock.systemUTC());
        a.insert(Credentials.minimal(ID.toString(), (byte) 1));
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger mostHolders = new AtomicInteger();
        AtomicInteger acquired = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);

        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            String owner = "daemon-" + (t % 2 == 0 ? "a" : "b") + "-thread-" + t;
            TokenStore daemon = t % 2 == 0 ? a : b;
            workers.add(pool.submit(() -> {
                start.await();
                for (int attempt = 0; attempt < 25; attempt++) {
                    if (leases(daemon).tryLease(ID, owner, Instant.now().plusSeconds(600))) {
                        int now = holders.incrementAndGet();
                        mostHolders.accumulateAndGet(now, Math::max);
                        acquired.incrementAndGet();
                        Thread.yield();
                        holders.decrementAndGet(); // before the release, or the next holder could overlap
                        leases(daemon).releaseLease(ID, owner);
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> worker : workers) {
            worker.get(50, TimeUnit.SECONDS);
        }

        assertEquals(1, mostHolders.get(), "never two holders at once");
        assertTrue(acquired.get() > 0, "someone got the lease");
        // Which daemon wins is up to the scheduler (the sequential test above shows both can);
        // what must hold is exclusivity. Everyone released: a newcomer gets it right away.
        assertTrue(leases(b).tryLease(ID, "newcomer", Instant.now().plusSeconds(60)));
    }

    @Test
    void claimDueTakesUnplannedThenDueRowsEarliestFirstWithTheirLease() {
        TokenStore store = store();
        DueWork due = dueWork(store);
        for (String account : List.of("a", "b", "c", "d", "e")) {
            assertTrue(store.insert(Credentials.minimal("gazelle:" + account, (byte) 1)));
        }
        CredentialId a = CredentialId.parse("gazelle:a");
        CredentialId b = CredentialId.parse("gazelle:b");
        CredentialId c = CredentialId.parse("gazelle:c");
        CredentialId d = CredentialId.parse("gazelle:d");
        assertEquals(Optional.of(Instant.MIN), due.earliestDue(), "rows never planned are due before all");
        due.plan(b, Optional.of(T0.plusSeconds(20)), false);
        due.plan(c, Optional.of(T0.plusSeconds(10)), true);
        due.plan(d, Optional.of(T0.plusSeconds(3600)), false);
        due.plan(CredentialId.parse("gazelle:e"), Optional.empty(), false);
        assertEquals(Optional.of(T0.plusSeconds(20)), due.nextDue(b));
        assertEquals(Optional.empty(), due.nextDue(a), "not planned yet");
        assertEquals(Map.of(b, T0.plusSeconds(20), c, T0.plusSeconds(10), d, T0.plusSeconds(3600)),
                due.nextDue(List.of(a, b, c, d, CredentialId.parse("gazelle:e"), CredentialId.parse("gazelle:none"))),
                "a page's due times: the planned ones only");
        assertEquals(Map.of(), due.nextDue(List.of()), "an empty page");

        List<DueWork.Claim> first = due.claimDue("daemon-a", T0.plusSeconds(30), T0.plusSeconds(90), 2);
        assertEquals(List.of(a, c), first.stream().map(claim -> claim.credential().id()).toList(),
                "the unplanned row, then the earliest due; two at most");
        assertEquals(Optional.empty(), first.get(0).due());
        assertEquals(Optional.of(T0.plusSeconds(10)), first.get(1).due());
        assertTrue(first.get(1).retry(), "a planned retry is claimed as one");
        assertEquals(store.get(c), Optional.of(first.get(1).credential()), "the claim read the row");
        assertFalse(leases(store).tryLease(a, "daemon-b", T0.plusSeconds(90)), "the claim holds the lease");

        List<DueWork.Claim> second = due.claimDue("daemon-b", T0.plusSeconds(30), T0.plusSeconds(90), 10);
        assertEquals(List.of(b), second.stream().map(claim -> claim.credential().id()).toList(),
                "claimed rows, rows not due and rows kept out are not claimed");
        assertEquals(Optional.of(T0.plusSeconds(3600)), due.earliestDue(), "leased rows are not waited for");
        assertEquals(List.of(), due.claimDue("daemon-b", T0.plusSeconds(30), T0.plusSeconds(90), 10));
        assertThrows(IllegalArgumentException.class, () -> due.claimDue("daemon-b", T0, T0.plusSeconds(90), 0));
    }

    @Test
    void releaseWritesTheNextDueTimeOnlyForTheLeaseHolder() {
        TokenStore store = store();
        DueWork due = dueWork(store);
        CredentialId id = CredentialId.parse("gazelle:a");
        assertTrue(store.insert(Credentials.minimal(id.toString(), (byte) 1)));
        assertEquals(1, due.claimDue("daemon-a", T0, T0.plusSeconds(60), 5).size());

        due.release(id, "daemon-b", Optional.of(T0.plusSeconds(7200)), false);
        assertEquals(Optional.empty(), due.nextDue(id), "someone else's release writes nothing");
        assertFalse(leases(store).tryLease(id, "daemon-b", T0.plusSeconds(60)));

        due.release(id, "daemon-a", Optional.of(T0.plusSeconds(600)), true);
        assertEquals(Optional.of(T0.plusSeconds(600)), due.nextDue(id));
        assertTrue(leases(store).tryLease(id, "daemon-b", T0.plusSeconds(60)), "the lease was given back");
        leases(store).releaseLease(id, "daemon-b");
        assertEquals(List.of(), due.claimDue("daemon-b", T0.plusSeconds(599), T0.plusSeconds(660), 5), "not due yet");
        List<DueWork.Claim> retried = due.claimDue("daemon-b", T0.plusSeconds(600), T0.plusSeconds(660), 5);
        assertEquals(1, retried.size());
        assertTrue(retried.get(0).retry());
    }

    @Test
    void anExpiredClaimIsClaimableByAnotherDaemon() {
        TokenStore a = store();
        TokenStore b = daemon(clock);
        CredentialId id = CredentialId.parse("gazelle:a");
        assertTrue(a.insert(Credentials.minimal(id.toString(), (byte) 1)));
        assertEquals(1, dueWork(a).claimDue("daemon-a", T0, T0.plusSeconds(60), 5).size());
        // daemon-a stops without giving the claim back.
        clock.advance(Duration.ofSeconds(55));
        assertEquals(List.of(), dueWork(b).claimDue("daemon-b", clock.instant(), clock.instant().plusSeconds(60), 5),
                "held until its lease runs out");
        clock.advance(Duration.ofSeconds(5));
        List<DueWork.Claim> taken = dueWork(b).claimDue("daemon-b", clock.instant(), clock.instant().plusSeconds(60), 5);
        assertEquals(List.of(id), taken.stream().map(claim -> claim.credential().id()).toList());
        assertFalse(leases(a).tryLease(id, "daemon-a", clock.instant().plusSeconds(60)), "daemon-b holds it now");
    }

    @Test
    void commitRefreshWithTheNextDueTimeWritesAllOfItTogether() {
        TokenStore store = store();
        DueWork due = dueWork(store);
        StoredCredential first = Credentials.minimal("gazelle:a", (byte) 1);
        assertTrue(store.insert(first));
        assertEquals(1, due.claimDue("me", T0, T0.plusSeconds(60), 5).size());
        StoredCredential second = Credentials.next(first, "two");
        RefreshEvent event = new RefreshEvent(first.id(), T0, RefreshOutcome.REFRESHED, "", Duration.ofMillis(5), 2);

        assertTrue(due.commitRefresh(second, 1, event, "me", Optional.of(T0.plusSeconds(3000))));
        assertEquals(Optional.of(second), store.get(first.id()));
        assertEquals(List.of(event), store.history(first.id(), Instant.EPOCH, 10));
        assertEquals(Optional.of(T0.plusSeconds(3000)), due.nextDue(first.id()));
        assertTrue(leases(store).tryLease(first.id(), "someone-else", T0.plusSeconds(60)), "the lease was given back");

        StoredCredential stale = Credentials.next(first, "stale");
        assertFalse(due.commitRefresh(stale, 1, event, "me", Optional.of(T0)), "a stale version loses");
        assertEquals(Optional.of(second), store.get(first.id()), "and writes nothing");
        assertEquals(1, store.history(first.id(), Instant.EPOCH, 10).size(), "nor history");
        assertEquals(Optional.of(T0.plusSeconds(3000)), due.nextDue(first.id()), "nor the due time");
        assertFalse(leases(store).tryLease(first.id(), "me", T0.plusSeconds(60)), "nor releases someone else's lease");
        assertThrows(IllegalArgumentException.class,
                () -> due.commitRefresh(Credentials.next(second, "x"), 1, event, "me", Optional.empty()));

        assertTrue(store.compareAndSet(Credentials.next(second, "three"), 2));
        assertEquals(Optional.of(T0.plusSeconds(3000)), due.nextDue(first.id()), "a compare-and-set leaves it alone");
    }

    @Test
    void twoDaemonsClaimingAtOnceNeverGetTheSameRow() throws Exception {
        TokenStore a = daemon(Clock.systemUTC());
        TokenStore b = daemon(Clock.systemUTC());
        int rows = 200;
        for (int i = 0; i < rows; i++) {
            assertTrue(a.insert(Credentials.minimal("gazelle:acct" + i, (byte) 1)));
        }
        Map<CredentialId, String> claimedBy = new ConcurrentHashMap<>();
        List<String> twice = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            String owner = "daemon-" + (t % 2 == 0 ? "a" : "b") + "-" + t;
            DueWork due = dueWork(t % 2 == 0 ? a : b);
            workers.add(pool.submit(() -> {
                start.await();
                while (true) {
                    List<DueWork.Claim> claims = due.claimDue(owner, Instant.now(), Instant.now().plusSeconds(600), 7);
                    if (claims.isEmpty()) {
                        return null;
                    }
                    for (DueWork.Claim claim : claims) {
                        String before = claimedBy.putIfAbsent(claim.credential().id(), owner);
                        if (before != null) {
                            twice.add(claim.credential().id() + " by " + before + " and " + owner);
                        }
                    }
                }
            }));
        }
        start.countDown();
        for (Future<?> worker : workers) {
            worker.get(50, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), twice, "no row claimed twice while its lease runs");
        assertEquals(rows, claimedBy.size(), "every due row was claimed");
        assertEquals(Optional.empty(), dueWork(b).earliestDue(), "every row is leased: nothing left to wait for");
    }

    @Test
    void tallyCountsCredentialsByStatusWithTheSoonestExpiryOfAnActiveOne() {
        TokenStore store = store();
        Tally tally = tally(store);
        assertEquals(new Tally.Counts(Map.of(), Optional.empty()), tally.tally(), "an empty store");
        StoredCredential later = withExpiry(Credentials.minimal("gazelle:later", (byte) 1), CredentialStatus.ACTIVE,
                Optional.of(T0.plusSeconds(600)));
        StoredCredential soonest = withExpiry(Credentials.minimal("gazelle:soonest", (byte) 2), CredentialStatus.ACTIVE,
                Optional.of(T0.plusSeconds(60)));
        for (StoredCredential credential : List.of(later, soonest,
                withExpiry(Credentials.minimal("gazelle:expired", (byte) 3), CredentialStatus.EXPIRED,
                        Optional.of(T0.plusSeconds(10))),
                withExpiry(Credentials.minimal("vinted:error", (byte) 4), CredentialStatus.ERROR,
                        Optional.of(T0.plusSeconds(5))),
                Credentials.minimal("vinted:no-expiry", (byte) 5))) {
            assertTrue(store.insert(credential));
        }

        Tally.Counts counts = tally.tally();

        assertEquals(Map.of(CredentialStatus.ACTIVE, 3L, CredentialStatus.EXPIRED, 1L, CredentialStatus.ERROR, 1L),
                counts.byStatus());
        assertEquals(0, counts.count(CredentialStatus.REQUIRES_CONFIGURATION));
        assertEquals(Optional.of(T0.plusSeconds(60)), counts.soonestExpiry(),
                "the soonest expiry of an active credential (earlier ones of other statuses do not count)");

        assertTrue(store.compareAndSet(soonest.withStatus(CredentialStatus.ERROR, Optional.of("rejected"), T0), 1));
        assertTrue(store.compareAndSet(later.withStatus(CredentialStatus.EXPIRED, Optional.empty(), T0), 1));
        counts = tally.tally();
        assertEquals(Map.of(CredentialStatus.ACTIVE, 1L, CredentialStatus.EXPIRED, 2L, CredentialStatus.ERROR, 2L),
                counts.byStatus(), "a changed status moves its count");
        assertEquals(Optional.empty(), counts.soonestExpiry(), "the one active credential left has no expiry");
        assertTrue(store.delete(CredentialId.parse("vinted:no-expiry")));
        assertEquals(0, tally.tally().count(CredentialStatus.ACTIVE), "a deleted credential is not counted");
    }

    private static StoredCredential withExpiry(StoredCredential c, CredentialStatus status, Optional<Instant> expiry) {
        return new StoredCredential(c.id(), status, c.secret(), c.issuedAt(), expiry, c.refreshExpiresAt(), c.version(),
                c.lastRefreshAt(), c.lastError(), c.updatedAt());
    }
}
