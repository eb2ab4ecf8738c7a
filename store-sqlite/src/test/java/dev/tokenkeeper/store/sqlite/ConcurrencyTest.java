package dev.tokenkeeper.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.contract.Credentials;
import dev.tokenkeeper.api.contract.TestContext;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several store instances on one new file standing in for daemons started together; racing writers
 * and leases between instances are in the shared contract ({@link SqliteStoreContractTest}).
 */
@Timeout(60)
class ConcurrencyTest {

    private static final CredentialId ID = CredentialId.parse("gazelle:default");

    @TempDir
    Path state;

    private final List<SqliteTokenStore> stores = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        stores.forEach(SqliteTokenStore::close);
    }

    @Test
    void manyRoundsOfDaemonsStartingTogetherOnANewFileAllOpenIt() throws Exception {
        // Once in a loaded CI run, one of four openers got SQLITE_BUSY at once from the switch to WAL
        // (SQLite refuses a read-to-exclusive upgrade that could deadlock instead of waiting).
        for (int round = 0; round < 40; round++) {
            Path folder = state.resolve("round-" + round);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<SqliteTokenStore>> opening = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                opening.add(pool.submit(() -> {
                    start.await();
                    SqliteTokenStore store = new SqliteTokenStore();
                    store.open(TestContext.of(folder, Clock.systemUTC()));
                    return store;
                }));
            }
            start.countDown();
            for (Future<SqliteTokenStore> future : opening) {
                stores.add(future.get(30, TimeUnit.SECONDS));
            }
            assertEquals(Schema.CURRENT_VERSION, SchemaTest.userVersion(folder.resolve("tokenkeeper.db")));
        }
    }

    @Test
    void daemonsStartingTogetherOnANewFileAllOpenIt() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<SqliteTokenStore>> opening = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            opening.add(pool.submit(() -> {
                start.await();
                SqliteTokenStore store = new SqliteTokenStore();
                store.open(TestContext.of(state, Clock.systemUTC()));
                return store;
            }));
        }
        start.countDown();
        for (Future<SqliteTokenStore> future : opening) {
            stores.add(future.get(30, TimeUnit.SECONDS));
        }

        assertTrue(stores.get(0).insert(Credentials.minimal(ID.toString(), (byte) 1)));
        for (SqliteTokenStore store : stores) {
            assertEquals(1, store.list().size());
            assertFalse(store.insert(Credentials.minimal(ID.toString(), (byte) 2)));
        }
        assertEquals(Schema.CURRENT_VERSION, SchemaTest.userVersion(state.resolve("tokenkeeper.db")));
    }
}
