package dev.tokenkeeper.bench.startup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a short command (a CLI verb, {@code java -version}) to its end and measures start to exit. */
final class CommandTimer {

    private CommandTimer() {
    }

    /**
     * @param command     the command line
     * @param environment extra environment (the launcher's default JVM flags apply: JAVA_OPTS is removed)
     * @param log         where its output goes
     * @return milliseconds from process start to exit
     * @throws IOException when it fails, exits non-zero or runs longer than a minute
     * @throws InterruptedException when interrupted
     */
    static double millis(List<String> command, Map<String, String> environment, Path log)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("JAVA_OPTS");
        builder.environment().putAll(environment);
        builder.redirectErrorStream(true);
        builder.redirectOutput(log.toFile());
        long t0 = System.nanoTime();
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not end within 60 s");
        }
        double millis = (System.nanoTime() - t0) / 1e6;
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + process.exitValue() + ": "
                    + Files.readString(log).strip());
        }
        return millis;
    }
}
