package dev.tokenkeeper.bench.startup;

import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.report.Samples;
import dev.tokenkeeper.bench.upstream.InstantUpstream;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Measurement 3: process start to {@code /healthz} 200 and VmRSS right after, for the real daemon
 * ({@code bin/tokenkeeper run}, the launcher's default JVM flags) with 0 and with many stored
 * credentials, against a bare JVM with the same flags serving only {@code /healthz}.
 */
public final class StartupSize {

    /**
     * The launcher's default flags (dist/src/dist/bin/tokenkeeper), used for the baseline too; the
     * launcher adds its AppCDS archive (lib/tokenkeeper.jsa) on top, the baseline keeps the JDK's.
     */
    public static final List<String> LAUNCHER_FLAGS = List.of("-Xmx256m", "-Xms16m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");

    private StartupSize() {
    }

    /**
     * @param table        where the figures go
     * @param work         scratch folder
     * @param distribution the assembled distribution
     * @param benchJar     this jar (for the baseline)
     * @param many         the larger credential count
     * @param runs         starts of each kind
     * @throws Exception when a process fails
     */
    public static void run(ResultTable table, Path work, Path distribution, Path benchJar, int many, int runs)
            throws Exception {
        DaemonState empty = DaemonState.prepare(work.resolve("start-0"), 0);
        long fill = System.nanoTime();
        DaemonState full = DaemonState.prepare(work.resolve("start-" + many), many);
        System.out.printf("    [3] pre-filled %,d sealed credentials in %.1f s%n", many, (System.nanoTime() - fill) / 1e9);
        List<Double> bareMs = new ArrayList<>();
        List<Double> bareRss = new ArrayList<>();
        List<Double> emptyMs = new ArrayList<>();
        List<Double> emptyRss = new ArrayList<>();
        List<Double> fullMs = new ArrayList<>();
        List<Double> fullRss = new ArrayList<>();
        try (InstantUpstream upstream = InstantUpstream.start(2, Duration.ZERO, 3600)) {
            for (int r = 0; r < runs; r++) {
                List<String> bare = new ArrayList<>();
                bare.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                bare.addAll(LAUNCHER_FLAGS);
                int port = DaemonLauncher.freePort();
                bare.addAll(List.of("-cp", benchJar.toString(), BareHealthServer.class.getName(), Integer.toString(port)));
                try (DaemonLauncher p = DaemonLauncher.start(bare, Map.of(), port, work.resolve("bare.log"))) {
                    bareMs.add(p.started().startMillis());
                    bareRss.add(p.started().rssKb() / 1024.0);
                }
                for (DaemonState state : List.of(empty, full)) {
                    port = DaemonLauncher.freePort();
                    try (DaemonLauncher p = DaemonLauncher.start(DaemonState.runCommand(distribution),
                            state.environment(port, upstream.tokenUrl()), port,
                            work.resolve(state.folder().getFileName() + ".log"))) {
                        (state == empty ? emptyMs : fullMs).add(p.started().startMillis());
                        (state == empty ? emptyRss : fullRss).add(p.started().rssKb() / 1024.0);
                    }
                }
                System.out.printf("    [3] run %d: bare %.0f ms %.0f MB; daemon(0) %.0f ms %.0f MB; daemon(%,d) %.0f ms %.0f MB%n",
                        r + 1, bareMs.get(r), bareRss.get(r), emptyMs.get(r), emptyRss.get(r), many, fullMs.get(r),
                        fullRss.get(r));
            }
        }
        double bm = Samples.median(bareMs);
        double br = Samples.median(bareRss);
        String flags = String.join(" ", LAUNCHER_FLAGS);
        row(table, "start to /healthz 200, 0 credentials (" + flags + ")", Samples.median(emptyMs), bm, "ms", 1000);
        row(table, "start to /healthz 200, " + String.format("%,d", many) + " credentials", Samples.median(fullMs), bm, "ms",
                1500);
        row(table, "RSS after start, 0 credentials", Samples.median(emptyRss), br, "MB", 128);
        row(table, "RSS after start, " + String.format("%,d", many) + " credentials", Samples.median(fullRss), br, "MB", 320);
    }

    private static void row(ResultTable table, String figure, double value, double baseline, String unit, double goal) {
        table.add(new ResultTable.Row("3", figure, ResultTable.fmt(value) + " " + unit,
                "bare JVM + JDK HttpServer " + ResultTable.fmt(baseline) + " " + unit, ResultTable.fmt(value / baseline),
                ResultTable.goal(value <= goal, "≤ " + ResultTable.fmt(goal) + " " + unit)));
    }
}
