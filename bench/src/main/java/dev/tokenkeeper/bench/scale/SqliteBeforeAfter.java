package dev.tokenkeeper.bench.scale;

import dev.tokenkeeper.bench.report.ResultTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Measurement 10's SQLite part (issue 26, must-show 5): one daemon on SQLite, the existing
 * measurements (1 pipeline, 4 storm, 5 scheduling; 3 start-up with {@code stored} credentials)
 * before and after, in the same run. "Before" is another checkout of tokenkeeper, built with
 * {@code ./mvnw -q package -DskipTests} (its {@code bench/target/lib} and {@code dist/target/tokenkeeper});
 * "after" is this one. Measurements 1, 4 and 5 run in child JVMs, before and after alternating (which
 * goes first alternates too), each from its own checkout's folder; measurement 3 runs once in a child
 * of this bench with {@code tokenkeeper.beforeDist}, which alternates the two distributions itself.
 * The children's tables are copied into this one, each figure marked before or after.
 *
 * @param table   where the figures go
 * @param before  the earlier checkout's root
 * @param after   this checkout's root
 * @param only    the in-process measurements to run on both sides (e.g. {@code 1,4,5})
 * @param options the system properties the children get ({@code -Dn=…}, {@code -Druns=…}, …)
 * @param rounds  how many times each side runs
 * @param work    scratch folder (the children's output)
 */
record SqliteBeforeAfter(ResultTable table, Path before, Path after, String only, List<String> options, int rounds,
                         Path work) {

    private static final long CHILD_MINUTES = 40;

    /** @throws Exception when a child cannot run or fails */
    void run() throws Exception {
        for (Path side : List.of(before, after)) {
            if (!Files.isDirectory(side.resolve("bench/target/lib")) || !Files.isExecutable(side.resolve("dist/target/tokenkeeper/bin/tokenkeeper"))) {
                throw new IllegalStateException(side + " has no built bench and distribution: run ./mvnw -q package -DskipTests there first");
            }
        }
        for (int round = 0; round < rounds; round++) {
            List<Path> order = round % 2 == 0 ? List.of(before, after) : List.of(after, before);
            for (Path side : order) {
                child(side, "round " + (round + 1) + ", ", List.of("-Donly=" + only));
            }
        }
        child(after, "", List.of("-Donly=3", "-Dtokenkeeper.beforeDist=" + before.resolve("dist/target/tokenkeeper")));
    }

    private void child(Path side, String round, List<String> measurement) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(options);
        command.addAll(measurement);
        command.addAll(List.of("-p", "bench/target/lib", "--add-modules", "ALL-MODULE-PATH", "-m", "dev.tokenkeeper.bench"));
        String name = side.equals(before) ? "before" : "after";
        Path log = Files.createTempFile(work, "sqlite-" + name + "-", ".log");
        System.out.println("    [10] SQLite " + name + " (" + side + "): " + String.join(" ", command) + " > " + log);
        Process process = new ProcessBuilder(command).directory(side.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!process.waitFor(CHILD_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("the " + name + " bench did not finish in " + CHILD_MINUTES + " minutes: see " + log);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("the " + name + " bench exited with " + process.exitValue() + ": see " + log);
        }
        for (ResultTable.Row row : rows(log)) {
            String figure = row.figure().startsWith("before:") || measurement.get(0).equals("-Donly=3")
                    ? row.figure() : "SQLite " + name + ", " + round + row.figure();
            table.add(new ResultTable.Row(row.section(), figure, row.value(), row.baseline(), row.ratio(), row.goal()));
        }
    }

    /** @return the rows of the Markdown table a bench run prints last */
    private static List<ResultTable.Row> rows(Path log) throws IOException {
        List<ResultTable.Row> rows = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (!line.startsWith("| ") || line.startsWith("| # ") || line.startsWith("| --- ")) {
                continue;
            }
            String[] cells = line.substring(2, line.length() - 2).split(" \\| ", -1);
            if (cells.length == 6) {
                rows.add(new ResultTable.Row(cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]));
            }
        }
        return rows;
    }
}
