package dev.tokenkeeper.bench.reads;

import dev.tokenkeeper.bench.load.LoadDriver;
import dev.tokenkeeper.bench.load.Phases;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.rig.RealDaemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Measurement 2: the real daemon process; {@code GET /api/v1/credentials/{id}/token} with 64
 * connections versus {@code GET /healthz} on the same server, alternating, medians of the runs.
 */
public final class TokenReads {

    private TokenReads() {
    }

    /**
     * @param table        where the figures go
     * @param work         scratch folder
     * @param distribution the assembled distribution
     * @param connections  concurrent connections
     * @param seconds      seconds per measured phase
     * @param runs         measured phases of each kind
     * @throws Exception when the daemon fails
     */
    public static void run(ResultTable table, Path work, Path distribution, int connections, int seconds, int runs)
            throws Exception {
        try (RealDaemon daemon = RealDaemon.start(work, "reads", distribution, 0)) {
            daemon.importGazelle();
            int port = daemon.port();
            List<String> auth = List.of("Authorization: Bearer " + daemon.adminToken());
            LoadDriver.run(port, "/healthz", List.of(), connections, Duration.ofSeconds(2));
            LoadDriver.run(port, RealDaemon.TOKEN_PATH, auth, connections, Duration.ofSeconds(2));
            Phases health = new Phases();
            Phases token = new Phases();
            for (int r = 0; r < runs; r++) {
                LoadDriver.Result h = health.add(LoadDriver.run(port, "/healthz", List.of(), connections,
                        Duration.ofSeconds(seconds)));
                LoadDriver.Result t = token.add(LoadDriver.run(port, RealDaemon.TOKEN_PATH, auth, connections,
                        Duration.ofSeconds(seconds)));
                System.out.printf("    [2] run %d: /healthz %.0f/s p50 %.2f ms p99 %.2f ms; /token %.0f/s p50 %.2f ms p99 %.2f ms%n",
                        r + 1, h.perSecond(), h.millis(0.5), h.millis(0.99), t.perSecond(), t.millis(0.5), t.millis(0.99));
            }
            long errors = health.errors() + token.errors();
            double ratio = token.rate() / health.rate();
            String suffix = errors > 0 ? ", " + errors + " errors" : "";
            table.add(new ResultTable.Row("2", "token reads, " + connections + " connections, real daemon" + suffix,
                    ResultTable.fmt(token.rate()) + " req/s",
                    "/healthz " + ResultTable.fmt(health.rate()) + " req/s", ResultTable.fmt(ratio),
                    ResultTable.goal(ratio >= 0.7, "≥ 0.7")));
            double p99 = token.millis(0.99);
            table.add(new ResultTable.Row("2", "token read latency p50 / p99",
                    ResultTable.fmt(token.millis(0.5)) + " / " + ResultTable.fmt(p99) + " ms",
                    "/healthz " + ResultTable.fmt(health.millis(0.5)) + " / " + ResultTable.fmt(health.millis(0.99)) + " ms",
                    ResultTable.fmt(p99 / health.millis(0.99)) + " (p99)",
                    ResultTable.goal(p99 < 5, "p99 < 5 ms")));
            table.add(new ResultTable.Row("2", "RSS of that daemon after the load", daemon.rssKb() / 1024 + " MB", "", "", ""));
        }
    }
}
