package dev.tokenkeeper.bench.rig;

import org.tinylog.configuration.Configuration;

import java.nio.file.Path;

/**
 * Sends the in-process daemon parts' log lines to a file, synchronously and at the daemon's levels
 * (its own events at info, libraries at warning), so that logging costs what it costs in the daemon
 * without flooding the benchmark's console.
 */
public final class BenchLogging {

    private BenchLogging() {
    }

    /** @param file where the log lines go */
    public static void toFile(Path file) {
        if (Configuration.isFrozen()) {
            return;
        }
        Configuration.set("writer", "file");
        Configuration.set("writer.file", file.toString());
        Configuration.set("writer.format", "{date: HH:mm:ss.SSS} {level} {message}");
        Configuration.set("writingthread", "false");
        Configuration.set("autoshutdown", "false");
        Configuration.set("level", "info");
        for (String noisy : new String[] {"org.eclipse.jetty", "io.javalin", "org.quartz", "org.jdbi", "org.sqlite",
                "com.zaxxer", "io.micrometer"}) {
            Configuration.set("level@" + noisy, "warn");
        }
    }
}
