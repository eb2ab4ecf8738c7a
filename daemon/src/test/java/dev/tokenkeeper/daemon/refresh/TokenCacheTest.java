package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.config.Settings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static dev.tokenkeeper.daemon.refresh.ScriptedProvider.secret;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cache of opened credentials, and the consumers' patience taken from the upstream timeout. */
class TokenCacheTest {

    private static final CredentialId ID = CredentialId.parse("acme:shop");
    private static final Instant AT = Instant.parse("2026-03-01T00:00:00Z");

    private static LiveCredential live(long version, String token) {
        StoredCredential row = new StoredCredential(ID, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {(byte) version}),
                AT, Optional.of(AT.plus(Duration.ofHours(1))), Optional.empty(), version, Optional.of(AT), Optional.empty(), AT);
        return new LiveCredential(row, secret(token, "rt"), new Presentation(token, Map.of()));
    }

    @Test
    void aNewerVersionReplacesTheCachedOneAndAnOlderOneNever() {
        TokenCache cache = new TokenCache();
        assertTrue(cache.get(ID).isEmpty());
        cache.put(live(2, "at-2"));
        cache.put(live(1, "at-1"));
        assertEquals("at-2", cache.get(ID).orElseThrow().presentation().token(), "a late writer of an older version loses");
        cache.put(live(2, "at-2b"));
        assertEquals("at-2b", cache.get(ID).orElseThrow().presentation().token(), "the same version, opened again, wins");
        cache.put(live(3, "at-3"));
        assertEquals("at-3", cache.get(ID).orElseThrow().presentation().token());
        cache.remove(ID);
        assertTrue(cache.get(ID).isEmpty());
    }

    @Test
    void consumersWaitTheUpstreamTimeoutAndASecondAndTheDefaultWhenTheSettingIsBad() {
        assertEquals(Duration.ofSeconds(31), ConsumerPatience.from(Settings.of(Map.of(), Map.of())));
        assertEquals(Duration.ofMillis(3_500), ConsumerPatience.from(Settings.of(
                Map.of(ConsumerPatience.UPSTREAM_TIMEOUT, "2.5"), Map.of())));
        assertEquals(Duration.ofSeconds(31), ConsumerPatience.from(Settings.of(
                Map.of(ConsumerPatience.UPSTREAM_TIMEOUT, "soon"), Map.of())));
    }
}
