package dev.tokenkeeper.bench.schedule;

import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.rig.MemoryStore;
import dev.tokenkeeper.daemon.config.RefreshPolicy;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.refresh.Backoff;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshPlanner;
import dev.tokenkeeper.daemon.refresh.TokenCache;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Measurement 5b: what it costs {@link RefreshScheduler} to put one credential on the schedule and
 * take it off again ({@code addRemove}), and to move one credential's trigger ({@code replan}, what
 * every committed refresh does), with {@code n} other credentials scheduled. {@code n = 0} is the
 * baseline.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx1g", "-Dtinylog.level=warn"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class TriggerChurnBenchmark {

    /** Credentials already scheduled. */
    @Param({"0", "1000", "10000", "100000"})
    public int n;

    private RefreshScheduler scheduler;
    private StoredCredential extra;
    private StoredCredential moving;
    private StoredCredential movingLater;
    private boolean flip;

    /**
     * Schedules {@code n} credentials (in standby: nothing fires).
     *
     * @throws Exception when Quartz cannot start
     */
    @Setup(Level.Trial)
    public void schedule() throws Exception {
        MemoryStore store = new MemoryStore();
        SecretSealer sealer = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
        RefreshPolicy policy = RefreshPolicy.from(Settings.of(Map.of(), Map.of()));
        SecureRandom random = new SecureRandom();
        RefreshPipeline pipeline = new RefreshPipeline(store, sealer, id -> Optional.empty(),
                new RefreshPlanner(policy, random), new Backoff(policy, random), policy, Clock.systemUTC(), "jmh",
                new TokenCache());
        scheduler = new RefreshScheduler(pipeline, List::of, 4, Duration.ofMinutes(30), false, Duration.ofMillis(200),
                Clock.systemUTC());
        scheduler.start();
        Instant now = Instant.now();
        for (int i = 0; i < n; i++) {
            scheduler.plan(Credentials.gazelle(i, sealer, now, now.plus(Duration.ofDays(30))));
        }
        extra = Credentials.gazelle(n, sealer, now, now.plus(Duration.ofDays(30)));
        moving = Credentials.gazelle(n + 1, sealer, now, now.plus(Duration.ofDays(30)));
        movingLater = Credentials.gazelle(n + 1, sealer, now.plusSeconds(60), now.plus(Duration.ofDays(31)));
        scheduler.plan(moving);
    }

    /** Adds one credential's trigger and removes it. */
    @Benchmark
    public void addRemove() {
        scheduler.plan(extra);
        scheduler.removed(extra.id());
    }

    /** Moves one existing credential's trigger (reschedule). */
    @Benchmark
    public void replan() {
        flip = !flip;
        scheduler.plan(flip ? movingLater : moving);
    }

    /** Stops Quartz. */
    @TearDown(Level.Trial)
    public void stop() {
        scheduler.close();
    }
}
