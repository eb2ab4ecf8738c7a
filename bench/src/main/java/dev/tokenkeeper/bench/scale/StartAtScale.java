package dev.tokenkeeper.bench.scale;

import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.report.Samples;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.startup.DaemonLauncher;
import dev.tokenkeeper.bench.stores.PostgresCluster;
import dev.tokenkeeper.daemon.crypto.SecretSealer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Measurement 10, start-up at scale (issue 26, must-shows 1 and 4): the daemons started one after
 * another on a store of {@code small} credentials and on one of {@code count} in the same cluster
 * (same run, same daemons' settings, the sizes alternating over {@code scale.rounds} rounds): each
 * one's start to {@code /healthz} 200 (wall and CPU) and VmRSS, and the ratios of the two sizes. Then
 * token reads of credentials the first daemon of the last large fleet has never served, each once,
 * against the same reads again.
 *
 * @param table       where the figures go
 * @param work        scratch folder
 * @param distribution the assembled distribution
 * @param settings    sizes
 * @param environment every daemon's environment but the schema (store, key, upstream, knobs)
 */
record StartAtScale(ResultTable table, Path work, Path distribution, ScaleSettings settings,
                    Map<String, String> environment) {

    /** The schema of the small size's credentials and of the large size's, in one cluster. */
    private static final String SMALL = "scale_small";
    private static final String LARGE = "scale";

    /** One fleet's starts, per daemon wall ms, CPU ms and VmRSS at {@code /healthz}, and the load before and after. */
    private record Starts(List<DaemonLauncher.Started> started, double loadBefore, double loadAfter) {
    }

    /** A daemon that did not start: the size's figure says why instead of a time. */
    private static final class NotStarted extends Exception {
        NotStarted(String message) {
            super(message);
        }
    }

    /**
     * Fills schema {@code scale_small} up to {@code small} credentials and schema {@code scale} up to
     * {@code count} (only what a kept cluster lacks), then starts the daemons on each size in turn,
     * {@code rounds} times, which size goes first alternating (the machine is shared: its load moves
     * within minutes, so each daemon's figure at a size is its median over the rounds).
     *
     * @param postgres the cluster (fresh, or kept from an earlier run)
     * @param sealer   the sealer with the daemons' master key (the key the kept rows were sealed with)
     * @param rounds   how many starts of each size
     * @throws Exception when the store or a daemon fails outside what is measured
     */
    void run(PostgresCluster postgres, SecretSealer sealer, int rounds) throws Exception {
        Instant now = Instant.now();
        BulkFill.Timing idle = new BulkFill.Timing(now, now.plus(Duration.ofDays(30)), now.plus(Duration.ofDays(27)));
        BulkFill smallStore = BulkFill.prepare(postgres, SMALL, sealer, work.resolve(SMALL + "-migrate"));
        upTo(smallStore, settings.small(), idle);
        BulkFill largeStore = BulkFill.prepare(postgres, LARGE, sealer, work.resolve(LARGE + "-migrate"));
        double countSeconds = upTo(largeStore, settings.count(), idle);
        table.add(new ResultTable.Row("10", String.format("fill %,d sealed credentials (COPY, sealing in parallel)", settings.count()),
                countSeconds > 0 ? String.format("%.0f s (%,.0f rows/s); table with indexes %,d MB", countSeconds,
                        settings.count() / countSeconds, largeStore.tableBytes() >> 20)
                        : String.format("kept from an earlier run (-Dscale.keep); table with indexes %,d MB",
                        largeStore.tableBytes() >> 20), "", "", ""));
        List<Starts> small = new ArrayList<>();
        List<Starts> large = new ArrayList<>();
        try {
            for (int round = 0; round < rounds; round++) {
                for (boolean largeNow : round % 2 == 0 ? List.of(false, true) : List.of(true, false)) {
                    if (largeNow) {
                        large.add(starts(settings.count(), postgres.settings(LARGE), round, round == rounds - 1));
                    } else {
                        small.add(starts(settings.small(), postgres.settings(SMALL), round, false));
                    }
                }
            }
        } catch (NotStarted e) {
            return;
        }
        summary(settings.small(), small);
        summary(settings.count(), large);
        compare(small, large);
    }

    /** @return seconds it took to fill {@code store} up to {@code credentials} rows (0 when a kept one had them) */
    private static double upTo(BulkFill store, int credentials, BulkFill.Timing timing) throws Exception {
        int there = store.rows();
        if (there >= credentials) {
            System.out.printf("    [10] %s.credentials holds %,d rows already (kept cluster)%n", store.schema(), there);
            return 0;
        }
        double seconds = store.fill(there, credentials, i -> timing);
        System.out.printf("    [10] filled %s with %,d credentials in %.1f s (%,.0f rows/s), table %d MB%n", store.schema(),
                credentials - there, seconds, (credentials - there) / seconds, store.tableBytes() >> 20);
        return seconds;
    }

    private Starts starts(int credentials, Map<String, String> store, int round, boolean thenRead) throws Exception {
        double load = ScaleMeasurement.load();
        Map<String, String> env = new HashMap<>(environment);
        env.putAll(store);
        try (DaemonFleet fleet = DaemonFleet.start(work, "scale-" + credentials + "-" + round, distribution, env, settings.daemons(),
                settings.startWithin())) {
            List<DaemonLauncher.Started> started = new ArrayList<>();
            for (DaemonLauncher daemon : fleet.daemons()) {
                started.add(daemon.started());
            }
            long[] rssAfter = fleet.daemons().stream().mapToLong(DaemonLauncher::rssKb).toArray();
            System.out.printf("    [10] %,d credentials: starts %s; RSS when all %d were up %s kB%n", credentials, started,
                    settings.daemons(), Arrays.toString(rssAfter));
            Starts starts = new Starts(started, load, ScaleMeasurement.load());
            if (thenRead) {
                reads(fleet, credentials);
            }
            return starts;
        } catch (IOException e) {
            // The launcher's message joins the log's last lines with " | ", which would split a table cell.
            String message = e.getMessage().replace(" | ", "; ");
            String failure = message.length() > 300 ? message.substring(0, 300) + "…" : message;
            System.out.println("    [10] " + credentials + " credentials: a daemon did not start: " + failure);
            table.add(new ResultTable.Row("10", String.format("start to /healthz 200, %,d credentials", credentials),
                    "did not start within " + settings.startWithin().toSeconds() + " s: " + failure, "", "",
                    ResultTable.goal(false, "starts")));
            throw new NotStarted(failure);
        }
    }

    /** One size's figures over every start of it: start (median, max; CPU median) and the largest RSS. */
    private void summary(int credentials, List<Starts> fleets) {
        List<DaemonLauncher.Started> all = fleets.stream().flatMap(fleet -> fleet.started().stream()).toList();
        String label = String.format("%,d credentials, %d daemons one after another, %d round%s, load %s", credentials,
                settings.daemons(), fleets.size(), fleets.size() == 1 ? "" : "s", fleets.stream()
                        .map(fleet -> String.format("%.1f→%.1f", fleet.loadBefore(), fleet.loadAfter()))
                        .collect(Collectors.joining(", ")));
        table.add(new ResultTable.Row("10", "start to /healthz 200 (median, max; CPU median), " + label,
                String.format("%s, %s ms; CPU %s ms", ResultTable.fmt(median(all, DaemonLauncher.Started::startMillis)),
                        ResultTable.fmt(max(all, DaemonLauncher.Started::startMillis)),
                        ResultTable.fmt(median(all, DaemonLauncher.Started::cpuMillis))), "", "", ""));
        table.add(new ResultTable.Row("10", "RSS at /healthz 200 (max over daemons), " + label,
                ResultTable.fmt(max(all, s -> s.rssKb() / 1024.0)) + " MB", "", "",
                ResultTable.goal(max(all, s -> s.rssKb() / 1024.0) <= 256, "≤ 256 MB")));
    }

    /** Each daemon (by start order) at the large size against itself at the small one, its medians over the rounds. */
    private void compare(List<Starts> small, List<Starts> large) {
        double worstTime = 0;
        double worstCpu = 0;
        double worstRss = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < settings.daemons(); i++) {
            worstTime = Math.max(worstTime, daemon(large, i, DaemonLauncher.Started::startMillis)
                    / daemon(small, i, DaemonLauncher.Started::startMillis));
            worstCpu = Math.max(worstCpu, daemon(large, i, DaemonLauncher.Started::cpuMillis)
                    / daemon(small, i, DaemonLauncher.Started::cpuMillis));
            worstRss = Math.max(worstRss, (daemon(large, i, s -> s.rssKb()) - daemon(small, i, s -> s.rssKb())) / 1024.0);
        }
        String sizes = String.format("%,d against %,d credentials, same daemon (worst of %d%s)", settings.count(),
                settings.small(), settings.daemons(), small.size() == 1 ? "" : "; each its median of " + small.size() + " rounds");
        table.add(new ResultTable.Row("10", "start to /healthz 200, " + sizes,
                ResultTable.fmt(worstTime) + "× (CPU " + ResultTable.fmt(worstCpu) + "×)", "", "",
                ResultTable.goal(worstTime <= 1.2, "within 20 %")));
        table.add(new ResultTable.Row("10", "RSS at /healthz 200, " + sizes,
                (worstRss >= 0 ? "+" : "") + ResultTable.fmt(worstRss) + " MB", "", "",
                ResultTable.goal(worstRss <= 30, "within 30 MB")));
    }

    /** @return the {@code index}th daemon's median figure over the fleets */
    private static double daemon(List<Starts> fleets, int index, ToDoubleFunction<DaemonLauncher.Started> f) {
        return Samples.median(fleets.stream().map(fleet -> f.applyAsDouble(fleet.started().get(index))).toList());
    }

    /** Must-show 4: each of {@code reads} random credentials read once, then the same again. */
    private void reads(DaemonFleet fleet, int credentials) throws Exception {
        DaemonLauncher daemon = fleet.daemons().get(0);
        String token = fleet.adminToken(0);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        Random random = new Random(26);
        int[] picked = random.ints(settings.reads(), 0, credentials).distinct().toArray();
        long rssBefore = daemon.rssKb();
        long[] first = new long[picked.length];
        long[] again = new long[picked.length];
        int failed = 0;
        for (int pass = 0; pass < 2; pass++) {
            long[] into = pass == 0 ? first : again;
            for (int k = 0; k < picked.length; k++) {
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port()
                                + "/api/v1/credentials/" + Credentials.id(picked[k]) + "/token"))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).GET().build();
                long t0 = System.nanoTime();
                HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
                into[k] = System.nanoTime() - t0;
                if (answer.statusCode() != 200) {
                    failed++;
                }
            }
        }
        long rssAfter = daemon.rssKb();
        double firstP99 = Samples.percentileOf(first, 0.99) / 1e6;
        double againP99 = Samples.percentileOf(again, 0.99) / 1e6;
        System.out.printf("    [10] %d reads of never-served credentials: p50 %.2f ms p99 %.2f ms max %.2f ms; again p50 %.2f p99 %.2f;"
                        + " %d not 200; RSS %d -> %d kB%n", picked.length, Samples.percentile(first, 0.5) / 1e6, firstP99,
                first[first.length - 1] / 1e6, Samples.percentile(again, 0.5) / 1e6, againP99, failed, rssBefore, rssAfter);
        table.add(new ResultTable.Row("10", String.format("token read of a credential the daemon never served, p50 / p99,"
                                + " %,d reads one at a time, %,d credentials%s", picked.length, credentials,
                        failed > 0 ? ", " + failed + " not 200" : ""),
                ResultTable.fmt(Samples.percentile(first, 0.5) / 1e6) + " / " + ResultTable.fmt(firstP99) + " ms",
                "the same reads again " + ResultTable.fmt(Samples.percentile(again, 0.5) / 1e6) + " / "
                        + ResultTable.fmt(againP99) + " ms", ResultTable.fmt(firstP99 / againP99) + " (p99)",
                "RSS " + rssBefore / 1024 + " → " + rssAfter / 1024 + " MB"));
    }

    private static double median(List<DaemonLauncher.Started> started, ToDoubleFunction<DaemonLauncher.Started> f) {
        return Samples.median(started.stream().map(s -> f.applyAsDouble(s)).toList());
    }

    private static double max(List<DaemonLauncher.Started> started, ToDoubleFunction<DaemonLauncher.Started> f) {
        return started.stream().mapToDouble(f).max().orElse(Double.NaN);
    }
}
