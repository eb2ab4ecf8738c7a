package dev.tokenkeeper.store.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL (Debian's {@code postgresql} 15) for tests: {@code initdb} in a temporary
 * folder, started with {@code pg_ctl} on a free port of 127.0.0.1 (trust authentication, the
 * socket in the same folder), waited for with {@code pg_isready}, and stopped with
 * {@code pg_ctl stop -m immediate} afterwards (and by a shutdown hook if the JVM ends first).
 * PostgreSQL refuses to run as root, so when the tests run as root (CI) every command runs as the
 * {@code postgres} user through {@code runuser}, in a folder given to that user.
 *
 * <p>Use it as an extension, {@code @RegisterExtension static final PostgresServer POSTGRES = new PostgresServer();},
 * (started before the class's tests, stopped after), or with {@link #start()} and {@link #close()}.
 * {@link #restart()} stops and starts the same cluster on the same port, for outage tests.
 */
public final class PostgresServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    /** Where Debian installs PostgreSQL 15; {@code TOKENKEEPER_TEST_PG_BIN} overrides it. */
    public static final Path DEFAULT_BIN = Path.of("/usr/lib/postgresql/15/bin");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private final Path bin;
    private Path folder;
    private int port;
    private Thread shutdownHook;
    private boolean running;
    private boolean durable;

    /** A server that starts when {@link #start()} (or the extension) says so. */
    public PostgresServer() {
        String override = System.getenv("TOKENKEEPER_TEST_PG_BIN");
        this.bin = override == null || override.isBlank() ? DEFAULT_BIN : Path.of(override);
    }

    /**
     * Keeps PostgreSQL's durability settings (fsync on), for benchmarks that compare it with a store
     * that flushes; tests leave fsync off, which still survives a killed server (not a power loss).
     *
     * @return this server, not started yet
     */
    public PostgresServer durable() {
        this.durable = true;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /**
     * Creates the cluster and starts it.
     *
     * @return this server
     * @throws IllegalStateException when PostgreSQL is not installed or does not start (with its log)
     */
    public synchronized PostgresServer start() {
        if (running) {
            return this;
        }
        if (!Files.isExecutable(bin.resolve("initdb"))) {
            throw new IllegalStateException("PostgreSQL 15 is not installed (no " + bin.resolve("initdb")
                    + "): apt-get install -y postgresql (.ci/run does this)");
        }
        try {
            folder = Files.createTempDirectory(Path.of("/tmp"), "tokenkeeper-pg-");
            giveToPostgres(folder);
            run(List.of(bin.resolve("initdb").toString(), "-D", data().toString(), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"));
            shutdownHook = new Thread(this::stopQuietly, "postgres-test-stop");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            // PostgreSQL cannot name a port the system picked: a free one is picked here, and taken by
            // someone else before the server binds it now and then; then another one is picked.
            for (int attempt = 1; ; attempt++) {
                port = freePort();
                try {
                    pgStart();
                    return this;
                } catch (IllegalStateException e) {
                    if (attempt >= 5 || !e.getMessage().contains("already in use")) {
                        throw e;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare a PostgreSQL test folder", e);
        }
    }

    /** Stops the server at once (like a crash) and starts it again on the same port and data. */
    public synchronized void restart() {
        stopServer("immediate");
        pgStart();
    }

    /** Stops the server at once, keeping its data, until {@link #startAgain()}. */
    public synchronized void stopServer() {
        stopServer("immediate");
    }

    /** Starts the server again after {@link #stopServer()}. */
    public synchronized void startAgain() {
        pgStart();
    }

    /** @return the cluster's data folder (for tests that read the database's bytes on disk) */
    public Path dataDirectory() {
        return data();
    }

    /** @return the port it listens on, on 127.0.0.1 */
    public int port() {
        return port;
    }

    /**
     * @param database a database name
     * @return a {@code postgresql://} URI as hosts print them, for {@code TOKENKEEPER_POSTGRES_URL}
     */
    public String uri(String database) {
        return "postgresql://postgres@127.0.0.1:" + port + "/" + database + "?sslmode=disable";
    }

    /** @return a JDBC URL of the {@code postgres} database, with the user */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres&sslmode=disable";
    }

    /** @return a schema name no other test of this JVM used, for fresh empty storage */
    public static String freshSchema() {
        return "tk_test_" + SCHEMAS.incrementAndGet();
    }

    /**
     * The settings a store needs to use this server, in a schema of its own.
     *
     * @param schema the schema, e.g. from {@link #freshSchema()}
     * @return {@code TOKENKEEPER_POSTGRES_URL} and {@code TOKENKEEPER_POSTGRES_SCHEMA}
     */
    public Map<String, String> settings(String schema) {
        return Map.of("TOKENKEEPER_POSTGRES_URL", uri("postgres"), "TOKENKEEPER_POSTGRES_SCHEMA", schema);
    }

    /**
     * Runs SQL as the superuser, for tests that look into or change the database behind a store.
     *
     * @param sql statements
     */
    public void execute(String sql) {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
    }

    /**
     * @return a new superuser connection to the {@code postgres} database; the caller closes it
     * @throws SQLException when the server does not answer
     */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl());
    }

    /** Stops the server and deletes its folder. Safe to call twice. */
    @Override
    public synchronized void close() {
        stopQuietly();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or ran
            }
            shutdownHook = null;
        }
        if (folder != null) {
            try (Stream<Path> files = Files.walk(folder)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                // a temporary folder left behind
            }
            folder = null;
        }
    }

    private void stopQuietly() {
        try {
            stopServer("immediate");
        } catch (RuntimeException e) {
            // stopping anyway
        }
    }

    private void pgStart() {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-l", folder.resolve("server.log").toString(),
                "-w", "-t", String.valueOf(START_TIMEOUT.toSeconds()),
                "-o", "-p " + port + " -k " + folder + " -c listen_addresses=127.0.0.1" + (durable ? "" : " -c fsync=off")
                        + " -c max_connections=200"
                        + " -c shared_buffers=32MB",
                "start"));
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            int ready = exitCode(List.of(bin.resolve("pg_isready").toString(), "-h", "127.0.0.1", "-p",
                    String.valueOf(port), "-t", "5"));
            if (ready == 0) {
                running = true;
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("PostgreSQL did not become ready in " + START_TIMEOUT + ":\n" + log());
            }
            try {
                Thread.sleep(100);  // polling an external process, bounded by the deadline above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for PostgreSQL", e);
            }
        }
    }

    private synchronized void stopServer(String mode) {
        if (!running || folder == null) {
            return;
        }
        running = false;
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", mode, "-w", "-t", "60", "stop"));
    }

    private Path data() {
        return folder.resolve("data");
    }

    /** @return the server's log, for failure messages */
    public String log() {
        try {
            return Files.readString(folder.resolve("server.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no server log: " + e.getMessage() + ")";
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void giveToPostgres(Path path) {
        if (root()) {
            exec(List.of("chown", "postgres:postgres", path.toString()), path.getParent());
        }
    }

    private void run(List<String> command) {
        Result result = execAs(command);
        if (result.exit() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with " + result.exit() + ":\n"
                    + result.output() + (command.get(0).endsWith("pg_ctl") ? "\n" + log() : ""));
        }
    }

    private int exitCode(List<String> command) {
        return execAs(command).exit();
    }

    private Result execAs(List<String> command) {
        List<String> full = new ArrayList<>();
        if (root()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        return exec(full, folder);
    }

    private record Result(int exit, String output) {
    }

    private static Result exec(List<String> command, Path directory) {
        try {
            Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, command.get(0) + " did not finish in 120 s");
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
