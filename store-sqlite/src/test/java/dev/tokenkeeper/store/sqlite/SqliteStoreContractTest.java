package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.api.contract.TokenStoreContract;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.io.TempDir;

/** The {@link TokenStore} contract against real database files; stores in one test share one file. */
class SqliteStoreContractTest extends TokenStoreContract {

    @TempDir
    Path state;

    @Override
    protected TokenStore openStore(Clock clock) {
        SqliteTokenStore store = new SqliteTokenStore();
        store.open(TestContext.of(state, clock));
        return store;
    }
}
