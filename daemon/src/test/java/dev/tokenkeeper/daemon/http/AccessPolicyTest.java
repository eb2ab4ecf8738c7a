package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.daemon.config.ListenAddress;
import dev.tokenkeeper.daemon.config.Settings;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessPolicyTest {

    private static AccessPolicy policy(Map<String, String> env, String listen) {
        return AccessPolicy.from(Settings.of(env, Map.of()), ListenAddress.parse(listen));
    }

    @Test
    void onLoopbackOnlyLoopbackNamesAndConfiguredNamesPass() {
        AccessPolicy strict = policy(Map.of(), "127.0.0.1:8787");
        for (String ok : new String[] {"127.0.0.1:8787", "localhost:8787", "LOCALHOST", "[::1]:8787", "127.0.0.1"}) {
            assertTrue(strict.refuseHost(ok).isEmpty(), ok);
        }
        for (String foreign : new String[] {"evil.example:8787", "evil.example", "127.0.0.1.evil.example:8787",
                "tokenkeeper.internal", "[::2]:8787"}) {
            assertTrue(strict.refuseHost(foreign).orElseThrow().contains("TOKENKEEPER_ALLOWED_HOSTS"), foreign);
        }
        AccessPolicy named = policy(Map.of("TOKENKEEPER_ALLOWED_HOSTS", " tokenkeeper.internal , other "), "127.0.0.1:8787");
        assertTrue(named.refuseHost("tokenkeeper.internal:8787").isEmpty());
        assertTrue(named.refuseHost("Other").isEmpty());
        assertTrue(named.refuseHost("evil.example").isPresent());
    }

    @Test
    void aRemoteListenerChecksNoHostAndMetricsArePrivateByDefault() {
        assertTrue(policy(Map.of(), "0.0.0.0:8787").refuseHost("any.name").isEmpty());
        assertFalse(policy(Map.of(), "127.0.0.1:8787").metricsPublic());
        assertTrue(policy(Map.of("TOKENKEEPER_METRICS_PUBLIC", "true"), "127.0.0.1:8787").metricsPublic());
    }
}
