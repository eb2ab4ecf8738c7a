package dev.tokenkeeper.bench.pipeline;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.rig.InProcessDaemon;
import dev.tokenkeeper.bench.upstream.InstantUpstream;
import dev.tokenkeeper.daemon.assembly.Assembly;
import dev.tokenkeeper.daemon.assembly.Inputs;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;

/**
 * Measurement 1: {@code n} credentials force-refreshed end to end through the pipeline of the
 * daemon's own assembly, built in process (lease, intent, decrypt, upstream call, encrypt, durable
 * commit on SQLite, history, release, re-plan, metrics, notifications, sink) against
 * the instant imitation, versus a bare loop making the same HTTP calls with the same concurrency.
 * Runs alternate (pipeline, bare, pipeline, bare, ...) and the medians are compared.
 */
public final class PipelineOverhead {

    private PipelineOverhead() {
    }

    /**
     * @param table       where the figures go
     * @param work        a scratch folder
     * @param n           credentials
     * @param concurrency worker threads (and the provider gate's limit)
     * @param runs        measured runs of each side
     * @param synchronous {@code FULL} or {@code NORMAL}
     * @return median refreshes per second through the pipeline
     * @throws Exception when the rig fails
     */
    public static double run(ResultTable table, Path work, int n, int concurrency, int runs, String synchronous)
            throws Exception {
        Path state = work.resolve("pipeline-" + synchronous.toLowerCase());
        try (InstantUpstream upstream = InstantUpstream.start(Duration.ZERO, 3600);
             Assembly daemon = InProcessDaemon.build(state, upstream.tokenUrl(), Map.of(
                     "TOKENKEEPER_SQLITE_SYNCHRONOUS", synchronous,
                     "TOKENKEEPER_PROVIDER_CONCURRENCY", Integer.toString(concurrency)), Inputs.found())) {
            Instant now = Instant.now();
            List<CredentialId> ids = Credentials.prefillSqlite(state, n,
                    i -> Credentials.gazelle(i, daemon.sealer(), now, now.plus(Duration.ofHours(1))));
            daemon.start();
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                    .followRedirects(HttpClient.Redirect.NEVER).build();
            ForcedRefreshes viaPipeline = new ForcedRefreshes(daemon.pipeline(), ids);
            IntConsumer bare = i -> bareCall(client, upstream.tokenUrl(), i);
            Alternation rates = Alternation.measure(n, concurrency, runs, viaPipeline, bare, viaPipeline::resetCount,
                    "    [1 " + synchronous + "] run %d: pipeline %.0f/s, bare loop %.0f/s%n");
            double pipelineRate = rates.firstMedian();
            double bareRate = rates.secondMedian();
            String fs = Files.getFileStore(state).type();
            table.add(new ResultTable.Row("1", "refresh pipeline, SQLite synchronous=" + synchronous + " (" + fs
                    + "), " + n + " credentials, " + concurrency + " threads" + viaPipeline.missedNote(),
                    ResultTable.fmt(pipelineRate) + " refreshes/s",
                    "bare HTTP loop " + ResultTable.fmt(bareRate) + " calls/s",
                    ResultTable.fmt(pipelineRate / bareRate),
                    ResultTable.goal(pipelineRate / bareRate >= 0.5 && pipelineRate >= 2000, "≥ 0.5 and ≥ 2,000/s")));
            return pipelineRate;
        }
    }

    private static void bareCall(HttpClient client, URI url, int i) {
        String form = "grant_type=refresh_token&refresh_token=" + Credentials.refreshKey(i)
                + "&client_id=bench-client&client_secret=bench-secret";
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .header("User-Agent", "tokenkeeper-bench")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
        try {
            HttpResponse<byte[]> response = client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                    .get(30, TimeUnit.SECONDS);
            if (response.statusCode() != 200) {
                throw new IllegalStateException("the imitation answered " + response.statusCode());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("bare call failed: " + e, e);
        }
    }
}
