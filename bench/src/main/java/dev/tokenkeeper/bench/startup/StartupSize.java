package dev.tokenkeeper.bench.startup;

import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.report.Samples;
import dev.tokenkeeper.bench.upstream.InstantUpstream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Measurement 3: process start to {@code /healthz} 200 and VmRSS right after, for the real daemon
 * ({@code bin/tokenkeeper run}, the launcher's default JVM flags) with 0 and with many stored
 * credentials, against a bare JVM with the same flags serving only {@code /healthz}; the CLI's start
 * to exit ({@code tokenkeeper status} against the running daemon, after one unmeasured status, and
 * {@code tokenkeeper --help}) against
 * that same bare JVM's start, with {@code java -version} beside it; optionally an earlier distribution
 * too, in the same run (what a change to {@code lib/} or the launcher did to start-up and memory).
 */
public final class StartupSize {

    /**
     * The launcher's default flags (dist/src/dist/bin/tokenkeeper), used for the baseline too; the
     * launcher adds its AppCDS archive (lib/tokenkeeper.jsa) on top, the baseline keeps the JDK's.
     */
    public static final List<String> LAUNCHER_FLAGS = List.of("-Xmx256m", "-Xms16m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1");

    private StartupSize() {
    }

    /**
     * @param table        where the figures go
     * @param work         scratch folder
     * @param distribution the assembled distribution
     * @param before       an earlier distribution (e.g. a copy of an older build) measured in the same run,
     *                     alternating with {@code distribution}, or empty
     * @param benchJar     this jar (for the baseline)
     * @param many         the larger credential count
     * @param runs         starts of each kind
     * @throws Exception when a process fails
     */
    public static void run(ResultTable table, Path work, Path distribution, Optional<Path> before, Path benchJar,
            int many, int runs) throws Exception {
        DaemonState empty = DaemonState.prepare(work.resolve("start-0"), 0);
        long fill = System.nanoTime();
        DaemonState full = DaemonState.prepare(work.resolve("start-" + many), many);
        System.out.printf("    [3] pre-filled %,d sealed credentials in %.1f s%n", many, (System.nanoTime() - fill) / 1e9);
        List<Path> subjects = new ArrayList<>();
        before.ifPresent(subjects::add);
        subjects.add(distribution);
        List<Double> bareMs = new ArrayList<>();
        List<Double> bareRss = new ArrayList<>();
        List<Double> bareCpu = new ArrayList<>();
        List<Double> versionMs = new ArrayList<>();
        List<Double> versionCpu = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Map<Path, Figures> figures = new LinkedHashMap<>();
        subjects.forEach(d -> figures.put(d, new Figures()));
        try (InstantUpstream upstream = InstantUpstream.start(Duration.ZERO, 3600)) {
            for (int r = 0; r < runs; r++) {
                List<String> bare = new ArrayList<>();
                bare.add(java);
                bare.addAll(LAUNCHER_FLAGS);
                int port = DaemonLauncher.freePort();
                bare.addAll(List.of("-cp", benchJar.toString(), BareHealthServer.class.getName(), Integer.toString(port)));
                try (DaemonLauncher p = DaemonLauncher.start(bare, Map.of(), port, work.resolve("bare.log"))) {
                    bareMs.add(p.started().startMillis());
                    bareRss.add(p.started().rssKb() / 1024.0);
                    bareCpu.add(p.started().cpuMillis());
                }
                List<String> version = new ArrayList<>(List.of(java));
                version.addAll(LAUNCHER_FLAGS);
                version.add("-version");
                CommandTimer.Timed versionRun = CommandTimer.run(version, Map.of(), work.resolve("version.log"));
                versionMs.add(versionRun.wallMillis());
                versionCpu.add(versionRun.cpuMillis());
                // Which distribution goes first alternates, so neither always meets a cold page cache.
                List<Path> order = new ArrayList<>(subjects);
                if (r % 2 == 1) {
                    Collections.reverse(order);
                }
                for (Path subject : order) {
                    Figures f = figures.get(subject);
                    for (DaemonState state : List.of(empty, full)) {
                        port = DaemonLauncher.freePort();
                        Map<String, String> environment = state.environment(port, upstream.tokenUrl());
                        try (DaemonLauncher p = DaemonLauncher.start(DaemonState.runCommand(subject), environment, port,
                                work.resolve(state.folder().getFileName() + ".log"))) {
                            (state == empty ? f.emptyMs : f.fullMs).add(p.started().startMillis());
                            (state == empty ? f.emptyRss : f.fullRss).add(p.started().rssKb() / 1024.0);
                            if (state == empty) {
                                f.emptyCpu.add(p.started().cpuMillis());
                                // The daemon's first answers are slow (its own classes and JIT): one
                                // unmeasured status first, so that the figure is the CLI's, not that.
                                CommandTimer.run(DaemonState.command(subject, "status"), environment,
                                        work.resolve("status.log"));
                                CommandTimer.Timed status = CommandTimer.run(DaemonState.command(subject, "status"),
                                        environment, work.resolve("status.log"));
                                f.statusMs.add(status.wallMillis());
                                f.statusCpu.add(status.cpuMillis());
                                CommandTimer.Timed help = CommandTimer.run(DaemonState.command(subject, "--help"),
                                        environment, work.resolve("help.log"));
                                f.helpMs.add(help.wallMillis());
                                f.helpCpu.add(help.cpuMillis());
                            }
                        }
                    }
                    System.out.printf("    [3] run %d, %s: bare %.0f ms %.0f MB; daemon(0) %.0f ms %.0f MB;"
                                    + " daemon(%,d) %.0f ms %.0f MB; status %.0f ms, --help %.0f ms, java -version %.0f ms;"
                                    + " CPU: bare %.0f, daemon(0) %.0f, status %.0f, --help %.0f ms%n",
                            r + 1, subject, bareMs.get(r), bareRss.get(r), f.emptyMs.get(r), f.emptyRss.get(r), many,
                            f.fullMs.get(r), f.fullRss.get(r), f.statusMs.get(r), f.helpMs.get(r), versionMs.get(r),
                            bareCpu.get(r), f.emptyCpu.get(r), f.statusCpu.get(r), f.helpCpu.get(r));
                }
            }
        }
        double bm = Samples.median(bareMs);
        double br = Samples.median(bareRss);
        String flags = String.join(" ", LAUNCHER_FLAGS);
        for (Path subject : subjects) {
            Figures f = figures.get(subject);
            String lib = before.isEmpty() ? "" : ", " + (subject.equals(distribution) ? "" : "before: ") + libSummary(subject);
            row(table, "start to /healthz 200, 0 credentials (" + flags + ")" + lib, Samples.median(f.emptyMs), bm, "ms",
                    1000);
            ratioRow(table, "start to /healthz 200, 0 credentials, against the bare JVM" + lib,
                    Samples.median(f.emptyMs), bm, 4);
            ratioRow(table, "`tokenkeeper status` start to exit, daemon running (0 credentials)" + lib,
                    Samples.median(f.statusMs), bm, 2.5);
            ratioRow(table, "`tokenkeeper --help` start to exit" + lib, Samples.median(f.helpMs), bm, 2.5);
            double bc = Samples.median(bareCpu);
            ratioRow(table, "CPU time to /healthz 200, 0 credentials" + lib, Samples.median(f.emptyCpu), bc, 4);
            ratioRow(table, "CPU time of `tokenkeeper status`" + lib, Samples.median(f.statusCpu), bc, 2.5);
            ratioRow(table, "CPU time of `tokenkeeper --help`" + lib, Samples.median(f.helpCpu), bc, 2.5);
            row(table, "start to /healthz 200, " + String.format("%,d", many) + " credentials" + lib,
                    Samples.median(f.fullMs), bm, "ms", 1500);
            row(table, "RSS after start, 0 credentials" + lib, Samples.median(f.emptyRss), br, "MB", 128);
            row(table, "RSS after start, " + String.format("%,d", many) + " credentials" + lib,
                    Samples.median(f.fullRss), br, "MB", 320);
        }
        double vm = Samples.median(versionMs);
        table.add(new ResultTable.Row("3", "`java -version` with the launcher's flags (for scale)", ResultTable.fmt(vm)
                + " ms (CPU " + ResultTable.fmt(Samples.median(versionCpu)) + " ms)", "bare JVM + JDK HttpServer "
                + ResultTable.fmt(bm) + " ms (CPU " + ResultTable.fmt(Samples.median(bareCpu)) + " ms)",
                ResultTable.fmt(vm / bm), ""));
    }

    /** @return "lib/ N jars, X MB" of a distribution (jars only, not the AppCDS archive) */
    static String libSummary(Path distribution) throws IOException {
        try (Stream<Path> files = Files.list(distribution.resolve("lib"))) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().endsWith(".jar")).toList();
            long bytes = 0;
            for (Path jar : jars) {
                bytes += Files.size(jar);
            }
            return String.format("lib/ %d jars, %.1f MB", jars.size(), bytes / 1e6);
        }
    }

    private record Figures(List<Double> emptyMs, List<Double> emptyRss, List<Double> fullMs, List<Double> fullRss,
                           List<Double> emptyCpu, List<Double> statusMs, List<Double> statusCpu, List<Double> helpMs,
                           List<Double> helpCpu) {
        Figures() {
            this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                    new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }
    }

    /** A time (wall or CPU) whose goal is a multiple of the bare JVM's start. */
    private static void ratioRow(ResultTable table, String figure, double value, double baseline, double most) {
        table.add(new ResultTable.Row("3", figure, ResultTable.fmt(value) + " ms",
                "bare JVM + JDK HttpServer " + ResultTable.fmt(baseline) + " ms", ResultTable.fmt(value / baseline),
                ResultTable.goal(value / baseline <= most, "≤ " + ResultTable.fmt(most) + "× bare")));
    }

    private static void row(ResultTable table, String figure, double value, double baseline, String unit, double goal) {
        table.add(new ResultTable.Row("3", figure, ResultTable.fmt(value) + " " + unit,
                "bare JVM + JDK HttpServer " + ResultTable.fmt(baseline) + " " + unit, ResultTable.fmt(value / baseline),
                ResultTable.goal(value <= goal, "≤ " + ResultTable.fmt(goal) + " " + unit)));
    }
}
