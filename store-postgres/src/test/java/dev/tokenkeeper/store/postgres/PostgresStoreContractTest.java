package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.api.contract.TokenStoreContract;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link TokenStore} contract against a real PostgreSQL 15; each test gets a schema of its
 * own (empty storage), and stores opened in one test share it, like daemons on several machines.
 */
class PostgresStoreContractTest extends TokenStoreContract {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @TempDir
    Path state;

    private String schema;

    @BeforeEach
    void freshSchema() {
        schema = PostgresServer.freshSchema();
    }

    @Override
    protected TokenStore openStore(Clock clock) {
        PostgresTokenStore store = new PostgresTokenStore();
        store.open(new TestContext(POSTGRES.settings(schema), state, clock));
        return store;
    }
}
