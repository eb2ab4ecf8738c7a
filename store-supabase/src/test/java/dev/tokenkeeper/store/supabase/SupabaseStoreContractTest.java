package dev.tokenkeeper.store.supabase;

import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.api.contract.TokenStoreContract;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link TokenStore} contract against {@link FakePostgrest}; stores in one test share one
 * project, like daemons on two machines.
 */
class SupabaseStoreContractTest extends TokenStoreContract {

    @TempDir
    Path state;

    private final FakePostgrest supabase = FakePostgrest.start();

    // Runs before the kit closes the stores; that is fine, as closing a Supabase store sends nothing.
    @AfterEach
    void stopSupabase() {
        supabase.close();
    }

    @Override
    protected TokenStore openStore(Clock clock) {
        SupabaseTokenStore store = new SupabaseTokenStore();
        store.open(new TestContext(supabase.settings(), state, clock));
        return store;
    }
}
