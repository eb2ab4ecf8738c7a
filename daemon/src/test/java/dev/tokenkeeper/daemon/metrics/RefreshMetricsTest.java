package dev.tokenkeeper.daemon.metrics;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.api.store.Tally;
import dev.tokenkeeper.daemon.refresh.CredentialPages;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gauges {@code tokenkeeper.credentials{status}} and {@code tokenkeeper.nearest.expiry}: from the
 * store's {@link Tally} when it offers one (one query a scrape, no row read), else from a walk of
 * every row (issue 26: that walk took minutes at a million rows). On a real SQLite store.
 */
class RefreshMetricsTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(T0);
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private TokenStore store;

    @BeforeEach
    void openStoreWithTwoCredentials() {
        store = EmbeddedStore.found();
        store.open(TestContext.of(state, clock));
        store.insert(credential("gazelle:a", CredentialStatus.ACTIVE, T0.plusSeconds(90)));
        store.insert(credential("vinted:b", CredentialStatus.ERROR, T0.plusSeconds(5)));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void theGaugesComeFromTheStoresTallyOnceAScrapeWithoutWalkingTheRows() {
        AtomicInteger tallies = new AtomicInteger();
        Tally tally = () -> {
            tallies.incrementAndGet();
            return new Tally.Counts(Map.of(CredentialStatus.ACTIVE, 7L, CredentialStatus.EXPIRED, 2L),
                    Optional.of(T0.plusSeconds(30)));
        };
        new RefreshMetrics(registry, new CredentialPages(store, 1), Optional.of(tally), clock);

        assertEquals(7.0, credentials("active"), "the tally's count, not the two rows in the store");
        assertEquals(2.0, credentials("expired"));
        assertEquals(0.0, credentials("error"), "a status the tally does not name has none");
        assertEquals(30.0, nearestExpiry());
        assertEquals(1, tallies.get(), "the gauges of one scrape share one tally");
    }

    @Test
    void withoutATallyTheGaugesWalkEveryRow() {
        new RefreshMetrics(registry, new CredentialPages(store, 1), Optional.empty(), clock);

        assertEquals(1.0, credentials("active"));
        assertEquals(1.0, credentials("error"));
        assertEquals(0.0, credentials("expired"));
        assertEquals(90.0, nearestExpiry(), "an active credential's expiry; the error one's sooner one does not count");
    }

    @Test
    void aTallyWithNoActiveExpiryLeavesTheNearestExpiryUnknown() {
        new RefreshMetrics(registry, new CredentialPages(store, 1),
                Optional.of(() -> new Tally.Counts(Map.of(CredentialStatus.ERROR, 1L), Optional.empty())), clock);

        assertEquals(Double.NaN, nearestExpiry());
        assertEquals(0.0, credentials("active"));
    }

    private double credentials(String status) {
        return registry.get("tokenkeeper.credentials").tag("status", status).gauge().value();
    }

    private double nearestExpiry() {
        return registry.get("tokenkeeper.nearest.expiry").gauge().value();
    }

    private static StoredCredential credential(String id, CredentialStatus status, Instant expiry) {
        return new StoredCredential(CredentialId.parse(id), status, SealedSecret.of(new byte[] {1}), T0,
                Optional.of(expiry), Optional.empty(), 1, Optional.empty(), Optional.empty(), T0);
    }
}
