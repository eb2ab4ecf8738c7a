package dev.tokenkeeper.bench.scale;

import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.report.Samples;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.startup.DaemonLauncher;

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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * Measurement 10, start-up at scale (issue 26, must-shows 1 and 4): the daemons started one after
 * another on a store of {@code small} credentials, then on the same store filled up to {@code count}
 * (same run, same daemons' settings): each one's start to {@code /healthz} 200 (wall and CPU) and
 * VmRSS, and the ratios of the two sizes. Then token reads of credentials the first daemon has never
 * served, each once, against the same reads again.
 *
 * @param table       where the figures go
 * @param work        scratch folder
 * @param distribution the assembled distribution
 * @param settings    sizes
 * @param environment every daemon's environment (store, key, upstream, knobs)
 */
record StartAtScale(ResultTable table, Path work, Path distribution, ScaleSettings settings,
                    Map<String, String> environment) {

    /** One size's starts: per daemon wall ms, CPU ms, RSS kB at {@code /healthz}, or why they failed. */
    private record Starts(List<DaemonLauncher.Started> started, String failure) {
    }

    /**
     * @param fill the store's filler (empty store)
     * @throws Exception when the store or a daemon fails outside what is measured
     */
    void run(BulkFill fill) throws Exception {
        Instant now = Instant.now();
        BulkFill.Timing idle = new BulkFill.Timing(now, now.plus(Duration.ofDays(30)), now.plus(Duration.ofDays(27)));
        double smallSeconds = fill.fill(0, settings.small(), i -> idle);
        System.out.printf("    [10] filled %,d credentials in %.1f s (%,.0f rows/s), table %d MB%n", settings.small(),
                smallSeconds, settings.small() / smallSeconds, fill.tableBytes() >> 20);
        Starts small = starts("small", settings.small(), false);
        double countSeconds = fill.fill(settings.small(), settings.count(), i -> idle);
        long bytes = fill.tableBytes();
        System.out.printf("    [10] filled %,d more in %.1f s (%,.0f rows/s), table %d MB%n", settings.count() - settings.small(),
                countSeconds, (settings.count() - settings.small()) / countSeconds, bytes >> 20);
        table.add(new ResultTable.Row("10", String.format("fill %,d sealed credentials (COPY, sealing in parallel)", settings.count()),
                String.format("%.0f s (%,.0f rows/s); table with indexes %,d MB", smallSeconds + countSeconds,
                        settings.count() / (smallSeconds + countSeconds), bytes >> 20), "", "", ""));
        Starts large = starts("large", settings.count(), true);
        compare(small, large);
    }

    private Starts starts(String name, int credentials, boolean thenRead) throws Exception {
        double load = ScaleMeasurement.load();
        try (DaemonFleet fleet = DaemonFleet.start(work, "scale-" + name, distribution, environment, settings.daemons(),
                settings.startWithin())) {
            List<DaemonLauncher.Started> started = new ArrayList<>();
            for (DaemonLauncher daemon : fleet.daemons()) {
                started.add(daemon.started());
            }
            long[] rssAfter = fleet.daemons().stream().mapToLong(DaemonLauncher::rssKb).toArray();
            System.out.printf("    [10] %,d credentials: starts %s; RSS when all %d were up %s kB%n", credentials, started,
                    settings.daemons(), Arrays.toString(rssAfter));
            String label = String.format("%,d credentials, %d daemons one after another, load %.1f→%.1f", credentials,
                    settings.daemons(), load, ScaleMeasurement.load());
            table.add(new ResultTable.Row("10", "start to /healthz 200 (median, max; CPU median), " + label,
                    String.format("%s, %s ms; CPU %s ms", ResultTable.fmt(median(started, DaemonLauncher.Started::startMillis)),
                            ResultTable.fmt(max(started, DaemonLauncher.Started::startMillis)),
                            ResultTable.fmt(median(started, DaemonLauncher.Started::cpuMillis))), "", "", ""));
            table.add(new ResultTable.Row("10", "RSS at /healthz 200 (max over daemons), " + label,
                    ResultTable.fmt(max(started, s -> s.rssKb() / 1024.0)) + " MB", "", "",
                    ResultTable.goal(max(started, s -> s.rssKb() / 1024.0) <= 256, "≤ 256 MB")));
            if (thenRead) {
                reads(fleet, credentials);
            }
            return new Starts(started, null);
        } catch (IOException e) {
            // The launcher's message joins the log's last lines with " | ", which would split a table cell.
            String message = e.getMessage().replace(" | ", "; ");
            String failure = message.length() > 300 ? message.substring(0, 300) + "…" : message;
            System.out.println("    [10] " + credentials + " credentials: a daemon did not start: " + failure);
            table.add(new ResultTable.Row("10", String.format("start to /healthz 200, %,d credentials", credentials),
                    "did not start within " + settings.startWithin().toSeconds() + " s: " + failure, "", "",
                    ResultTable.goal(false, "starts")));
            return new Starts(List.of(), failure);
        }
    }

    private void compare(Starts small, Starts large) {
        if (small.failure() != null || large.failure() != null) {
            return;
        }
        double worstTime = 0;
        double worstCpu = 0;
        double worstRss = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < small.started().size(); i++) {
            DaemonLauncher.Started a = small.started().get(i);
            DaemonLauncher.Started b = large.started().get(i);
            worstTime = Math.max(worstTime, b.startMillis() / a.startMillis());
            worstCpu = Math.max(worstCpu, b.cpuMillis() / a.cpuMillis());
            worstRss = Math.max(worstRss, (b.rssKb() - a.rssKb()) / 1024.0);
        }
        String sizes = String.format("%,d against %,d credentials, same daemon (worst of %d)", settings.count(),
                settings.small(), small.started().size());
        table.add(new ResultTable.Row("10", "start to /healthz 200, " + sizes,
                ResultTable.fmt(worstTime) + "× (CPU " + ResultTable.fmt(worstCpu) + "×)", "", "",
                ResultTable.goal(worstTime <= 1.2, "within 20 %")));
        table.add(new ResultTable.Row("10", "RSS at /healthz 200, " + sizes, "+" + ResultTable.fmt(worstRss) + " MB", "", "",
                ResultTable.goal(worstRss <= 30, "within 30 MB")));
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
