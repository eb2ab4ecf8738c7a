package dev.tokenkeeper.dist;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SDK as a third party gets it: {@code sdk/provider-example} copied out of the assembled
 * distribution and built by a separate Maven run whose local repository starts empty and gets
 * {@code dev.tokenkeeper:api} only from {@code sdk/install.sh} (JUnit, Jackson and Maven's plugins
 * come from the build's own local repository, read-only, as from Maven Central). The jar it makes
 * goes into the real daemon's plugins folder: listed by {@code providers}, a credential imported
 * and refreshed, its upstreams checked by {@code doctor}.
 */
class SdkStandaloneBuildTest {

    private static final Pattern REFRESH = Pattern.compile("\"refresh_token\"\\s*:\\s*\"([^\"]+)\"");

    @RegisterExtension
    final Fleet fleet = new Fleet();

    private HttpServer upstream;
    private final List<String> refreshTokensSeen = new ArrayList<>();
    private final AtomicInteger issued = new AtomicInteger();

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/token", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = REFRESH.matcher(body);
            synchronized (refreshTokensSeen) {
                refreshTokensSeen.add(m.find() ? m.group(1) : "");
            }
            int n = issued.incrementAndGet();
            answer(exchange, 200, "{\"access_token\":\"sdk-access-" + n + "\",\"refresh_token\":\"sdk-refresh-" + n
                    + "\",\"expires_in\":3600}");
        });
        upstream.createContext("/api/me", exchange -> {
            exchange.getRequestBody().readAllBytes();
            answer(exchange, 200, "{}");
        });
        upstream.start();
        fleet.closeAfter(() -> upstream.stop(0));
        fleet.secrets(() -> {
            List<String> tokens = new ArrayList<>();
            for (int n = 0; n <= issued.get(); n++) {
                tokens.add("sdk-access-" + n);
                tokens.add("sdk-refresh-" + n);
            }
            return tokens;
        });
    }

    @Test
    void theExampleBuildsFromSdkAloneAndItsJarRefreshesInTheRealDaemon() throws Exception {
        Path sdk = DaemonProcess.distribution().resolve("sdk");
        assertTrue(Files.isRegularFile(sdk.resolve("install.sh")), "sdk/install.sh in " + sdk);
        Path project = fleet.temp().resolve("provider-example");
        copyTree(sdk.resolve("provider-example"), project);
        assertFalse(Files.exists(project.resolve("target")), "the sdk carries sources, not build output");

        Path repository = Files.createDirectories(fleet.temp().resolve("m2"));
        String cache = System.getProperty("tokenkeeper.m2", Path.of(System.getProperty("user.home"), ".m2",
                "repository").toString());
        List<String> maven = List.of("-Dmaven.repo.local=" + repository, "-Dmaven.repo.local.tail=" + cache);
        Path mvnw = Path.of("..", "mvnw").toAbsolutePath().normalize();

        List<String> install = new ArrayList<>(List.of("sh", sdk.resolve("install.sh").toString()));
        install.addAll(maven);
        run(install, sdk, Map.of("MVN", mvnw.toString()));
        Path installed = repository.resolve("dev/tokenkeeper/api/0.2.0-SNAPSHOT/api-0.2.0-SNAPSHOT.jar");
        assertArrayEquals(Files.readAllBytes(sdk.resolve("api/api-0.2.0-SNAPSHOT.jar")), Files.readAllBytes(installed),
                "the api in the fresh repository is sdk's");
        assertTrue(Files.exists(repository.resolve("dev/tokenkeeper/api/0.2.0-SNAPSHOT/api-0.2.0-SNAPSHOT-tests.jar")));
        assertTrue(Files.exists(repository.resolve("dev/tokenkeeper/api/0.2.0-SNAPSHOT/api-0.2.0-SNAPSHOT-sources.jar")));

        List<String> build = new ArrayList<>(List.of(mvnw.toString(), "-B", "-ntp", "package"));
        build.addAll(maven);
        String buildLog = run(build, project, Map.of());
        assertTrue(buildLog.contains("Tests run: 5, Failures: 0, Errors: 0"), "the contract kit ran:\n" + tail(buildLog));
        Path jar = project.resolve("target/provider-example-1.0.0.jar");
        assertTrue(Files.isRegularFile(jar), "the plugin jar:\n" + tail(buildLog));

        Path plugins = Files.createDirectories(fleet.temp().resolve("plugins"));
        Files.copy(jar, plugins.resolve(jar.getFileName()));
        String base = "http://127.0.0.1:" + upstream.getAddress().getPort();
        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER_PLUGIN_DIR", plugins.toString());
        env.put("DEMO_TOKEN_URL", base + "/token");
        env.put("DEMO_API_URL", base + "/api/me");
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        env.put("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");
        DaemonProcess daemon = fleet.daemon(fleet.temp().resolve("state"), env);
        DaemonProcess.Response providers = fleet.cli(daemon, "providers");
        assertEquals(0, providers.status(), providers.body());
        String demo = providers.body().lines().filter(l -> l.contains(" demo ")).findFirst().orElse(null);
        assertNotNull(demo, providers.body());
        assertTrue(demo.contains("com.example.demo") && demo.contains("plugin provider-example-1.0.0.jar"), demo);
        assertFalse(providers.body().contains("skipped"), providers.body());
        DaemonProcess.Response importHelp = fleet.cli(daemon, "import", "--help");
        assertEquals(0, importHelp.status(), importHelp.body());
        assertTrue(importHelp.body().lines().anyMatch(l -> l.matches("\\s+demo\\s+--token-json")),
                "import --help names the plugin's forms:\n" + importHelp.body());
        assertTrue(importHelp.body().lines().anyMatch(l -> l.matches("\\s+vinted\\s+--cookie, --cookie-file")),
                importHelp.body());

        daemon.start();
        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/demo:default",
                "{\"tokenJson\": {\"access_token\": \"sdk-access-0\", \"refresh_token\": \"sdk-refresh-0\","
                        + " \"expires_in\": 3600}}");
        assertEquals(201, imported.status(), imported.body());
        DaemonProcess.Response refreshed = daemon.call("POST", "/api/v1/credentials/demo:default/refresh?force=true", null);
        assertEquals(200, refreshed.status(), refreshed.body());
        synchronized (refreshTokensSeen) {
            assertEquals(List.of("sdk-refresh-0"), refreshTokensSeen, "one refresh with the imported token");
        }
        DaemonProcess.Response token = daemon.call("GET", "/api/v1/credentials/demo:default/token", null);
        assertEquals("sdk-access-1", token.json().get("token").asText(), token.body());

        DaemonProcess.Response doctor = fleet.cli(daemon, "doctor");
        String port = String.valueOf(upstream.getAddress().getPort());
        for (String setting : List.of("DEMO_TOKEN_URL", "DEMO_API_URL")) {
            assertTrue(doctor.body().lines().anyMatch(l -> l.startsWith("ok") && l.contains("upstream demo")
                    && l.contains(port) && l.contains(setting)), setting + " checked:\n" + doctor.body());
        }
        assertTrue(doctor.body().lines().anyMatch(l -> l.startsWith("ok") && l.contains("plugins")
                && l.contains("demo")), doctor.body());
        String output = daemon.output();
        assertFalse(output.contains("sdk-refresh-") || output.contains("sdk-access-"), "no token in the log");
    }

    @Test
    void theExampleCompilesAgainstTheVersionsTheDistributionCarries() throws IOException {
        String pom = Files.readString(DaemonProcess.distribution().resolve("sdk/provider-example/pom.xml"));
        Path lib = DaemonProcess.distribution().resolve("lib");
        String jackson = property(pom, "jackson.version");
        assertTrue(Files.isRegularFile(lib.resolve("jackson-databind-" + jackson + ".jar")),
                "the example's jackson.version " + jackson + " is the daemon's (lib/jackson-databind-*.jar)");
        String api = property(pom, "tokenkeeper.version");
        assertTrue(Files.isRegularFile(lib.resolve("api-" + api + ".jar")), "the example's tokenkeeper.version " + api
                + " is the distribution's api");
        assertTrue(Files.isRegularFile(DaemonProcess.distribution().resolve("sdk/api/api-" + api + "-javadoc.jar")));
        assertTrue(Files.isRegularFile(DaemonProcess.distribution().resolve("sdk/api/api-" + api + "-sources.jar")));
    }

    private static String property(String pom, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
        assertTrue(m.find(), name + " in the example's pom");
        return m.group(1).trim();
    }

    private static String run(List<String> command, Path directory, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Path log = Files.createTempFile("sdk-build", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not finish in 10 minutes:\n" + tail(Files.readString(log)));
        }
        String output = Files.readString(log);
        Files.delete(log);
        assertEquals(0, process.exitValue(), command + " failed:\n" + tail(output));
        return output;
    }

    private static String tail(String text) {
        String[] lines = text.split("\n");
        return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 60), lines.length));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
