package dev.tokenkeeper.bench.startup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a process that serves {@code /healthz} (the real daemon from the distribution, or the bare
 * baseline server) and measures the time from process start to the first 200 and its resident
 * memory right after.
 */
public final class DaemonLauncher implements AutoCloseable {

    /**
     * @param startMillis process start to first {@code /healthz} 200
     * @param rssKb       VmRSS right after
     * @param cpuMillis   CPU time (user + system, all threads) it had used by then: unlike the wall
     *                    time, it hardly grows when other work shares the machine
     */
    public record Started(double startMillis, long rssKb, double cpuMillis) {
    }

    private final Process process;
    private final int port;
    private final Started started;

    private DaemonLauncher(Process process, int port, Started started) {
        this.process = process;
        this.port = port;
        this.started = started;
    }

    /**
     * @param command     the command line
     * @param environment extra environment
     * @param port        the port it will listen on
     * @param log         where its output goes
     * @return the running process, once healthy
     * @throws IOException when it cannot start or never becomes healthy
     * @throws InterruptedException when interrupted
     */
    public static DaemonLauncher start(List<String> command, Map<String, String> environment, int port, Path log)
            throws IOException, InterruptedException {
        return start(command, environment, port, log, Duration.ofSeconds(120));
    }

    /**
     * @param command     the command line
     * @param environment extra environment
     * @param port        the port it will listen on
     * @param log         where its output goes
     * @param within      how long it may take to answer {@code /healthz} with 200
     * @return the running process, once healthy
     * @throws IOException when it cannot start or is not healthy in time (it is killed then)
     * @throws InterruptedException when interrupted
     */
    public static DaemonLauncher start(List<String> command, Map<String, String> environment, int port, Path log,
                                       Duration within) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process process = launch(command, environment, log);
        long deadline = t0 + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("process exited with " + process.exitValue() + ": " + tail(log));
            }
            if (healthy(port)) {
                double millis = (System.nanoTime() - t0) / 1e6;
                double cpu = process.info().totalCpuDuration().map(d -> d.toNanos() / 1e6).orElse(Double.NaN);
                return new DaemonLauncher(process, port, new Started(millis, rssKb(process.pid()), cpu));
            }
            Thread.sleep(5);
        }
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        throw new IOException("no /healthz 200 within " + within.toSeconds() + " s: " + tail(log));
    }

    /**
     * @param command     the command line
     * @param environment extra environment
     * @param log         where its output (and errors) go
     * @return the started process
     * @throws IOException when it cannot start
     */
    static Process launch(List<String> command, Map<String, String> environment, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        // The launcher's own default flags are what is measured, unless the caller sets JAVA_OPTS.
        builder.environment().remove("JAVA_OPTS");
        builder.environment().putAll(environment);
        builder.redirectErrorStream(true);
        builder.redirectOutput(log.toFile());
        return builder.start();
    }

    /** @return start-up time and memory */
    public Started started() {
        return started;
    }

    /** @return the port */
    public int port() {
        return port;
    }

    /** @return its resident memory now, in kB */
    public long rssKb() {
        return rssKb(process.pid());
    }

    /** @return the process id */
    public long pid() {
        return process.pid();
    }

    /**
     * Kills the process at once ({@code SIGKILL}: no shutdown hook, no lease released) and waits for it.
     *
     * @throws InterruptedException when interrupted
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** @return a free loopback port */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static boolean healthy(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(2000);
            socket.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] head = socket.getInputStream().readNBytes(12);
            return new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200");
        } catch (IOException notYet) {
            return false;
        }
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", new ArrayList<>(lines.subList(Math.max(0, lines.size() - 5), lines.size())));
        } catch (IOException e) {
            return "(no output)";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
