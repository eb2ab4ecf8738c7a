package dev.tokenkeeper.bench.consumers;

import dev.tokenkeeper.bench.load.LoadDriver;
import dev.tokenkeeper.bench.load.Phases;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.rig.RealDaemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Measurement 8: the real daemon; {@code GET /api/v1/credentials/{id}/token} with a consumer's
 * token (hash, cache lookup, scope check, per-consumer counter) versus the same reads with the
 * admin token, alternating phases, medians of the runs.
 */
public final class ConsumerReads {

    private ConsumerReads() {
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
        try (RealDaemon daemon = RealDaemon.start(work, "consumer-reads", distribution, 0)) {
            daemon.importGazelle();
            String created = daemon.send("POST", "/api/v1/consumers",
                    "{\"name\":\"bench\",\"credentials\":[\"gazelle:default\"]}");
            String consumer = created.replaceAll("(?s).*\"token\"\\s*:\\s*\"([^\"]+)\".*", "$1");
            int port = daemon.port();
            List<String> adminAuth = List.of("Authorization: Bearer " + daemon.adminToken());
            List<String> consumerAuth = List.of("Authorization: Bearer " + consumer);
            LoadDriver.run(port, RealDaemon.TOKEN_PATH, adminAuth, connections, Duration.ofSeconds(2));
            LoadDriver.run(port, RealDaemon.TOKEN_PATH, consumerAuth, connections, Duration.ofSeconds(2));
            Phases admins = new Phases();
            Phases consumers = new Phases();
            for (int r = 0; r < runs; r++) {
                // Alternating which goes first, so a warming or cooling machine favours neither.
                LoadDriver.Result a;
                LoadDriver.Result c;
                if (r % 2 == 0) {
                    a = admins.add(LoadDriver.run(port, RealDaemon.TOKEN_PATH, adminAuth, connections, Duration.ofSeconds(seconds)));
                    c = consumers.add(LoadDriver.run(port, RealDaemon.TOKEN_PATH, consumerAuth, connections,
                            Duration.ofSeconds(seconds)));
                } else {
                    c = consumers.add(LoadDriver.run(port, RealDaemon.TOKEN_PATH, consumerAuth, connections,
                            Duration.ofSeconds(seconds)));
                    a = admins.add(LoadDriver.run(port, RealDaemon.TOKEN_PATH, adminAuth, connections, Duration.ofSeconds(seconds)));
                }
                System.out.printf("    [8] run %d: admin %.0f/s p99 %.2f ms; consumer %.0f/s p99 %.2f ms%n",
                        r + 1, a.perSecond(), a.millis(0.99), c.perSecond(), c.millis(0.99));
            }
            long errors = admins.errors() + consumers.errors();
            double ratio = consumers.rate() / admins.rate();
            String suffix = errors > 0 ? ", " + errors + " errors" : "";
            table.add(new ResultTable.Row("8", "token reads with a consumer token, " + connections + " connections" + suffix,
                    ResultTable.fmt(consumers.rate()) + " req/s (p99 " + ResultTable.fmt(consumers.millis(0.99)) + " ms)",
                    "admin token " + ResultTable.fmt(admins.rate()) + " req/s (p99 " + ResultTable.fmt(admins.millis(0.99))
                            + " ms)",
                    ResultTable.fmt(ratio), ResultTable.goal(ratio >= 0.95, "≥ 0.95 (scope check < 5%)")));
        }
    }
}
