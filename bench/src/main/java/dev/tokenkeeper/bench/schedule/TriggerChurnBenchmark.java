package dev.tokenkeeper.bench.schedule;

import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.rig.InProcessDaemon;
import dev.tokenkeeper.bench.rig.MemoryStore;
import dev.tokenkeeper.daemon.assembly.Assembly;
import dev.tokenkeeper.daemon.assembly.Inputs;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
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

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Measurement 5b: what it costs {@link RefreshScheduler} to put one credential on the schedule and
 * take it off again ({@code addRemove}), and to move one credential's trigger ({@code replan}, what
 * every committed refresh does), with {@code n} other credentials scheduled. {@code n = 0} is the
 * baseline. The scheduler is the one the daemon's own assembly builds, automatic refresh off.
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

    private Path folder;
    private Assembly daemon;
    private RefreshScheduler scheduler;
    private StoredCredential extra;
    private StoredCredential moving;
    private StoredCredential movingLater;
    private boolean flip;

    /**
     * Starts the daemon's parts on an empty in-memory store and schedules {@code n} credentials
     * (automatic refresh off: nothing fires).
     *
     * @throws IOException when the state folder cannot be written
     */
    @Setup(Level.Trial)
    public void schedule() throws IOException {
        folder = Files.createTempDirectory("tokenkeeper-churn");
        MemoryStore store = new MemoryStore();
        // Nothing is refreshed: the provider's upstream is never called.
        daemon = InProcessDaemon.build(folder.resolve("state"), URI.create("http://127.0.0.1:9/token"),
                Map.of("TOKENKEEPER_STORE", store.id(), "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"),
                Inputs.found().store(store)).start();
        scheduler = daemon.scheduler();
        SecretSealer sealer = daemon.sealer();
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

    /**
     * Stops the daemon's parts and deletes its folder.
     *
     * @throws IOException when the folder cannot be listed
     */
    @TearDown(Level.Trial)
    public void stop() throws IOException {
        daemon.close();
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
