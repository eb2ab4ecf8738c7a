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
import java.util.Collection;
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
    private List<StoredCredential> rows; // guarded by this
    private long rowsReadAt; // guarded by this

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

    /**
     * Registers every refresh counter (each provider with each outcome), the import counters and the
     * refresh timers at zero, so that a fresh daemon's {@code /metrics} already has every series and
     * {@code increase(...) == 0} alerts see something before the first refresh.
     *
     * @param providers the ids of every provider found
     */
    public void startAtZero(Collection<String> providers) {
        for (String provider : providers) {
            for (RefreshOutcome outcome : RefreshOutcome.values()) {
                if (outcome != RefreshOutcome.IMPORTED) {
                    refreshes(provider, outcome);
                }
            }
            imports(provider);
            duration(provider);
        }
    }

    private Counter refreshes(String provider, RefreshOutcome outcome) {
        return Counter.builder("tokenkeeper.refreshes")
                .description("refresh attempts by provider and outcome")
                .tag("provider", provider)
                .tag("outcome", outcome.wireName())
                .register(registry);
    }

    private Counter imports(String provider) {
        return Counter.builder("tokenkeeper.imports")
                .description("credentials imported, by provider")
                .tag("provider", provider)
                .register(registry);
    }

    private Timer duration(String provider) {
        return Timer.builder("tokenkeeper.refresh.duration")
                .description("time the upstream took to answer a refresh")
                .tag("provider", provider)
                .register(registry);
    }

    @Override
    public void recorded(RefreshEvent event) {
        String provider = event.id().provider();
        if (event.outcome() == RefreshOutcome.IMPORTED) {
            imports(provider).increment();
            return;
        }
        refreshes(provider, event.outcome()).increment();
        if (!event.duration().isZero()) {
            duration(provider).record(event.duration());
        }
    }

    @Override
    public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        // Gauges read the store at scrape time.
    }

    private Map<CredentialStatus, Long> countByStatus() {
        Map<CredentialStatus, Long> counts = new EnumMap<>(CredentialStatus.class);
        for (StoredCredential credential : rows()) {
            counts.merge(credential.status(), 1L, Long::sum);
        }
        return counts;
    }

    /**
     * The stored rows, read at most once a second: every gauge of one scrape shares one store read
     * (each bounded by the store's timeout), so a slow store slows a scrape once, not once per gauge.
     */
    private List<StoredCredential> rows() {
        synchronized (this) {
            long now = System.nanoTime();
            if (rows == null || now - rowsReadAt > 1_000_000_000L) {
                try {
                    rows = List.copyOf(credentials.get());
                } catch (RuntimeException storeDown) {
                    // A scrape must not fail because the store is unreachable: the last rows read stand.
                    rows = rows == null ? List.of() : rows;
                }
                rowsReadAt = System.nanoTime(); // after the read, which may have taken the store's timeout
            }
            return rows;
        }
    }

    private double secondsUntilNearestExpiry() {
        try {
            Instant now = clock.instant();
            return rows().stream()
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
