package com.example.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.contract.TestContext;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the demo provider takes from the api's HTTP kit: the Retry-After rule and the plain-HTTP rule. */
class DemoProviderHttpTest {

    @TempDir
    Path state;

    private final FakeDemo fake = FakeDemo.start(3600);

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void aRateLimitedRefreshWaitsWhatTheUpstreamAsks() throws Exception {
        DemoProvider provider = new DemoProvider();
        provider.configure(new TestContext(fake.settings(), state, Clock.systemUTC()));
        var secret = provider.importSecret(new SecretInput.TokenJson(fake.newChain())).issued().secret();
        fake.rateLimit("120");

        RefreshResult.TransientFailure failure = (RefreshResult.TransientFailure) provider.refresh(secret);

        assertEquals(FailureKind.RATE_LIMITED, failure.kind());
        assertEquals(Optional.of(Duration.ofSeconds(120)), failure.retryAfter());
    }

    @Test
    void plainHttpToAnotherMachineIsRefused() {
        DemoProvider provider = new DemoProvider();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> provider.configure(
                new TestContext(Map.of(DemoProvider.TOKEN_URL, "http://demo.example.com/token"), state, Clock.systemUTC())));

        assertTrue(refused.getMessage().contains(DemoProvider.TOKEN_URL), refused.getMessage());
    }
}
