package dev.tokenkeeper.provider.vinted;

import dev.tokenkeeper.api.contract.TestContext;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/** Plugin contexts that point the Vinted provider at a local server (api's {@link TestContext}). */
public final class VintedContexts {

    private VintedContexts() {
    }

    /**
     * A context pointing the Vinted provider at a fake.
     *
     * @param fake      the fake Vinted
     * @param clock     the clock
     * @param state     the state folder
     * @param overrides more settings, as name, value, name, value, ...
     * @return the context
     */
    public static TestContext forFake(FakeVinted fake, Clock clock, Path state, String... overrides) {
        return forServer(fake.baseUrl(), clock, state, overrides);
    }

    /**
     * A context pointing the Vinted provider at any local server.
     *
     * @param baseUrl   the server's base URL
     * @param clock     the clock
     * @param state     the state folder
     * @param overrides more settings, as name, value, name, value, ...
     * @return the context
     */
    public static TestContext forServer(String baseUrl, Clock clock, Path state, String... overrides) {
        Map<String, String> settings = new HashMap<>();
        settings.put("VINTED_BASE_URL", baseUrl);
        settings.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "5");
        for (int i = 0; i + 1 < overrides.length; i += 2) {
            settings.put(overrides[i], overrides[i + 1]);
        }
        return new TestContext(settings, state, clock);
    }
}
