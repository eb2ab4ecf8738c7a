package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.contract.TokenProviderContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** The provider contract kit against {@link FakeVinted}. */
class VintedProviderContractTest extends TokenProviderContract {

    @TempDir
    Path state;

    // Real time: the fake and the provider must agree on "now" across threads. The anti-bot wall and
    // the provider's budget sit above what the kit sends (8 sessions, 3 rounds, a few calls each).
    private final FakeVinted fake = FakeVinted.builder().clock(Clock.systemUTC())
            .accessTokenLifetime(Duration.ofHours(2)).burstLimit(10_000, Duration.ofMinutes(5)).start();

    @AfterEach
    void stop() {
        fake.close();
    }

    @Override
    protected TokenProvider provider() {
        VintedProvider provider = new VintedProvider();
        provider.configure(VintedContexts.forFake(fake, Clock.systemUTC(), state,
                "VINTED_MAX_REQUESTS_PER_5_MIN", "10000", "TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "5"));
        return provider;
    }

    @Override
    protected Upstream upstream() {
        return new Upstream() {
            @Override
            public SecretInput newCredential() {
                return new SecretInput.CookieHeader(fake.newSession());
            }

            @Override
            public void stop() {
                fake.close();
            }
        };
    }
}
