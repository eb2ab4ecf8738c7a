package dev.tokenkeeper.daemon.metrics;

import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.store.Tally;
import dev.tokenkeeper.daemon.refresh.CredentialPages;
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
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The daemon's Prometheus metrics: refreshes by provider and outcome, refresh latency, credentials
 * by status, seconds until the nearest expiry, and JVM basics. Labels carry provider ids and
 * outcomes only: no account names, no secrets.
 */
public final class RefreshMetrics implements RefreshListener {

    private final MeterRegistry registry;
    private final CredentialPages credentials;
    private final Optional<Tally> tally;
    private final Clock clock;
    // Found once per provider: registering again per refresh built a meter id (tags sorted and merged) each time,
    // a tenth of a daemon's allocation in a due storm.
    private final Map<String, ProviderMeters> meters = new ConcurrentHashMap<>();
    private Tally.Counts summary; // guarded by this
    private long summaryReadAt; // guarded by this

    /**
     * @param registry    where meters live
     * @param credentials walks every stored credential, a page at a time (at scrape time), when the
     *                    store offers no tally
     * @param tally       the store's counts, one query a scrape; empty to walk {@code credentials}
     * @param clock       the time
     */
    public RefreshMetrics(MeterRegistry registry, CredentialPages credentials, Optional<Tally> tally, Clock clock) {
        this.registry = registry;
        this.credentials = credentials;
        this.tally = tally;
        this.clock = clock;
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        for (CredentialStatus status : CredentialStatus.values()) {
            Gauge.builder("tokenkeeper.credentials", () -> summary().count(status))
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
        providers.forEach(this::of);
    }

    private ProviderMeters of(String provider) {
        return meters.computeIfAbsent(provider, this::register);
    }

    private ProviderMeters register(String provider) {
        Map<RefreshOutcome, Counter> refreshes = new EnumMap<>(RefreshOutcome.class);
        for (RefreshOutcome outcome : RefreshOutcome.values()) {
            if (outcome != RefreshOutcome.IMPORTED) {
                refreshes.put(outcome, refreshes(provider, outcome));
            }
        }
        return new ProviderMeters(refreshes, imports(provider), duration(provider));
    }

    /** One provider's meters. */
    private record ProviderMeters(Map<RefreshOutcome, Counter> refreshes, Counter imports, Timer duration) {
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
        ProviderMeters provider = of(event.id().provider());
        if (event.outcome() == RefreshOutcome.IMPORTED) {
            provider.imports().increment();
            return;
        }
        provider.refreshes().get(event.outcome()).increment();
        if (!event.duration().isZero()) {
            provider.duration().record(event.duration());
        }
    }

    @Override
    public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        // Gauges read the store at scrape time.
    }

    /**
     * The stored rows summed up, read at most once a second: every gauge of one scrape shares one read
     * of the store, so a slow store slows a scrape once, not once per gauge. With the store's
     * {@link Tally} that read is one query, bounded by the store's statement timeout (issue 26: a walk
     * of a million rows on PostgreSQL took minutes); without it, a walk that holds one page at a time,
     * never the table, each page bounded by the store's timeout.
     */
    private Tally.Counts summary() {
        synchronized (this) {
            long now = System.nanoTime();
            if (summary == null || now - summaryReadAt > 1_000_000_000L) {
                try {
                    summary = tally.isPresent() ? tally.get().tally() : walk();
                } catch (RuntimeException storeDown) {
                    // A scrape must not fail because the store is unreachable: the last summary stands.
                    summary = summary == null ? new Tally.Counts(Map.of(), Optional.empty()) : summary;
                }
                summaryReadAt = System.nanoTime(); // after the read, which may have taken the store's timeouts
            }
            return summary;
        }
    }

    /** @return the counts of a walk of every stored credential, for a store that offers no {@link Tally} */
    private Tally.Counts walk() {
        Map<CredentialStatus, Long> counts = new EnumMap<>(CredentialStatus.class);
        List<Instant> nearest = new ArrayList<>(1);
        credentials.forEach(credential -> {
            counts.merge(credential.status(), 1L, Long::sum);
            credential.accessExpiresAt().filter(expiry -> credential.status() == CredentialStatus.ACTIVE)
                    .filter(expiry -> nearest.isEmpty() || expiry.isBefore(nearest.get(0)))
                    .ifPresent(expiry -> {
                        nearest.clear();
                        nearest.add(expiry);
                    });
        });
        return new Tally.Counts(counts, nearest.stream().findFirst());
    }

    private double secondsUntilNearestExpiry() {
        Instant now = clock.instant();
        return summary().soonestExpiry()
                .map(expiry -> Duration.between(now, expiry).toMillis() / 1000.0)
                .orElse(Double.NaN);
    }
}
