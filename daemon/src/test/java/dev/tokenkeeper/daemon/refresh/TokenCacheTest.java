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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tokenkeeper.daemon.refresh.ScriptedProvider.secret;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cache of opened credentials (bounded, only moving forward), and the consumers' patience taken from the upstream timeout. */
class TokenCacheTest {

    private static final CredentialId ID = CredentialId.parse("acme:shop");
    private static final Instant AT = Instant.parse("2026-03-01T00:00:00Z");

    private static LiveCredential live(long version, String token) {
        return live(ID, version, token);
    }

    private static LiveCredential live(CredentialId id, long version, String token) {
        StoredCredential row = new StoredCredential(id, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {(byte) version}),
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
    void aReplaceOnlyUpdatesWhatIsCachedAndNeverWithAnOlderVersion() {
        TokenCache cache = new TokenCache();
        cache.replace(live(2, "at-2"));
        assertTrue(cache.get(ID).isEmpty(), "nothing added for a credential not cached");
        cache.put(live(2, "at-2"));
        cache.replace(live(1, "at-1"));
        assertEquals("at-2", cache.get(ID).orElseThrow().presentation().token(), "an older version never replaces");
        cache.replace(live(3, "at-3"));
        assertEquals("at-3", cache.get(ID).orElseThrow().presentation().token());
        assertEquals(1, cache.size());
    }

    @Test
    void anOpenedCredentialShowsItsIdAndVersionNeverItsTokens() {
        LiveCredential live = live(7, "at-secret-7");
        assertEquals("LiveCredential[acme:shop v7, secret hidden]", live.toString());
        assertFalse(live.toString().contains("at-secret-7"));
    }

    @Test
    void neverHoldsMoreThanItsBoundAndDropsTheLeastRecentlyUsedFirst() {
        TokenCache cache = new TokenCache(3);
        assertEquals(3, cache.maxEntries());
        for (int i = 0; i < 3; i++) {
            cache.put(live(CredentialId.parse("acme:c" + i), 1, "at-" + i));
        }
        assertEquals(3, cache.size());
        cache.get(CredentialId.parse("acme:c0"));
        for (int i = 3; i < 50; i++) {
            cache.put(live(CredentialId.parse("acme:c" + i), 1, "at-" + i));
            assertTrue(cache.size() <= 3, "held " + cache.size() + " after " + (i + 1) + " puts");
        }
        assertTrue(cache.get(CredentialId.parse("acme:c49")).isPresent(), "the newest stays");
        assertTrue(cache.get(CredentialId.parse("acme:c3")).isEmpty(), "an old one unused since is dropped");
    }

    @Test
    void aBoundOfOneKeepsTheLastOneAndWithinOneSegmentTheOneReadRecently() {
        TokenCache one = new TokenCache(1);
        one.put(live(CredentialId.parse("acme:a"), 1, "at-a"));
        one.put(live(CredentialId.parse("acme:b"), 1, "at-b"));
        assertEquals(1, one.size());
        assertEquals("at-b", one.get(CredentialId.parse("acme:b")).orElseThrow().presentation().token());

        TokenCache two = new TokenCache(2); // two segments of one entry each, or one of two: either way at most 2
        for (int i = 0; i < 100; i++) {
            two.put(live(CredentialId.parse("acme:n" + i), 1, "at"));
        }
        assertTrue(two.size() <= 2, "never more than two, held " + two.size());
    }

    @Test
    void manyThreadsPuttingAndReadingNeverPassTheBound() throws Exception {
        TokenCache cache = new TokenCache(100);
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger most = new AtomicInteger();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 5_000; i++) {
                        CredentialId id = CredentialId.parse("acme:t" + thread + "-" + (i % 400));
                        cache.put(live(id, i / 400 + 1, "at"));
                        cache.get(id);
                        most.accumulateAndGet(cache.size(), Math::max);
                    }
                }));
            }
            for (Future<?> future : done) {
                future.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(most.get() <= 100, "held at most 100, saw " + most.get());
        assertEquals(100, cache.size(), "full after 1,600 distinct credentials");
    }

    @Test
    void afterInvalidateAllNothingIsHeldAndTheNextPutIsTaken() {
        TokenCache cache = new TokenCache();
        cache.put(live(5, "at-5"));
        cache.invalidateAll();
        assertEquals(0, cache.size());
        assertTrue(cache.get(ID).isEmpty());
        cache.put(live(6, "at-6"));
        assertEquals("at-6", cache.get(ID).orElseThrow().presentation().token());
    }

    @Test
    void aBoundBelowOneIsRefusedNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TokenCache(0));
        assertTrue(e.getMessage().contains(TokenCache.SETTING), e.getMessage());
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
