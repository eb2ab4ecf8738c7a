package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 27: the Python and Node consumer clients (`clients/`) run their own suites (pytest, node's
 * test runner) against this daemon, built from the assembly, with the Gazelle and Vinted imitations:
 * over TCP, over HTTPS with a private CA, and over the Unix socket. A small control server lets
 * those suites revoke an access token at the imitation (the upstream's 401) and count refreshes.
 * Every output of both suites is searched for every secret issued.
 */
class ConsumerClientsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CLIENTS = Path.of(System.getProperty("user.dir")).resolveSibling("clients");
    private static final long SUITE_SECONDS = 180;

    private static final MutableClock CLOCK = MutableClock.startingNow();
    private static FakeGazelle gazelle;
    private static FakeVinted vinted;
    private static TokenkeeperExtension tcp;
    private static TokenkeeperExtension tls;
    private static TokenkeeperExtension unix;
    private static HttpServer control;
    private static Path folder;
    private static final Map<String, String> RIG = new HashMap<>();
    private static final List<String> SECRETS = new ArrayList<>();

    @BeforeAll
    static void startDaemonsAndImitations() throws Exception {
        folder = Files.createTempDirectory("tokenkeeper-clients");
        gazelle = FakeGazelle.start().clock(CLOCK);
        vinted = FakeVinted.builder().clock(CLOCK).start();
        tcp = daemon().setting("VINTED_BASE_URL", vinted.baseUrl());
        tcp.start();
        for (String account : List.of("py1", "py401", "py20", "pyx", "pydead", "node1", "node401", "node20",
                "nodedead")) {
            String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
            assertEquals(201, tcp.call("PUT", "/api/v1/credentials/gazelle:" + account, body).statusCode());
        }
        String session = vinted.newSession();
        SECRETS.add(session);
        assertEquals(201, tcp.call("PUT", "/api/v1/credentials/vinted:default",
                JSON.createObjectNode().put("cookie", session).toString()).statusCode());
        RIG.put("TK_TEST_URL", "http://127.0.0.1:" + tcp.port());
        RIG.put("TK_TEST_ADMIN_TOKEN_FILE", tcp.stateDirectory().resolve("admin-token").toString());
        RIG.put("TK_TEST_PY_CONSUMER_TOKEN_FILE", consumer("py", "gazelle:py1"));
        RIG.put("TK_TEST_NODE_CONSUMER_TOKEN_FILE", consumer("node", "gazelle:node1"));

        Path certificates = Files.createDirectories(folder.resolve("tls"));
        makeCertificates(certificates);
        tls = daemon().setting("TOKENKEEPER_TLS_CERT_FILE", certificates.resolve("server.pem").toString())
                .setting("TOKENKEEPER_TLS_KEY_FILE", certificates.resolve("server.key").toString());
        tls.start();
        seed(tls, "tls");
        RIG.put("TK_TEST_TLS_URL", "https://127.0.0.1:" + tls.port());
        RIG.put("TK_TEST_TLS_TOKEN_FILE", tls.stateDirectory().resolve("admin-token").toString());
        RIG.put("TK_TEST_CA_FILE", certificates.resolve("ca.pem").toString());

        Path socket = Files.createDirectories(folder.resolve("run")).resolve("tokenkeeper.sock");
        unix = daemon().setting("TOKENKEEPER_LISTEN", "unix:" + socket);
        unix.start();
        seed(unix, "unix");
        RIG.put("TK_TEST_UNIX_URL", "unix:" + socket);
        RIG.put("TK_TEST_UNIX_TOKEN_FILE", unix.stateDirectory().resolve("admin-token").toString());

        try (ServerSocket nobody = new ServerSocket(0)) {
            RIG.put("TK_TEST_DEAD_URL", "http://127.0.0.1:" + nobody.getLocalPort());
        }
        RIG.put("TK_TEST_GAZELLE_API", gazelle.apiUrl().toString());
        RIG.put("TK_TEST_VINTED_API", vinted.baseUrl() + "/api/v2/users/current");
        control = controlServer();
        RIG.put("TK_TEST_CONTROL", "http://127.0.0.1:" + control.getAddress().getPort());
        for (TokenkeeperExtension daemon : List.of(tcp, tls, unix)) {
            SECRETS.add(daemon.adminToken());
        }
    }

    @AfterAll
    static void stopAll() throws IOException {
        for (AutoCloseable part : new AutoCloseable[] {() -> control.stop(0), tcp::stop, tls::stop, unix::stop,
                gazelle, vinted}) {
            try {
                part.close();
            } catch (Exception e) {
                System.err.println("closing " + part + ": " + e);
            }
        }
        try (var files = Files.walk(folder)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
    }

    @Test
    void thePythonClientPassesItsSuite() throws Exception {
        Map<String, String> env = new HashMap<>(RIG);
        env.put("PYTHONPATH", CLIENTS.resolve("python").toString());
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        // Debian's python3 (where apt installs pytest, requests and httpx), not one a version manager put first on the PATH.
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        run(CLIENTS.resolve("python"), env, python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests");
    }

    @Test
    void theNodeClientPassesItsSuite() throws Exception {
        run(CLIENTS.resolve("node"), new HashMap<>(RIG), "node", "--test", "test/client.test.js");
    }

    private static TokenkeeperExtension daemon() {
        return TokenkeeperExtension.withProvider(new GazelleProvider()).provider(new VintedProvider()).clock(CLOCK)
                .settings(gazelle.settings());
    }

    private static void seed(TokenkeeperExtension daemon, String account) throws Exception {
        daemon.credentials().importSecret(CredentialId.parse("gazelle:" + account),
                new SecretInput.TokenJson(gazelle.seedChain(account)));
    }

    private static String consumer(String name, String credential) throws IOException {
        var answer = tcp.call("POST", "/api/v1/consumers", JSON.createObjectNode().put("name", name)
                .set("credentials", JSON.createArrayNode().add(credential)).toString());
        assertEquals(201, answer.statusCode(), answer.body());
        String token = JSON.readTree(answer.body()).path("token").asText();
        SECRETS.add(token);
        Path file = folder.resolve(name + "-token");
        Files.writeString(file, token + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file.toString();
    }

    private static HttpServer controlServer() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger refused = new AtomicInteger();
        server.createContext("/gazelle/", exchange -> {
            String[] parts = exchange.getRequestURI().getPath().split("/");
            if (parts.length == 3 && parts[2].equals("refreshes")) {
                answer(exchange, 200, Integer.toString(gazelle.refreshRequestCount()));
            } else if (parts.length == 4 && parts[3].equals("revoke-access")) {
                // Later than the import: a report within the daemon's minimum interval after a refresh
                // (an import counts) gets the same token back, as it should.
                tcp.advance(Duration.ofMinutes(5));
                gazelle.revokeAccessToken(parts[2]);
                answer(exchange, 200, "null");
            } else if (parts.length == 4 && parts[3].equals("revoke-chain")) {
                tcp.advance(Duration.ofMinutes(5));
                gazelle.revokeChain(parts[2]);
                answer(exchange, 200, "null");
            } else {
                answer(exchange, 404, "null");
            }
        });
        server.createContext("/later", exchange -> {
            tcp.advance(Duration.ofMinutes(5));
            answer(exchange, 200, "null");
        });
        server.createContext("/always-401/count", exchange -> answer(exchange, 200, Integer.toString(refused.get())));
        server.createContext("/always-401", exchange -> {
            refused.incrementAndGet();
            answer(exchange, 401, "{\"error\":\"invalid_token\"}");
        });
        server.start();
        return server;
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getRequestBody().readAllBytes();
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static void run(Path where, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(where.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Path output = Files.createTempFile(folder, "suite", ".txt");
        builder.redirectOutput(output.toFile());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            fail(command[0] + " is not installed: the client suites need python3 with python3-pytest, python3-requests, "
                    + "python3-httpx, and nodejs 18+ (.ci/run installs them)");
            return;
        }
        boolean ended = process.waitFor(SUITE_SECONDS, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String text = Files.readString(output);
        List<String> secrets = new ArrayList<>(SECRETS);
        secrets.addAll(gazelle.allIssuedSecrets());
        String shown = text;
        List<String> leaked = new ArrayList<>();
        for (String secret : secrets) {
            if (!secret.isEmpty() && shown.contains(secret)) {
                leaked.add(secret.substring(0, Math.min(4, secret.length())) + "… (" + secret.length() + " chars)");
                shown = shown.replace(secret, "<secret>");
            }
        }
        String log = tcp.log();
        for (String secret : secrets) {
            if (!secret.isEmpty() && log.contains(secret)) {
                leaked.add("daemon log: " + secret.substring(0, Math.min(4, secret.length())) + "…");
            }
        }
        System.out.println(String.join(" ", command) + ":\n" + shown);
        assertTrue(ended, String.join(" ", command) + " did not end within " + SUITE_SECONDS + " s:\n" + shown);
        assertEquals(List.of(), leaked, "secrets in the suite's output or the daemon's log");
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed:\n" + shown);
    }

    private static void makeCertificates(Path in) throws Exception {
        Files.writeString(in.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                + "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
        openssl(in, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=tokenkeeper test CA", "-days", "2");
        openssl(in, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
        openssl(in, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
        Files.setPosixFilePermissions(in.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
    }

    private static void openssl(Path in, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(in.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0, "openssl: " + output);
    }
}
