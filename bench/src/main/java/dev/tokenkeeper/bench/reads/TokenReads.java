package dev.tokenkeeper.bench.reads;

import dev.tokenkeeper.bench.load.LoadDriver;
import dev.tokenkeeper.bench.load.Phases;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.rig.RealDaemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Token reads, {@code GET /api/v1/credentials/{id}/token}, on the real daemon process, alternating
 * phases, medians of the runs: against {@code GET /healthz} on the same server (measurement 2), and
 * with a consumer's token (hash, cache lookup, scope check, per-consumer counter) against the admin
 * token (measurement 8).
 *
 * @param table        where the figures go
 * @param work         scratch folder
 * @param distribution the assembled distribution
 * @param connections  concurrent connections
 * @param seconds      seconds per measured phase
 * @param runs         measured phases of each kind
 */
public record TokenReads(ResultTable table, Path work, Path distribution, int connections, int seconds, int runs) {

    /**
     * Measurement 2: token reads with the admin token versus {@code /healthz}.
     *
     * @throws Exception when the daemon fails
     */
    public void versusHealth() throws Exception {
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

    /**
     * Measurement 8: token reads with a consumer's token versus the admin token.
     *
     * @throws Exception when the daemon fails
     */
    public void consumerVersusAdmin() throws Exception {
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
