package dev.tokenkeeper.bench.consumers;

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
        DaemonState state = DaemonState.prepare(work.resolve("consumer-reads"), 0);
        int port = DaemonLauncher.freePort();
        try (InstantUpstream upstream = InstantUpstream.start(2, Duration.ZERO, 3600);
             DaemonLauncher daemon = DaemonLauncher.start(DaemonState.runCommand(distribution),
                     state.environment(port, upstream.tokenUrl()), port, work.resolve("consumer-reads.log"))) {
            String admin = state.adminToken();
            long now = System.currentTimeMillis() / 1000;
            send(port, admin, "PUT", "/api/v1/credentials/gazelle:default",
                    "{\"tokenJson\":{\"access_token\":\"at-read\",\"refresh_token\":\"rt-read\",\"token_type\":\"Bearer\","
                            + "\"expires_in\":86400,\"created_at\":" + now + "}}");
            String created = send(port, admin, "POST", "/api/v1/consumers",
                    "{\"name\":\"bench\",\"credentials\":[\"gazelle:default\"]}");
            String consumer = created.replaceAll("(?s).*\"token\"\\s*:\\s*\"([^\"]+)\".*", "$1");
            String tokenPath = "/api/v1/credentials/gazelle:default/token";
            List<String> adminAuth = List.of("Authorization: Bearer " + admin);
            List<String> consumerAuth = List.of("Authorization: Bearer " + consumer);
            LoadDriver.run(port, tokenPath, adminAuth, connections, Duration.ofSeconds(2));
            LoadDriver.run(port, tokenPath, consumerAuth, connections, Duration.ofSeconds(2));
            List<Double> adminRates = new ArrayList<>();
            List<Double> consumerRates = new ArrayList<>();
            List<Double> adminP99 = new ArrayList<>();
            List<Double> consumerP99 = new ArrayList<>();
            long errors = 0;
            for (int r = 0; r < runs; r++) {
                // Alternating which goes first, so a warming or cooling machine favours neither.
                LoadDriver.Result a;
                LoadDriver.Result c;
                if (r % 2 == 0) {
                    a = LoadDriver.run(port, tokenPath, adminAuth, connections, Duration.ofSeconds(seconds));
                    c = LoadDriver.run(port, tokenPath, consumerAuth, connections, Duration.ofSeconds(seconds));
                } else {
                    c = LoadDriver.run(port, tokenPath, consumerAuth, connections, Duration.ofSeconds(seconds));
                    a = LoadDriver.run(port, tokenPath, adminAuth, connections, Duration.ofSeconds(seconds));
                }
                errors += a.errors() + c.errors();
                adminRates.add(a.perSecond());
                consumerRates.add(c.perSecond());
                adminP99.add(a.millis(0.99));
                consumerP99.add(c.millis(0.99));
                System.out.printf("    [8] run %d: admin %.0f/s p99 %.2f ms; consumer %.0f/s p99 %.2f ms%n",
                        r + 1, a.perSecond(), a.millis(0.99), c.perSecond(), c.millis(0.99));
            }
            double ratio = Samples.median(consumerRates) / Samples.median(adminRates);
            String suffix = errors > 0 ? ", " + errors + " errors" : "";
            table.add(new ResultTable.Row("8", "token reads with a consumer token, " + connections + " connections" + suffix,
                    ResultTable.fmt(Samples.median(consumerRates)) + " req/s (p99 "
                            + ResultTable.fmt(Samples.median(consumerP99)) + " ms)",
                    "admin token " + ResultTable.fmt(Samples.median(adminRates)) + " req/s (p99 "
                            + ResultTable.fmt(Samples.median(adminP99)) + " ms)",
                    ResultTable.fmt(ratio), ResultTable.goal(ratio >= 0.95, "≥ 0.95 (scope check < 5%)")));
        }
    }

    private static String send(int port, String admin, String method, String path, String body) throws Exception {
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + path + " answered " + answer.statusCode());
        }
        return answer.body();
    }
}
