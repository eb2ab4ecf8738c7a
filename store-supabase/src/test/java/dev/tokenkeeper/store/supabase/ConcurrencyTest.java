package dev.tokenkeeper.store.supabase;

import static dev.tokenkeeper.store.supabase.Credentials.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.api.io.TempDir;

/** Several threads, and two store instances on one project standing in for two daemons on two machines. */
@Timeout(60)
class ConcurrencyTest {

    private static final CredentialId ID = CredentialId.parse("gazelle:default");

    @TempDir
    Path state;

    private final FakePostgrest supabase = FakePostgrest.start();
    private final List<SupabaseTokenStore> stores = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        stores.forEach(SupabaseTokenStore::close);
        supabase.close();
    }

    private SupabaseTokenStore daemon(Clock clock) {
        SupabaseTokenStore store = new SupabaseTokenStore();
        store.open(TestContext.of(supabase, state, clock));
        stores.add(store);
        return store;
    }

    @Test
    void racingCompareAndSetHasExactlyOneWinnerPerVersion() throws Exception {
        SupabaseTokenStore first = daemon(Clock.systemUTC());
        SupabaseTokenStore second = daemon(Clock.systemUTC());
        first.insert(Credentials.minimal(ID.toString(), (byte) 1));
        long lastVersion = 61;
        Map<Long, String> winners = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        AtomicInteger successes = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);

        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            String name = "writer-" + t;
            SupabaseTokenStore store = t % 2 == 0 ? first : second;
            workers.add(pool.submit(() -> {
                start.await();
                while (true) {
                    StoredCredential read = store.get(ID).orElseThrow();
                    if (read.version() >= lastVersion) {
                        return null;
                    }
                    StoredCredential updated = Credentials.next(read, name);
                    if (store.compareAndSet(updated, read.version())) {
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
        MutableClock clock = new MutableClock(T0);
        SupabaseTokenStore a = daemon(clock);
        SupabaseTokenStore b = daemon(clock);
        a.insert(Credentials.minimal(ID.toString(), (byte) 1));
        Instant inOneMinute = T0.plusSeconds(60);

        assertTrue(a.tryLease(ID, "daemon-a", inOneMinute));
        assertFalse(b.tryLease(ID, "daemon-b", T0.plusSeconds(3600)), "held by daemon-a");
        assertFalse(a.tryLease(ID, "daemon-b", T0.plusSeconds(3600)), "same answer from either instance");

        // The owner may take it again, which moves its end.
        assertTrue(a.tryLease(ID, "daemon-a", T0.plusSeconds(120)));
        clock.advance(Duration.ofSeconds(90));
        assertFalse(b.tryLease(ID, "daemon-b", T0.plusSeconds(3600)), "extended to 120 s, not run out at 60 s");

        // Release by someone else does nothing.
        b.releaseLease(ID, "daemon-b");
        assertFalse(b.tryLease(ID, "daemon-b", T0.plusSeconds(3600)));

        // Once run out, the other daemon gets it and the first one no longer holds it.
        clock.advance(Duration.ofSeconds(30));
        assertTrue(b.tryLease(ID, "daemon-b", T0.plusSeconds(300)));
        assertFalse(a.tryLease(ID, "daemon-a", T0.plusSeconds(300)));

        // A stale release by the old owner does not free daemon-b's lease.
        a.releaseLease(ID, "daemon-a");
        assertFalse(a.tryLease(ID, "daemon-a", T0.plusSeconds(300)));
        b.releaseLease(ID, "daemon-b");
        assertTrue(a.tryLease(ID, "daemon-a", T0.plusSeconds(300)));

        assertFalse(a.tryLease(CredentialId.parse("gazelle:absent"), "daemon-a", T0.plusSeconds(300)),
                "no lease on a missing credential");
    }

    @Test
    void parallelLeasesFromTwoDaemonsNeverHaveTwoHolders() throws Exception {
        SupabaseTokenStore a = daemon(Clock.systemUTC());
        SupabaseTokenStore b = daemon(Clock.systemUTC());
        a.insert(Credentials.minimal(ID.toString(), (byte) 1));
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger mostHolders = new AtomicInteger();
        AtomicInteger acquired = new AtomicInteger();
        Map<String, Integer> perOwner = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);

        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            String owner = "daemon-" + (t % 2 == 0 ? "a" : "b") + "-thread-" + t;
            SupabaseTokenStore store = t % 2 == 0 ? a : b;
            workers.add(pool.submit(() -> {
                start.await();
                for (int attempt = 0; attempt < 25; attempt++) {
                    if (store.tryLease(ID, owner, Instant.now().plusSeconds(600))) {
                        int now = holders.incrementAndGet();
                        mostHolders.accumulateAndGet(now, Math::max);
                        acquired.incrementAndGet();
                        perOwner.merge(owner, 1, Integer::sum);
                        Thread.yield();
                        holders.decrementAndGet(); // before the release, or the next holder could overlap
                        store.releaseLease(ID, owner);
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
        // what must hold is exclusivity.
        // Everyone released: a newcomer gets it right away.
        assertTrue(b.tryLease(ID, "newcomer", Instant.now().plusSeconds(60)));
    }
}
