package dev.tokenkeeper.bench.reads;

import dev.tokenkeeper.bench.load.LoadDriver;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.report.Samples;
import dev.tokenkeeper.bench.startup.DaemonLauncher;
import dev.tokenkeeper.bench.startup.DaemonState;
import dev.tokenkeeper.bench.upstream.InstantUpstream;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
        DaemonState state = DaemonState.prepare(work.resolve("reads"), 0);
        int port = DaemonLauncher.freePort();
        try (InstantUpstream upstream = InstantUpstream.start(2, Duration.ZERO, 3600);
             DaemonLauncher daemon = DaemonLauncher.start(DaemonState.runCommand(distribution),
                     state.environment(port, upstream.tokenUrl()), port, work.resolve("reads.log"))) {
            String admin = state.adminToken();
            long now = System.currentTimeMillis() / 1000;
            String body = "{\"tokenJson\":{\"access_token\":\"at-read\",\"refresh_token\":\"rt-read\",\"token_type\":\"Bearer\","
                    + "\"expires_in\":86400,\"created_at\":" + now + "}}";
            HttpResponse<String> imported = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/v1/credentials/gazelle:default"))
                    .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (imported.statusCode() / 100 != 2) {
                throw new IllegalStateException("import answered " + imported.statusCode() + ": " + imported.body());
            }
            String tokenPath = "/api/v1/credentials/gazelle:default/token";
            List<String> auth = List.of("Authorization: Bearer " + admin);
            LoadDriver.run(port, "/healthz", List.of(), connections, Duration.ofSeconds(2));
            LoadDriver.run(port, tokenPath, auth, connections, Duration.ofSeconds(2));
            List<Double> health = new ArrayList<>();
            List<Double> token = new ArrayList<>();
            List<Double> healthP50 = new ArrayList<>();
            List<Double> healthP99 = new ArrayList<>();
            List<Double> tokenP50 = new ArrayList<>();
            List<Double> tokenP99 = new ArrayList<>();
            long errors = 0;
            for (int r = 0; r < runs; r++) {
                LoadDriver.Result h = LoadDriver.run(port, "/healthz", List.of(), connections, Duration.ofSeconds(seconds));
                LoadDriver.Result t = LoadDriver.run(port, tokenPath, auth, connections, Duration.ofSeconds(seconds));
                errors += h.errors() + t.errors();
                health.add(h.perSecond());
                token.add(t.perSecond());
                healthP50.add(h.millis(0.5));
                healthP99.add(h.millis(0.99));
                tokenP50.add(t.millis(0.5));
                tokenP99.add(t.millis(0.99));
                System.out.printf("    [2] run %d: /healthz %.0f/s p50 %.2f ms p99 %.2f ms; /token %.0f/s p50 %.2f ms p99 %.2f ms%n",
                        r + 1, h.perSecond(), h.millis(0.5), h.millis(0.99), t.perSecond(), t.millis(0.5), t.millis(0.99));
            }
            double ratio = Samples.median(token) / Samples.median(health);
            String suffix = errors > 0 ? ", " + errors + " errors" : "";
            table.add(new ResultTable.Row("2", "token reads, " + connections + " connections, real daemon" + suffix,
                    ResultTable.fmt(Samples.median(token)) + " req/s",
                    "/healthz " + ResultTable.fmt(Samples.median(health)) + " req/s", ResultTable.fmt(ratio),
                    ResultTable.goal(ratio >= 0.7, "≥ 0.7")));
            double p99 = Samples.median(tokenP99);
            table.add(new ResultTable.Row("2", "token read latency p50 / p99",
                    ResultTable.fmt(Samples.median(tokenP50)) + " / " + ResultTable.fmt(p99) + " ms",
                    "/healthz " + ResultTable.fmt(Samples.median(healthP50)) + " / "
                            + ResultTable.fmt(Samples.median(healthP99)) + " ms",
                    ResultTable.fmt(p99 / Samples.median(healthP99)) + " (p99)",
                    ResultTable.goal(p99 < 5, "p99 < 5 ms")));
            table.add(new ResultTable.Row("2", "RSS of that daemon after the load", daemon.rssKb() / 1024 + " MB", "", "", ""));
        }
    }
}
