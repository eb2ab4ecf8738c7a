package dev.tokenkeeper.bench.schedule;

import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.report.Samples;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.rig.InProcessDaemon;
import dev.tokenkeeper.bench.rig.MemoryStore;
import dev.tokenkeeper.bench.upstream.InstantUpstream;
import dev.tokenkeeper.daemon.assembly.Assembly;
import dev.tokenkeeper.daemon.assembly.Inputs;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Measurement 5: with {@code n} credentials planned by the scheduler of the daemon's own assembly,
 * built in process on an in-memory store (the store's cost taken out), how late do due
 * refreshes fire (first upstream call minus planned time), and what does adding/removing or moving
 * one trigger cost (JMH, {@link TriggerChurnBenchmark}). The empty scheduler is the baseline.
 */
public final class SchedulingPrecision {

    private static final int FIRING = 200;

    private SchedulingPrecision() {
    }

    /**
     * @param table where the figures go
     * @param work  scratch folder
     * @param sizes the n values
     * @param runs  firing batches per n
     * @throws Exception when the rig fails
     */
    public static void run(ResultTable table, Path work, List<Integer> sizes, int runs) throws Exception {
        Map<Integer, Double> p99 = new HashMap<>();
        for (int n : sizes) {
            try (InstantUpstream upstream = InstantUpstream.start(Duration.ZERO, 3600)) {
                MemoryStore store = new MemoryStore();
                try (Assembly daemon = InProcessDaemon.build(work.resolve("schedule-" + n), upstream.tokenUrl(),
                        Map.of("TOKENKEEPER_REFRESH_JITTER_SECONDS", "0", "TOKENKEEPER_STORE", store.id()),
                        Inputs.found().store(store))) {
                    Instant now = Instant.now();
                    Credentials.insert(store, n, i -> Credentials.gazelle(i, daemon.sealer(), now, now.plus(Duration.ofDays(30))));
                    long t0 = System.nanoTime();
                    daemon.start();
                    double planSeconds = (System.nanoTime() - t0) / 1e9;
                    RefreshScheduler scheduler = daemon.scheduler();
                    List<Double> lateP99 = new ArrayList<>();
                    List<Double> lateMax = new ArrayList<>();
                    for (int r = 0; r < runs; r++) {
                        upstream.reset();
                        Map<String, Long> planned = new HashMap<>();
                        Instant base = Instant.now();
                        for (int k = 0; k < FIRING; k++) {
                            int index = n + r * FIRING + k;
                            Instant due = base.plusMillis(2000 + (3000L * k) / FIRING);
                            StoredCredential c = Credentials.gazelle(index, daemon.sealer(), base.minus(Duration.ofMinutes(5)),
                                    due.plusSeconds(60));
                            daemon.store().insert(c);
                            planned.put(Credentials.refreshKey(index), daemon.pipeline().plan(c).toEpochMilli());
                            scheduler.plan(c);
                        }
                        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                        while (upstream.firstArrivalMillis().size() < FIRING && System.nanoTime() < deadline) {
                            Thread.sleep(50);
                        }
                        long[] late = planned.entrySet().stream()
                                .mapToLong(e -> upstream.firstArrivalMillis().getOrDefault(e.getKey(), Long.MAX_VALUE / 2)
                                        - e.getValue()).sorted().toArray();
                        lateP99.add(Samples.percentile(late, 0.99));
                        lateMax.add((double) late[late.length - 1]);
                    }
                    double median = Samples.median(lateP99);
                    p99.put(n, median);
                    System.out.printf("    [5] n=%,d: daemon start %.1f s, firing lateness p99 per run %s ms%n", n,
                            planSeconds, lateP99);
                    table.add(new ResultTable.Row("5", String.format("refresh fire lateness p99 (max), n = %,d scheduled", n),
                            ResultTable.fmt(median) + " ms (" + ResultTable.fmt(Samples.median(lateMax)) + ")",
                            p99.containsKey(sizes.get(0)) && n != sizes.get(0)
                                    ? "n = " + sizes.get(0) + ": " + ResultTable.fmt(p99.get(sizes.get(0))) + " ms" : "",
                            n != sizes.get(0) ? ResultTable.fmt(median / Math.max(1, p99.get(sizes.get(0)))) : "",
                            ResultTable.goal(median <= 1000, "p99 ≤ 1,000 ms")
                                    + String.format("; start-up (planning included) took %.1f s", planSeconds)));
                }
            }
        }
    }

    /**
     * Runs {@link TriggerChurnBenchmark} with JMH (one fork) and adds its rows.
     *
     * @param table where the figures go
     * @throws Exception when JMH fails
     */
    public static void churn(ResultTable table) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(TriggerChurnBenchmark.class.getName())
                // JMH's fork names only the class path; the bench runs on the module path.
                .jvmArgsPrepend("--module-path", System.getProperty("jdk.module.path"), "--add-modules", "ALL-MODULE-PATH")
                .verbosity(VerboseMode.SILENT)
                .shouldFailOnError(true)
                .build()).run();
        Map<String, Map<Integer, Double>> byBenchmark = new TreeMap<>();
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.') + 1);
            int n = Integer.parseInt(result.getParams().getParam("n"));
            double median = result.getPrimaryResult().getStatistics().getPercentile(50);
            byBenchmark.computeIfAbsent(name, k -> new TreeMap<>()).put(n, median);
        }
        byBenchmark.forEach((name, byN) -> {
            double base = byN.getOrDefault(0, Double.NaN);
            byN.forEach((n, micros) -> {
                System.out.printf("    [5] %s n=%,d: %.2f µs/op%n", name, n, micros);
                if (n == 0) {
                    return;
                }
                table.add(new ResultTable.Row("5", String.format("%s one trigger, n = %,d scheduled (JMH)",
                        name.equals("addRemove") ? "add + remove" : "re-plan", n),
                        ResultTable.fmt(micros) + " µs/op", "n = 0: " + ResultTable.fmt(base) + " µs/op",
                        ResultTable.fmt(micros / base), "O(log n) or flat: ratio should stay near 1"));
            });
        });
    }
}
