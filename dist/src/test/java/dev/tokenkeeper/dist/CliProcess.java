package dev.tokenkeeper.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/tokenkeeper ARGS} from the distribution, running in the background with its output
 * readable line by line while it runs (for {@code authorize}, which prints a URL and then waits).
 */
final class CliProcess implements AutoCloseable {

    private static final String END = "\u0000end";

    private final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder all = new StringBuilder();
    private final CompletableFuture<Void> reader;

    private CliProcess(Process process) {
        this.process = process;
        // A thread of its own: the common pool may be busy (or have one thread on a 2-core box).
        this.reader = CompletableFuture.runAsync(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (all) {
                        all.append(line).append('\n');
                    }
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // The process ended.
            } finally {
                lines.add(END);
            }
        }, runnable -> {
            Thread thread = new Thread(runnable, "cli-output");
            thread.setDaemon(true);
            thread.start();
        });
    }

    /**
     * @param environment the environment (the daemon's, so the CLI finds it)
     * @param args        the command line after {@code tokenkeeper}
     * @return the running CLI
     */
    static CliProcess start(Map<String, String> environment, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(DaemonProcess.distribution().resolve("bin/tokenkeeper").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        builder.redirectErrorStream(true);
        return new CliProcess(builder.start());
    }

    /** Runs to the end and returns the exit code and the whole output. */
    static DaemonProcess.Response run(Map<String, String> environment, String... args) throws Exception {
        try (CliProcess cli = start(environment, args)) {
            int status = cli.waitFor(Duration.ofSeconds(90));
            return new DaemonProcess.Response(status, cli.output());
        }
    }

    /** @return the first line starting with {@code prefix}, waiting for it */
    String awaitLineStartingWith(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line.equals(END)) {
                break;
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IllegalStateException("no line starting with '" + prefix + "' in:\n" + output());
    }

    /** @return the exit code */
    int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the CLI did not finish in " + timeout + ":\n" + output());
        }
        // The reader has taken the last lines once the process's output is at its end.
        try {
            reader.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the CLI's output was not read to its end:\n" + output(), e);
        }
        return process.exitValue();
    }

    String output() {
        synchronized (all) {
            return all.toString();
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
