package dev.tokenkeeper.api.contract;

import dev.tokenkeeper.api.TokenStore;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.io.TempDir;

/** The kit against {@link InMemoryTokenStore}: every contract test can pass, and this is all a store's subclass needs. */
class InMemoryStoreContractTest extends TokenStoreContract {

    private final InMemoryTokenStore.Backing backing = new InMemoryTokenStore.Backing();

    @TempDir
    Path state;

    @Override
    protected TokenStore openStore(Clock clock) {
        InMemoryTokenStore store = new InMemoryTokenStore(backing);
        store.open(TestContext.of(state, clock));
        return store;
    }
}
