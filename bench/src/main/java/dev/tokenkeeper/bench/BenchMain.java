package dev.tokenkeeper.bench;

import dev.tokenkeeper.bench.console.ConsoleCost;
import dev.tokenkeeper.bench.pipeline.PipelineOverhead;
import dev.tokenkeeper.bench.reads.TokenReads;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.rig.BenchLogging;
import dev.tokenkeeper.bench.scale.ScaleMeasurement;
import dev.tokenkeeper.bench.scale.ScaleSettings;
import dev.tokenkeeper.bench.schedule.SchedulingPrecision;
import dev.tokenkeeper.bench.startup.StartupSize;
import dev.tokenkeeper.bench.queue.DueQueueLimit;
import dev.tokenkeeper.bench.stores.PostgresCluster;
import dev.tokenkeeper.bench.stores.PostgresVersusSqlite;
import dev.tokenkeeper.bench.storm.RefreshStorm;
import dev.tokenkeeper.daemon.assembly.CommonPool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs every tokenkeeper benchmark and prints one table. System properties: {@code n} (credentials
 * for measurements 1 and 4, default 10,000), {@code runs} (measured runs per figure, default 3),
 * {@code threads} (pipeline workers, default 8), {@code only} (e.g. {@code 1,3}),
 * {@code tokenkeeper.dist} (the assembled distribution, default {@code dist/target/tokenkeeper}),
 * {@code tokenkeeper.beforeDist} (an earlier distribution that measurement 3 starts too, in the same run).
 * Measurement 10 (several daemons on one PostgreSQL, issue 26) runs only when asked for
 * ({@code -Donly=10}); its sizes are {@code scale.*} properties ({@link ScaleSettings}).
 */
public final class BenchMain {

    /** How to run the bench: its module from the module path {@code bench/target/lib} the build fills. */
    public static final String COMMAND = "-p bench/target/lib --add-modules ALL-MODULE-PATH -m dev.tokenkeeper.bench";

    private BenchMain() {
    }

    /**
     * @param args ignored
     * @throws Exception when a benchmark cannot run
     */
    public static void main(String[] args) throws Exception {
        // The in-process rigs call upstreams as the daemon does: with the daemon's common pool.
        CommonPool.atLeastTwo();
        int n = Integer.getInteger("n", 10_000);
        int runs = Integer.getInteger("runs", 3);
        int threads = Integer.getInteger("threads", 8);
        Set<String> only = Stream.of(System.getProperty("only", "1,2,3,4,5,6,7,8,9").split(","))
                .map(String::trim).collect(Collectors.toSet());
        Path work = Files.createTempDirectory("tokenkeeper-bench");
        BenchLogging.toFile(work.resolve("in-process-daemon.log"));
        ResultTable table = new ResultTable();
        long started = System.nanoTime();
        System.out.println("tokenkeeper benchmarks: n=" + n + ", runs=" + runs + ", cores="
                + Runtime.getRuntime().availableProcessors() + ", java " + System.getProperty("java.version")
                + ", scratch " + work);
        try {
            if (only.contains("1")) {
                section("1. refresh pipeline vs bare HTTP loop");
                PipelineOverhead.run(table, work, n, threads, runs, "FULL");
                PipelineOverhead.run(table, work, n, threads, runs, "NORMAL");
            }
            Path distribution = Path.of(System.getProperty("tokenkeeper.dist", "dist/target/tokenkeeper")).toAbsolutePath();
            boolean haveDist = Files.isExecutable(distribution.resolve("bin/tokenkeeper"));
            if ((only.contains("2") || only.contains("3") || only.contains("7")) && !haveDist) {
                System.out.println("skipping 2, 3 and 7: no distribution at " + distribution
                        + "; build it with ./mvnw -q package -DskipTests (or pass -Dtokenkeeper.dist=DIR)");
            }
            TokenReads reads = new TokenReads(table, work, distribution, 64, Integer.getInteger("seconds", 4), runs);
            if (only.contains("2") && haveDist) {
                section("2. token reads vs /healthz, real daemon, 64 connections");
                reads.versusHealth();
            }
            if (only.contains("3") && haveDist) {
                section("3. start-up time and resident memory");
                Path jar = Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                Optional<Path> before = Optional.ofNullable(System.getProperty("tokenkeeper.beforeDist"))
                        .map(d -> Path.of(d).toAbsolutePath());
                StartupSize.run(table, work, distribution, before, jar, Integer.getInteger("stored", 100_000), runs);
            }
            if (only.contains("8") && haveDist) {
                section("8. token reads: consumer token vs admin token, real daemon, 64 connections");
                reads.consumerVersusAdmin();
            }
            if (only.contains("7") && haveDist) {
                section("7. web console: RSS before/after every page, /ui/ latency vs /healthz");
                ConsoleCost.run(table, work, distribution, Integer.getInteger("consoleCredentials", 20), 8,
                        Integer.getInteger("seconds", 4), runs);
            }
            if (only.contains("4")) {
                section("4. refresh storm");
                RefreshStorm.run(table, work, n, Integer.getInteger("rate", 400), Duration.ofMillis(10));
            }
            if (only.contains("6")) {
                section("6. refresh pipeline on PostgreSQL next to SQLite");
                if (PostgresCluster.installed()) {
                    PostgresVersusSqlite.run(table, work, n, threads, runs);
                } else {
                    System.out.println("skipping 6: PostgreSQL 15 is not installed (apt-get install -y postgresql)");
                }
            }
            if (only.contains("9")) {
                section("9. the due queue on PostgreSQL: bare claim-and-commit loop (the database's limit here)");
                if (PostgresCluster.installed()) {
                    DueQueueLimit.run(table, Integer.getInteger("dueRows", 100_000), threads, runs);
                } else {
                    System.out.println("skipping 9: PostgreSQL 15 is not installed (apt-get install -y postgresql)");
                }
            }
            if (only.contains("10")) {
                section("10. scale: several daemons on one PostgreSQL (start-up and memory by size, due storm, kill -9, cold reads)");
                if (!PostgresCluster.installed() || !haveDist) {
                    System.out.println("skipping 10: it needs PostgreSQL 15 (apt-get install -y postgresql) and the distribution at "
                            + distribution);
                } else {
                    ScaleMeasurement.run(table, work, distribution, ScaleSettings.fromSystemProperties());
                }
            }
            if (only.contains("5")) {
                section("5. scheduling precision and trigger churn");
                SchedulingPrecision.churn(table);
                SchedulingPrecision.run(table, work, List.of(0, 1_000, 10_000, 100_000), runs);
            }
        } finally {
            System.out.println();
            System.out.printf("finished in %.0f s; reproduce with: java -Dn=%d -Druns=%d %s%n%n",
                    (System.nanoTime() - started) / 1e9, n, runs, COMMAND);
            System.out.println(table.markdown());
            deleteQuietly(work);
        }
    }

    private static void section(String title) {
        System.out.println();
        System.out.println("== " + title);
    }

    private static void deleteQuietly(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.out.println("could not delete " + root + ": " + e.getMessage());
        }
    }
}
