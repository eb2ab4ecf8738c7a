package dev.tokenkeeper.bench.scale;

import dev.tokenkeeper.bench.queue.ClaimLoop;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.stores.PostgresCluster;
import dev.tokenkeeper.bench.upstream.InstantUpstream;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Measurement 10 (issue 26): several real daemon processes on one local PostgreSQL 15 (Debian's,
 * started by the run), sharing a master key: start-up and memory at two sizes with token reads of
 * never-served credentials ({@link StartAtScale}), then the due storm with all daemons, with one, and
 * with one killed in the middle ({@link DueStorm}), each beside the bare claim + commit loop
 * ({@link ClaimLoop}, measurement 9's) at its best over a few connection counts, in the same run and
 * cluster.
 */
public final class ScaleMeasurement {

    private ScaleMeasurement() {
    }

    /**
     * @param table        where the figures go
     * @param work         scratch folder
     * @param distribution the assembled distribution
     * @param settings     sizes and parts
     * @throws Exception when the rig fails outside what is measured
     */
    public static void run(ResultTable table, Path work, Path distribution, ScaleSettings settings) throws Exception {
        System.out.println("    [10] " + settings.properties() + String.format(", load average %.1f", load()));
        if (settings.parts().contains("start") || settings.parts().contains("storm") || settings.parts().contains("kill")
                || settings.parts().contains("announce")) {
            onPostgres(table, work, distribution, settings);
        }
        if (settings.parts().contains("sqlite") && settings.before().isPresent()) {
            List<String> options = Stream.of("n", "runs", "threads", "stored", "rate", "seconds")
                    .filter(name -> System.getProperty(name) != null)
                    .map(name -> "-D" + name + "=" + System.getProperty(name)).toList();
            new SqliteBeforeAfter(table, settings.before().get(), Path.of("").toAbsolutePath(),
                    System.getProperty("scale.sqlite", "1,4,5"), options, Integer.getInteger("scale.rounds", 1), work).run();
        } else if (settings.parts().contains("sqlite")) {
            System.out.println("    [10] SQLite before/after skipped: give an earlier built checkout with -Dscale.before=DIR");
        }
    }

    private static void onPostgres(ResultTable table, Path work, Path distribution, ScaleSettings settings) throws Exception {
        Optional<Path> kept = Optional.ofNullable(System.getProperty("scale.keep")).map(folder -> Path.of(folder).toAbsolutePath());
        SecretSealer sealer = new SecretSealer(Keyring.of(MasterKey.of(key(kept.orElse(work)))));
        Map<String, String> environment = environment(kept.orElse(work).resolve("scale.key"), settings);
        if (settings.parts().contains("start")) {
            // Only the start part's schemas are filled on from what a kept cluster holds; the storms fill theirs afresh.
            try (PostgresCluster postgres = kept.isPresent() ? PostgresCluster.keptIn(kept.get().resolve("cluster"))
                    : PostgresCluster.start();
                 InstantUpstream upstream = InstantUpstream.start(Duration.ZERO, 3600)) {
                Map<String, String> env = new HashMap<>(environment);
                env.put("GAZELLE_OAUTH_TOKEN_URL", upstream.tokenUrl().toString());
                new StartAtScale(table, work, distribution, settings, env)
                        .run(postgres, sealer, Integer.getInteger("scale.rounds", 1));
            }
        }
        if (!settings.parts().contains("announce") && !settings.parts().contains("storm") && !settings.parts().contains("kill")) {
            return;
        }
        try (PostgresCluster postgres = PostgresCluster.start()) {
            if (settings.parts().contains("announce")) {
                new AnnouncedLoops(table, postgres.jdbcUrl(), settings).run(Integer.getInteger("scale.rounds", 1));
            }
            boolean storm = settings.parts().contains("storm");
            boolean kill = settings.parts().contains("kill");
            if (storm || kill) {
                ClaimLoop loop = new ClaimLoop(postgres.jdbcUrl(), "scale_claim_loop");
                DueStorm storms = new DueStorm(table, work, distribution, settings, postgres, sealer, environment);
                List<Double> all = new ArrayList<>();
                List<Double> one = new ArrayList<>();
                LoopBaseline best = null;
                for (int round = 1; round <= settings.rounds() && storm; round++) {
                    String label = settings.rounds() == 1 ? "" : String.format(", round %d of %d", round, settings.rounds());
                    best = baseline(table, loop, postgres, settings, label);
                    all.add(storms.run(settings.daemons(), false, best, label) / best.perSecond());
                    one.add(storms.run(1, false, best, label) / best.perSecond());
                }
                if (settings.rounds() > 1 && storm) {
                    median(table, settings.daemons(), all);
                    median(table, 1, one);
                }
                if (kill) {
                    if (best == null) {
                        best = baseline(table, loop, postgres, settings, "");
                    }
                    storms.run(settings.daemons(), true, best, "");
                }
            }
        }
    }

    /**
     * The database's limit here: the bare loop's best over a few connection counts (too few leave its
     * backends idle between round trips; too many compete for the two cores).
     */
    private static LoopBaseline baseline(ResultTable table, ClaimLoop loop, PostgresCluster postgres, ScaleSettings settings,
                                         String round) throws Exception {
        LoopBaseline best = new LoopBaseline(0, Double.NaN);
        List<String> rates = new ArrayList<>();
        for (int connections : settings.loops()) {
            ClaimLoop.Result result = loop.run(settings.storm(), connections, 32, postgres::cpuNanos);
            System.out.printf("    [10] bare loop, %d connections: %,d rows in %.1f s, %.0f/s, twice %d, missed %d;"
                            + " database CPU %.0f µs per row%n", connections, result.rows(), result.seconds(),
                    result.perSecond(), result.twice(), result.missed(), result.databaseMicrosPerRow());
            rates.add(connections + ": " + ResultTable.fmt(result.perSecond()) + "/s");
            if (result.perSecond() > best.perSecond()) {
                best = new LoopBaseline(result.perSecond(), result.databaseMicrosPerRow());
            }
        }
        table.add(new ResultTable.Row("10", String.format("bare claim + commit loop, %,d rows due, by connections%s",
                settings.storm(), round), String.join(", ", rates), "", "", "the storm's baseline: the best, "
                + ResultTable.fmt(best.perSecond()) + "/s, the database's CPU " + ResultTable.fmt(best.databaseMicrosPerRow())
                + " µs per row"));
        return best;
    }

    private static void median(ResultTable table, int daemons, List<Double> ratios) {
        List<Double> sorted = ratios.stream().sorted().toList();
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        String each = ratios.stream().map(ResultTable::fmt).collect(Collectors.joining(", "));
        System.out.printf("    [10] storm ratios to the same round's bare loop, %d daemon%s: %s; median %s%n", daemons,
                daemons == 1 ? "" : "s", each, ResultTable.fmt(median));
        table.add(new ResultTable.Row("10", String.format("storm refreshes/s ÷ the same round's bare loop, %d daemon%s, %d rounds",
                daemons, daemons == 1 ? "" : "s", n), each, "", ResultTable.fmt(median),
                ResultTable.goal(median >= 0.5, "median ≥ 0.5×")));
    }

    /** @return the master key in {@code folder}'s {@code scale.key}, made there first when there is none */
    private static byte[] key(Path folder) throws IOException {
        Path keyFile = folder.resolve("scale.key");
        if (Files.exists(keyFile)) {
            return Files.readAllBytes(keyFile);
        }
        byte[] raw = new byte[MasterKey.LENGTH];
        new SecureRandom().nextBytes(raw);
        Files.createDirectories(folder);
        Files.write(keyFile, raw);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        return raw;
    }

    private static Map<String, String> environment(Path keyFile, ScaleSettings settings) {
        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER_STORE", "postgres");
        env.put("TOKENKEEPER_MASTER_KEY_FILE", keyFile.toString());
        env.put("GAZELLE_CLIENT_ID", "bench-client");
        env.put("GAZELLE_CLIENT_SECRET", "bench-secret");
        env.put("TOKENKEEPER_REFRESH_THREADS", Integer.toString(settings.threads()));
        env.put("TOKENKEEPER_PROVIDER_CONCURRENCY", Integer.toString(settings.threads()));
        env.put("TOKENKEEPER_PROVIDER_RATE_PER_SECOND", "0");
        env.put("TOKENKEEPER_REFRESH_MARGIN_SECONDS", Long.toString(DueStorm.MARGIN.toSeconds()));
        env.put("TOKENKEEPER_REFRESH_JITTER_SECONDS", "0");
        env.put("TOKENKEEPER_LEASE_SECONDS", Long.toString(settings.lease().toSeconds()));
        return env;
    }

    /** @return the machine's one-minute load average (the machine is shared; every figure says how busy it was) */
    static double load() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
