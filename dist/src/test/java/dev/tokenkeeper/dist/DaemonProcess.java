package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * The real daemon, started from the assembled distribution ({@code bin/tokenkeeper run}) as a
 * separate process, with its output captured to a file so tests can read and grep it.
 */
final class DaemonProcess implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private final Path stateDir;
    private final Map<String, String> environment;
    /** Plain HTTP, or HTTPS trusting the certificates in TOKENKEEPER_TLS_CERT_FILE (leaf and CA). */
    private final HttpClient http;
    private volatile int port = -1;
    /** The Unix domain socket the daemon listens on, or null for TCP. */
    private final Path socket;
    private final Path log;
    private final List<Path> logs = new ArrayList<>();
    private Process process;

    /**
     * @param stateDir    the state folder (kept across restarts)
     * @param environment extra environment variables
     */
    DaemonProcess(Path stateDir, Map<String, String> environment) {
        this.stateDir = stateDir;
        this.environment = new HashMap<>(environment);
        this.environment.put("TOKENKEEPER_STATE_DIR", stateDir.toString());
        // The daemon binds a port the system picks and names it in <state>/listening: no port is
        // picked here and released for someone else to take before the daemon binds it.
        // TOKENKEEPER_LISTEN=unix:<path> given by the test: the daemon listens on that socket instead.
        this.socket = Optional.ofNullable(environment.get("TOKENKEEPER_LISTEN")).filter(l -> l.startsWith("unix:"))
                .map(l -> Path.of(l.substring("unix:".length()))).orElse(null);
        if (socket == null) {
            this.environment.put("TOKENKEEPER_LISTEN", "127.0.0.1:0");
        }
        this.environment.putIfAbsent("JAVA_OPTS", "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xshare:auto");
        this.log = stateDir.resolveSibling(stateDir.getFileName() + "-daemon.log");
        this.http = environment.containsKey("TOKENKEEPER_TLS_CERT_FILE")
                ? trusting(Path.of(environment.get("TOKENKEEPER_TLS_CERT_FILE"))) : HTTP;
    }

    /**
     * @param pem PEM certificates
     * @return an HTTP/1.1 client that trusts exactly those
     */
    static HttpClient trusting(Path pem) {
        try (var in = Files.newInputStream(pem)) {
            java.security.KeyStore trusted = java.security.KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int i = 0;
            for (var certificate : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("c" + i++, certificate);
            }
            var trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            var context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(context)
                    .connectTimeout(Duration.ofSeconds(2)).build();
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + pem, e);
        }
    }

    /** Margins, jitter and retry delays scaled down so tests see several refresh cycles in seconds. */
    static Map<String, String> fastRefreshSettings() {
        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER_REFRESH_MARGIN_SECONDS", "1");
        env.put("TOKENKEEPER_REFRESH_JITTER_SECONDS", "0.2");
        env.put("TOKENKEEPER_RETRY_BASE_SECONDS", "1");
        env.put("TOKENKEEPER_RETRY_MAX_SECONDS", "8");
        env.put("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0.5");
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "2");
        return env;
    }

    static Path distribution() {
        return Path.of(System.getProperty("tokenkeeper.dist", "target/tokenkeeper")).toAbsolutePath();
    }

    /** Starts the daemon and waits until it names its port and {@code /healthz} answers there. */
    DaemonProcess start() throws IOException, InterruptedException {
        Path listening = stateDir.resolve("listening");
        Files.deleteIfExists(listening); // left behind by a kill -9
        ProcessBuilder builder = new ProcessBuilder(distribution().resolve("bin/tokenkeeper").toString(), "run");
        builder.environment().putAll(environment);
        builder.redirectErrorStream(true);
        Path thisLog = log.resolveSibling(log.getFileName() + "." + logs.size());
        logs.add(thisLog);
        builder.redirectOutput(thisLog.toFile());
        process = builder.start();
        port = -1;
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                    .failFast("the daemon exited", () -> !process.isAlive())
                    .until(() -> healthy(listening));
        } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
            String why = process.isAlive() ? "did not answer /healthz within 90 s" : "exited with " + process.exitValue();
            throw new IllegalStateException("daemon " + why + ":\n" + output(), e);
        }
        return this;
    }

    private boolean healthy(Path listening) throws IOException, InterruptedException {
        if (socket != null) {
            if (!Files.exists(listening) || !Files.readString(listening, StandardCharsets.UTF_8).trim().equals("unix:" + socket)) {
                return false;
            }
            port = 0;
            return curlOverSocket("/healthz").status() == 200;
        }
        if (port < 0) {
            if (!Files.exists(listening)) {
                return false;
            }
            String address = Files.readString(listening, StandardCharsets.UTF_8).trim();
            port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        }
        try {
            HttpResponse<String> health = http.send(freshConnection(URI.create(baseUrl() + "/healthz"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return health.statusCode() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    /**
     * @return the daemon's environment for CLI commands: with the port it bound once it runs (before,
     *         {@code run} itself binds a port the system picks)
     */
    Map<String, String> cliEnvironment() {
        Map<String, String> env = new HashMap<>(environment);
        if (port >= 0 && socket == null) {
            env.put("TOKENKEEPER_LISTEN", "127.0.0.1:" + port);
        }
        return env;
    }

    /** @return the socket the daemon listens on, when started with {@code TOKENKEEPER_LISTEN=unix:<path>} */
    Optional<Path> socket() {
        return Optional.ofNullable(socket);
    }

    /**
     * {@code curl --unix-socket <socket> http://localhost<path>}, as a consumer on this machine would.
     *
     * @param path    the route
     * @param headers extra headers, e.g. {@code Authorization: Bearer ...}
     * @return the status and body
     */
    Response curlOverSocket(String path, String... headers) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "--unix-socket", socket.toString(),
                "-w", "\n%{http_code}"));
        for (String header : headers) {
            command.add("-H");
            command.add(header);
        }
        command.add("http://localhost" + path);
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!curl.waitFor(20, TimeUnit.SECONDS)) {
            curl.destroyForcibly();
            throw new IOException("curl did not finish");
        }
        int newline = out.lastIndexOf('\n');
        String code = out.substring(newline + 1).trim();
        return new Response(code.matches("\\d{3}") ? Integer.parseInt(code) : -1, newline < 0 ? out : out.substring(0, newline));
    }

    String baseUrl() {
        return (http == HTTP ? "http" : "https") + "://127.0.0.1:" + port;
    }

    /** @return the port the running daemon bound */
    int port() {
        if (port < 0) {
            throw new IllegalStateException("the daemon has not started yet");
        }
        return port;
    }

    Path stateDir() {
        return stateDir;
    }

    Process process() {
        return process;
    }

    String adminToken() throws IOException {
        return Files.readString(stateDir.resolve("admin-token")).trim();
    }

    /**
     * A request that travels on a connection of its own. A pooled connection can be closed by the
     * server (idle timeout, an unread body) at the moment the client reuses it, and the JDK client
     * retries only GET after that, so a POST would fail with "header parser received no bytes".
     * Needs {@code -Djdk.httpclient.allowRestrictedHeaders=connection} (set in dist's pom) and an
     * HTTP/1.1 client: the default h2c upgrade sends its own {@code Connection} header, and Jetty
     * answers two of them with 400.
     */
    static HttpRequest.Builder freshConnection(URI uri) {
        return HttpRequest.newBuilder(uri).header("Connection", "close");
    }

    /** An API call with the admin token. */
    Response call(String method, String path, String body) throws IOException, InterruptedException {
        return callAs(adminToken(), method, path, body);
    }

    /** An API call with another bearer token (a consumer's, or a wrong one). */
    Response callAs(String bearer, String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = freshConnection(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(response.statusCode(), response.body());
    }

    /** Runs {@code bin/tokenkeeper ARGS} as a client of this daemon. */
    Response cli(String... args) throws IOException, InterruptedException {
        return cliWithInput(null, args);
    }

    /** Runs {@code bin/tokenkeeper ARGS} as a client of this daemon with {@code stdin} (null: none) on its standard input. */
    Response cliWithInput(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(distribution().resolve("bin/tokenkeeper").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(cliEnvironment());
        builder.redirectErrorStream(true);
        Process cli = builder.start();
        try (java.io.OutputStream in = cli.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        byte[] out = cli.getInputStream().readAllBytes();
        if (!cli.waitFor(60, TimeUnit.SECONDS)) {
            cli.destroyForcibly();
            throw new IllegalStateException("CLI did not finish: " + command);
        }
        return new Response(cli.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Ends the process as {@code kill -9} does. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait. */
    int stop() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return process == null ? 0 : process.exitValue();
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    /** Everything every run of this daemon printed. */
    String output() throws IOException {
        StringBuilder all = new StringBuilder();
        for (Path file : logs) {
            if (Files.exists(file)) {
                all.append(Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        return all.toString();
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    /** An HTTP status (or CLI exit code) and body (or output). */
    record Response(int status, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }
}
