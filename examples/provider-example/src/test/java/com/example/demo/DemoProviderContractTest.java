package com.example.demo;

import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.api.contract.TokenProviderContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/** tokenkeeper's provider contract kit, run against the demo imitation. */
class DemoProviderContractTest extends TokenProviderContract {

    @TempDir
    Path state;

    private final FakeDemo fake = FakeDemo.start(3600);

    @AfterEach
    void stop() {
        fake.close();
    }

    @Override
    protected TokenProvider provider() {
        DemoProvider provider = new DemoProvider();
        provider.configure(new TestContext(fake.settings(), state, Clock.systemUTC()));
        return provider;
    }

    @Override
    protected Upstream upstream() {
        return new Upstream() {
            @Override
            public SecretInput newCredential() {
                return new SecretInput.TokenJson(fake.newChain());
            }

            @Override
            public void stop() {
                fake.close();
            }
        };
    }

    @Override
    protected List<SecretInput> malformedInputs() {
        return List.of(new SecretInput.TokenJson("{\"access_token\": \"only-half-of-it\"}"));
    }
}
