package dev.tokenkeeper.daemon.metrics;

import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.refresh.RefreshListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The daemon's Prometheus metrics: refreshes by provider and outcome, refresh latency, credentials
 * by status, seconds until the nearest expiry, and JVM basics. Labels carry provider ids and
 * outcomes only: no account names, no secrets.
 */
public final class RefreshMetrics implements RefreshListener {

    private final MeterRegistry registry;
    private final Supplier<List<StoredCredential>> credentials;
    private final Clock clock;

    /**
     * @param registry    where meters live
     * @param credentials reads every stored credential (at scrape time)
     * @param clock       the time
     */
    public RefreshMetrics(MeterRegistry registry, Supplier<List<StoredCredential>> credentials, Clock clock) {
        this.registry = registry;
        this.credentials = credentials;
        this.clock = clock;
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        for (CredentialStatus status : CredentialStatus.values()) {
            Gauge.builder("tokenkeeper.credentials", () -> countByStatus().getOrDefault(status, 0L))
                    .description("credentials by status")
                    .tag("status", status.wireName())
                    .register(registry);
        }
        Gauge.builder("tokenkeeper.nearest.expiry", this::secondsUntilNearestExpiry)
                .description("seconds until the nearest access-token expiry of an active credential")
                .baseUnit("seconds")
                .register(registry);
    }

    @Override
    public void recorded(RefreshEvent event) {
        String provider = event.id().provider();
        if (event.outcome() == RefreshOutcome.IMPORTED) {
            Counter.builder("tokenkeeper.imports").tag("provider", provider).register(registry).increment();
            return;
        }
        Counter.builder("tokenkeeper.refreshes")
                .description("refresh attempts by provider and outcome")
                .tag("provider", provider)
                .tag("outcome", event.outcome().wireName())
                .register(registry)
                .increment();
        if (!event.duration().isZero()) {
            Timer.builder("tokenkeeper.refresh.duration")
                    .description("time the upstream took to answer a refresh")
                    .tag("provider", provider)
                    .register(registry)
                    .record(event.duration());
        }
    }

    @Override
    public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        // Gauges read the store at scrape time.
    }

    private Map<CredentialStatus, Long> countByStatus() {
        Map<CredentialStatus, Long> counts = new EnumMap<>(CredentialStatus.class);
        try {
            for (StoredCredential credential : credentials.get()) {
                counts.merge(credential.status(), 1L, Long::sum);
            }
        } catch (RuntimeException storeDown) {
            // A scrape must not fail because the store is unreachable.
        }
        return counts;
    }

    private double secondsUntilNearestExpiry() {
        try {
            Instant now = clock.instant();
            return credentials.get().stream()
                    .filter(c -> c.status() == CredentialStatus.ACTIVE)
                    .flatMap(c -> c.accessExpiresAt().stream())
                    .map(expiry -> Duration.between(now, expiry).toMillis() / 1000.0)
                    .min(Double::compare)
                    .orElse(Double.NaN);
        } catch (RuntimeException storeDown) {
            return Double.NaN;
        }
    }
}
