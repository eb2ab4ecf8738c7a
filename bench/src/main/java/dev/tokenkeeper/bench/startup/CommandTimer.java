package dev.tokenkeeper.bench.startup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a short command (a CLI verb, {@code java -version}) to its end and measures start to exit. */
final class CommandTimer {

    /** Linux's USER_HZ: the unit of the CPU times in /proc. */
    private static final double MILLIS_PER_TICK = 10;

    /**
     * @param wallMillis process start to exit
     * @param cpuMillis  its CPU time (user + system), to 10 ms
     */
    record Timed(double wallMillis, double cpuMillis) {
    }

    private CommandTimer() {
    }

    /**
     * @param command     the command line
     * @param environment extra environment (the launcher's default JVM flags apply: JAVA_OPTS is removed)
     * @param log         where its output goes
     * @return its time from start to exit, and its CPU time
     * @throws IOException when it fails, exits non-zero or runs longer than a minute
     * @throws InterruptedException when interrupted
     */
    static Timed run(List<String> command, Map<String, String> environment, Path log)
            throws IOException, InterruptedException {
        long children = reapedChildrenTicks();
        long t0 = System.nanoTime();
        Process process = DaemonLauncher.launch(command, environment, log);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not end within 60 s");
        }
        double millis = (System.nanoTime() - t0) / 1e6;
        // A child's CPU time is added to its parent's cutime/cstime when it is reaped; no other child
        // of this JVM ends meanwhile (the daemon under test keeps running).
        long cpuTicks = reapedChildrenTicks() - children;
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + process.exitValue() + ": "
                    + Files.readString(log).strip());
        }
        return new Timed(millis, cpuTicks * MILLIS_PER_TICK);
    }

    /** @return cutime + cstime of this JVM (/proc/self/stat fields 16 and 17), in ticks */
    private static long reapedChildrenTicks() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        // After "(comm)", which may hold spaces: field 3 (state) onwards.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[16 - 3]) + Long.parseLong(fields[17 - 3]);
    }
}
