package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.contract.TestContext;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The PostgreSQL stores a test opens on the class's server, each closed after the test; and the
 * plain credential row the change tests write.
 */
final class OpenedStores implements AfterEachCallback {

    private final PostgresServer server;
    private final List<PostgresTokenStore> opened = new ArrayList<>();

    OpenedStores(PostgresServer server) {
        this.server = server;
    }

    /** Opens a store on the server's schema {@code schema}, with a short upstream timeout. */
    PostgresTokenStore open(String schema, Path state) {
        PostgresTokenStore store = new PostgresTokenStore();
        store.open(new TestContext(server.settings(schema), state, Clock.systemUTC())
                .with("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "5"));
        return closeAfter(store);
    }

    /** Closes {@code store}, opened by the test itself, after the test. */
    PostgresTokenStore closeAfter(PostgresTokenStore store) {
        opened.add(store);
        return store;
    }

    /** An active credential at {@code version} with a two-byte sealed secret, valid for a minute. */
    static StoredCredential credential(String id, long version) {
        Instant now = Instant.now();
        return new StoredCredential(CredentialId.parse(id), CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {1, 2}),
                now, Optional.of(now.plusSeconds(60)), Optional.empty(), version, Optional.of(now), Optional.empty(), now);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        opened.forEach(PostgresTokenStore::close);
        opened.clear();
    }
}
