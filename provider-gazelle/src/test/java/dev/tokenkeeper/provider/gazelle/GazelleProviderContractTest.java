package dev.tokenkeeper.provider.gazelle;

import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.contract.TokenProviderContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/** The provider contract kit against {@link FakeGazelle}. */
class GazelleProviderContractTest extends TokenProviderContract {

    @TempDir
    Path state;

    private final FakeGazelle gazelle = FakeGazelle.start();
    private final AtomicInteger accounts = new AtomicInteger();

    @AfterEach
    void stop() {
        gazelle.close();
    }

    @Override
    protected TokenProvider provider() {
        GazelleProvider provider = new GazelleProvider();
        provider.configure(TestContext.of(gazelle.settings(), state).with("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "5"));
        return provider;
    }

    @Override
    protected Upstream upstream() {
        return new Upstream() {
            @Override
            public SecretInput newCredential() {
                return new SecretInput.TokenJson(gazelle.seedChain("account-" + accounts.incrementAndGet()));
            }

            @Override
            public void stop() {
                gazelle.close();
            }
        };
    }
}
