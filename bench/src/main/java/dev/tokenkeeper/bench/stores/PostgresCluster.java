package dev.tokenkeeper.bench.stores;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A local PostgreSQL 15 (Debian's {@code postgresql}) for measurement 6, with its durability
 * settings as shipped (fsync and synchronous_commit on): {@code initdb} in a temporary folder,
 * {@code pg_ctl start -w} on a free port of 127.0.0.1, {@code pg_ctl stop -m immediate} and the
 * folder deleted on {@link #close()}. PostgreSQL refuses to run as root, so as root every command
 * runs as the {@code postgres} user through {@code runuser}.
 */
public final class PostgresCluster implements AutoCloseable {

    /** Where Debian installs PostgreSQL 15; {@code TOKENKEEPER_TEST_PG_BIN} overrides it. */
    public static final Path BIN = Path.of(System.getenv().getOrDefault("TOKENKEEPER_TEST_PG_BIN",
            "/usr/lib/postgresql/15/bin"));
    private static final long COMMAND_SECONDS = 120;

    private final Path folder;
    private final int port;
    private final boolean kept;

    private PostgresCluster(Path folder, boolean kept) throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            this.port = socket.getLocalPort();
        }
        this.folder = folder;
        this.kept = kept;
    }

    /** @return whether {@code initdb} is installed where {@link #BIN} says */
    public static boolean installed() {
        return Files.isExecutable(BIN.resolve("initdb"));
    }

    /**
     * Creates a cluster and starts it.
     *
     * @return the running cluster
     * @throws IOException when the folder cannot be made
     * @throws IllegalStateException when a PostgreSQL command fails (with its output and the server log)
     */
    public static PostgresCluster start() throws IOException {
        return begin(Files.createTempDirectory(Path.of("/tmp"), "tokenkeeper-bench-pg-"), false);
    }

    /**
     * Starts the cluster kept in {@code folder}, made there first when there is none: its data
     * outlives the run ({@link #close()} stops the server and keeps the folder), so a measurement
     * that fills a million rows can fill them once for several runs.
     *
     * @param folder where the cluster lives
     * @return the running cluster
     * @throws IOException when the folder cannot be made
     * @throws IllegalStateException when a PostgreSQL command fails (with its output and the server log)
     */
    public static PostgresCluster keptIn(Path folder) throws IOException {
        return begin(Files.createDirectories(folder), true);
    }

    private static PostgresCluster begin(Path folder, boolean kept) throws IOException {
        if (asRoot()) {
            exec(List.of("chown", "postgres:postgres", folder.toString()), folder.getParent());
        }
        PostgresCluster cluster = new PostgresCluster(folder, kept);
        try {
            if (!Files.isDirectory(folder.resolve("data/global"))) {
                cluster.pg(List.of(BIN.resolve("initdb").toString(), "-D", cluster.data(), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C", "--no-sync"));
            }
            cluster.pg(List.of(BIN.resolve("pg_ctl").toString(), "-D", cluster.data(), "-l",
                    folder.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                    "-p " + cluster.port + " -k " + folder + " -c listen_addresses=127.0.0.1 -c max_connections=200"
                            + " -c shared_buffers=32MB", "start"));
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * @param schema the schema the store keeps its tables in
     * @return {@code TOKENKEEPER_POSTGRES_URL} and {@code TOKENKEEPER_POSTGRES_SCHEMA} for this cluster
     */
    public Map<String, String> settings(String schema) {
        return Map.of("TOKENKEEPER_POSTGRES_URL", "postgresql://postgres@127.0.0.1:" + port + "/postgres?sslmode=disable",
                "TOKENKEEPER_POSTGRES_SCHEMA", schema);
    }

    /** @return a JDBC URL of the {@code postgres} database, for bare SQL beside the store */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres&sslmode=disable";
    }

    /**
     * The CPU the server has used so far: its postmaster and every backend and helper process it
     * started (those that have ended are not counted), as {@link ProcessHandle} reports it (to Linux's 10
     * ms). Differences over a phase tell the database's own CPU per row or refresh.
     *
     * @return user + system nanoseconds of the server's processes, or -1 when the server's pid or a CPU time is unknown
     */
    public long cpuNanos() {
        try {
            long postmaster = Long.parseLong(Files.readAllLines(folder.resolve("data/postmaster.pid")).get(0).strip());
            Optional<ProcessHandle> server = ProcessHandle.of(postmaster);
            if (server.isEmpty()) {
                return -1;
            }
            long nanos = 0;
            for (ProcessHandle process : Stream.concat(server.stream(), server.get().children()).toList()) {
                Optional<Duration> cpu = process.info().totalCpuDuration();
                if (cpu.isEmpty() && process.isAlive()) {
                    return -1;
                }
                nanos += cpu.map(Duration::toNanos).orElse(0L);
            }
            return nanos;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Stops the server at once and deletes its folder; a kept cluster is shut down cleanly and kept. */
    @Override
    public void close() {
        if (Files.isDirectory(folder.resolve("data/global"))) {
            try {
                pg(List.of(BIN.resolve("pg_ctl").toString(), "-D", data(), "-m", kept ? "fast" : "immediate", "-w", "-t", "60",
                        "stop"));
            } catch (RuntimeException e) {
                System.out.println("could not stop PostgreSQL: " + e.getMessage());
            }
        }
        if (kept) {
            return;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.out.println("could not delete " + folder + ": " + e.getMessage());
        }
    }

    private String data() {
        return folder.resolve("data").toString();
    }

    private void pg(List<String> command) {
        List<String> full = new ArrayList<>();
        if (asRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        String output = exec(full, folder);
        if (output != null) {
            String log;
            try {
                log = Files.readString(folder.resolve("server.log"), StandardCharsets.UTF_8);
            } catch (IOException e) {
                log = "(no server log)";
            }
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output + "\n" + log);
        }
    }

    private static boolean asRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** @return null when the command succeeded, else its output */
    private static String exec(List<String> command, Path directory) {
        try {
            Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return command.get(0) + " did not finish in " + COMMAND_SECONDS + " s";
            }
            return process.exitValue() == 0 ? null : "exit " + process.exitValue() + ": " + output;
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }
}
