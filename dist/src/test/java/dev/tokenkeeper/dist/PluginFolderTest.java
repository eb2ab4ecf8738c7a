package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugins folder as the daemon and the CLI meet it.
 * <ul>
 * <li>One folder as an operator's may look after a few installs: a third-party provider compiled here
 * against the api jar only ({@code echo}, refreshing against a local HTTP server), a provider whose
 * constructor leaves a marker file (proof that a jar's code ran), and one broken jar of each kind. The
 * CLI lists the good ones next to the bundled ones; {@code providers}, {@code doctor} and the real
 * daemon's start-up log name each broken jar's cause exactly once, on one line with the jar; and the
 * daemon imports, refreshes and serves a credential through the third-party provider.</li>
 * <li>A plugins folder or jar another local user controls is refused by every command that loads
 * plugins ({@code run}, {@code providers}, {@code doctor}, {@code import --help}), with the path, what
 * is wrong and what to do; and the planted jar's code never runs: its marker stays absent.</li>
 * </ul>
 */
@Execution(ExecutionMode.CONCURRENT)
class PluginFolderTest {

    @RegisterExtension
    static final Fleet fleet = new Fleet();

    private static final String MODULE_INFO = """
            module com.example.echo {
                requires dev.tokenkeeper.api;
                requires java.net.http;
                provides dev.tokenkeeper.api.TokenProvider with com.example.echo.EchoProvider;
            }
            """;

    /** Written without backslashes: a quote is {@code Q}, so the text block needs no escaping. */
    private static final String PROVIDER = """
            package com.example.echo;

            import dev.tokenkeeper.api.ImportedSecret;
            import dev.tokenkeeper.api.InvalidSecretException;
            import dev.tokenkeeper.api.IssuedSecret;
            import dev.tokenkeeper.api.PluginContext;
            import dev.tokenkeeper.api.Presentation;
            import dev.tokenkeeper.api.RefreshResult;
            import dev.tokenkeeper.api.SecretInput;
            import dev.tokenkeeper.api.SecretMaterial;
            import dev.tokenkeeper.api.TokenProvider;
            import dev.tokenkeeper.api.ValidationResult;
            import dev.tokenkeeper.api.FailureKind;

            import java.net.URI;
            import java.net.http.HttpClient;
            import java.net.http.HttpRequest;
            import java.net.http.HttpResponse;
            import java.time.Clock;
            import java.time.Duration;
            import java.time.Instant;
            import java.util.Map;
            import java.util.Optional;

            public final class EchoProvider implements TokenProvider {

                private static final String Q = String.valueOf((char) 34);
                private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                private String url = "http://127.0.0.1:1/token";
                private Clock clock = Clock.systemUTC();

                @Override
                public String id() {
                    return "echo";
                }

                @Override
                public String description() {
                    return "Echo test provider";
                }

                @Override
                public void configure(PluginContext context) {
                    url = context.setting("ECHO_URL", url);
                    clock = context.clock();
                }

                @Override
                public ImportedSecret importSecret(SecretInput input) throws InvalidSecretException {
                    if (!(input instanceof SecretInput.TokenJson json)) {
                        throw new InvalidSecretException("echo takes token-json only");
                    }
                    String access = field(json.json(), "access");
                    String refresh = field(json.json(), "refresh");
                    if (access == null || refresh == null) {
                        throw new InvalidSecretException("token json needs access and refresh");
                    }
                    Instant now = clock.instant();
                    return ImportedSecret.of(new IssuedSecret(material(access, refresh), now,
                            Optional.of(now.plusSeconds(3600)), Optional.empty()));
                }

                @Override
                public ValidationResult validate(SecretMaterial secret) {
                    return new ValidationResult.Accepted();
                }

                @Override
                public RefreshResult refresh(SecretMaterial secret) {
                    String body = "{" + Q + "refresh" + Q + ":" + Q + secret.require("refresh") + Q + "}";
                    try {
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(5))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 200) {
                            return new RefreshResult.PermanentFailure("echo answered " + response.statusCode());
                        }
                        String access = field(response.body(), "access");
                        String refresh = field(response.body(), "refresh");
                        String expiresIn = field(response.body(), "expires_in");
                        if (access == null || refresh == null) {
                            return new RefreshResult.PermanentFailure("echo answered without tokens");
                        }
                        Instant now = clock.instant();
                        long lifetime = expiresIn == null ? 3600 : Long.parseLong(expiresIn);
                        return new RefreshResult.Refreshed(new IssuedSecret(material(access, refresh), now,
                                Optional.of(now.plusSeconds(lifetime)), Optional.empty()));
                    } catch (java.io.IOException e) {
                        return RefreshResult.TransientFailure.of(FailureKind.NETWORK, "echo unreachable");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return RefreshResult.TransientFailure.of(FailureKind.NETWORK, "interrupted");
                    }
                }

                @Override
                public Presentation present(SecretMaterial secret) {
                    String access = secret.require("access");
                    return new Presentation(access, Map.of("Authorization", "Bearer " + access));
                }

                private static SecretMaterial material(String access, String refresh) {
                    return new SecretMaterial(Map.of("access", access, "refresh", refresh));
                }

                /** The value of a top-level key of a flat JSON object: a string or a bare number. */
                static String field(String json, String key) {
                    int at = json.indexOf(Q + key + Q);
                    if (at < 0) {
                        return null;
                    }
                    int colon = json.indexOf(':', at + key.length() + 2);
                    if (colon < 0) {
                        return null;
                    }
                    int i = colon + 1;
                    while (i < json.length() && Character.isWhitespace(json.charAt(i))) {
                        i++;
                    }
                    if (i >= json.length()) {
                        return null;
                    }
                    if (json.charAt(i) == '"') {
                        int end = json.indexOf('"', i + 1);
                        return end < 0 ? null : json.substring(i + 1, end);
                    }
                    int end = i;
                    while (end < json.length() && ",} ".indexOf(json.charAt(end)) < 0) {
                        end++;
                    }
                    return json.substring(i, end).trim();
                }
            }
            """;

    /** Each broken jar in the mixed folder, and the cause every listing must give for it. */
    private static final Map<String, String> CAUSES = new LinkedHashMap<>();

    static {
        CAUSES.put("ghost.jar", "Package com.example.ghost not found in module");
        CAUSES.put("boom.jar", "BOOM_URL is not set");
        CAUSES.put("corrupt.jar", "zip END header not found");
        CAUSES.put("needy.jar", "Module com.example.absent not found");
        CAUSES.put("twin.jar", "duplicate id 'gazelle'");
        CAUSES.put("bad-id.jar", "invalid provider id 'Bad_Id'");
    }

    /** The echo provider's upstream: every refresh token it got, and how many pairs it issued. */
    private static final List<String> receivedRefreshTokens = Collections.synchronizedList(new ArrayList<>());
    private static final AtomicInteger issued = new AtomicInteger();
    private static HttpServer echoServer;

    @BeforeAll
    static void startEchoServer() throws IOException {
        echoServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        echoServer.createContext("/token", exchange -> {
            byte[] answer;
            int status;
            try {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (!"POST".equals(exchange.getRequestMethod())) {
                    status = 405;
                    answer = "{}".getBytes(StandardCharsets.UTF_8);
                } else {
                    JsonNode json = DaemonProcess.JSON.readTree(body);
                    receivedRefreshTokens.add(json.path("refresh").asText(null));
                    int n = issued.incrementAndGet();
                    status = 200;
                    answer = ("{\"access\":\"echo-access-" + n + "\",\"refresh\":\"echo-refresh-" + n
                            + "\",\"expires_in\":3600}").getBytes(StandardCharsets.UTF_8);
                }
            } catch (RuntimeException e) {
                status = 400;
                answer = "{}".getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        echoServer.start();
        fleet.closeAfter(() -> echoServer.stop(0));
        fleet.secrets(() -> {
            List<String> tokens = new ArrayList<>();
            for (int n = 0; n <= issued.get(); n++) {
                tokens.add("echo-access-" + n);
                tokens.add("echo-refresh-" + n);
            }
            return tokens;
        });
    }

    private static String echoUrl() {
        return "http://127.0.0.1:" + echoServer.getAddress().getPort() + "/token";
    }

    /** A provider whose constructor leaves {@code marker}: proof that the jar's code ran. */
    private static Path plantedJar(Path jar, Path marker) throws Exception {
        Path work = Files.createTempDirectory(fleet.temp(), "build");
        PluginJars.build(work, jar, Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.planted", "com.example.planted.Planted"),
                "com/example/planted/Planted.java", PluginJars.provider("com.example.planted", "Planted", "planted",
                        "try { java.nio.file.Files.writeString(java.nio.file.Path.of(\"" + marker
                                + "\"), \"ran\"); } catch (java.io.IOException e) { throw new IllegalStateException(e); }")),
                entry -> true);
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        return jar;
    }

    /** One broken jar of each kind in {@link #CAUSES}. */
    private static void brokenJars(Path plugins) throws Exception {
        Path work = fleet.folder("broken-builds");
        PluginJars.build(work.resolve("ghost"), plugins.resolve("ghost.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.ghost", "com.example.ghost.Ghost"),
                "com/example/ghost/Ghost.java", PluginJars.provider("com.example.ghost", "Ghost", "ghost", "")),
                entry -> !entry.startsWith("com/example/ghost/"));
        PluginJars.build(work.resolve("boom"), plugins.resolve("boom.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.boom", "com.example.boom.Boom"),
                "com/example/boom/Boom.java", PluginJars.provider("com.example.boom", "Boom", "boom",
                        "throw new IllegalStateException(\"BOOM_URL is not set\");")), entry -> true);
        byte[] garbage = new byte[4096];
        new Random(7).nextBytes(garbage);
        Files.write(plugins.resolve("corrupt.jar"), garbage);
        Path absent = PluginJars.build(work.resolve("absent"), work.resolve("absent.jar"), Map.of(
                "module-info.java", "module com.example.absent { exports com.example.absent; }",
                "com/example/absent/Helper.java", "package com.example.absent; public final class Helper { }"),
                entry -> true);
        PluginJars.build(work.resolve("needy"), plugins.resolve("needy.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.needy", "com.example.needy.Needy",
                        "com.example.absent"),
                "com/example/needy/Needy.java", PluginJars.provider("com.example.needy", "Needy", "needy", "")),
                entry -> true, List.of(absent));
        PluginJars.build(work.resolve("twin"), plugins.resolve("twin.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.twin", "com.example.twin.Twin"),
                "com/example/twin/Twin.java", PluginJars.provider("com.example.twin", "Twin", "gazelle", "")),
                entry -> true);
        PluginJars.build(work.resolve("bad-id"), plugins.resolve("bad-id.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.badid", "com.example.badid.BadId"),
                "com/example/badid/BadId.java", PluginJars.provider("com.example.badid", "BadId", "Bad_Id", "")),
                entry -> true);
    }

    @Test
    void aFolderOfGoodAndBrokenJarsTheCliAndTheDaemonLoadTheGoodOnesNameEachCauseOnceAndRefreshThroughAThirdPartyProvider()
            throws Exception {
        Path plugins = fleet.folder("mixed/plugins");
        Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxr-xr-x"));
        PluginJars.build(fleet.folder("echo-build"), plugins.resolve("echo-provider.jar"),
                Map.of("module-info.java", MODULE_INFO, "com/example/echo/EchoProvider.java", PROVIDER), entry -> true,
                List.of(), "1.2.3");
        Path marker = fleet.temp().resolve("mixed/planted-ran");
        plantedJar(plugins.resolve("planted.jar"), marker);
        brokenJars(plugins);

        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER_PLUGIN_DIR", plugins.toString());
        env.put("ECHO_URL", echoUrl());
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        env.put("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");
        DaemonProcess daemon = fleet.daemon(fleet.temp().resolve("mixed/state"), env);

        // The CLI lists plugins without a daemon.
        DaemonProcess.Response providers = fleet.cli(daemon, "providers");
        assertEquals(0, providers.status(), providers.body());
        String listing = providers.body();
        String echoLine = line(listing, " echo ");
        assertNotNull(echoLine, "echo is listed:\n" + listing);
        assertTrue(echoLine.contains("com.example.echo@1.2.3"), "module and version:\n" + listing);
        assertTrue(echoLine.contains("plugin echo-provider.jar"), "its jar:\n" + listing);
        for (String bundled : List.of("gazelle", "vinted", "sqlite")) {
            String bundledLine = line(listing, " " + bundled + " ");
            assertNotNull(bundledLine, bundled + " is still listed:\n" + listing);
            assertTrue(bundledLine.contains("bundled"), bundled + " is bundled:\n" + listing);
        }
        assertTrue(listing.lines().anyMatch(l -> l.contains("skipped") && l.contains("corrupt.jar")),
                "the corrupt jar is reported:\n" + listing);
        assertFalse(listing.contains("echo-provider.jar:"), "the good jar is not skipped:\n" + listing);
        assertTrue(listing.lines().anyMatch(l -> l.startsWith("provider") && l.contains("planted")), listing);
        assertTrue(listing.lines().noneMatch(l -> l.startsWith("provider") && l.contains("Bad_Id")),
                "not listed as a provider:\n" + listing);
        assertTrue(Files.exists(marker), "the marker shows that the jar's code ran");
        CAUSES.forEach((jar, cause) -> assertOnceOnOneLine("providers", listing, jar, cause));

        DaemonProcess.Response doctor = fleet.cli(daemon, "doctor");
        assertTrue(doctor.body().contains("ok   plugins") && doctor.body().contains("planted"), doctor.body());
        CAUSES.forEach((jar, cause) -> assertOnceOnOneLine("doctor", doctor.body(), jar, cause));

        // The daemon loads the same jars, says the same once, and imports, refreshes and serves through echo.
        Files.delete(marker);
        daemon.start();
        assertTrue(Files.exists(marker), "the daemon loaded the jar");
        assertTrue(javaArguments(daemon).contains("--module-path"),
                "with plugin jars the launcher starts on the module path: " + javaArguments(daemon));
        String startUp = daemon.output();
        CAUSES.forEach((jar, cause) -> assertOnceOnOneLine("start-up log", startUp, jar, cause));
        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/echo:default",
                "{\"tokenJson\": {\"access\": \"echo-access-0\", \"refresh\": \"echo-refresh-0\"}}");
        assertEquals(201, imported.status(), imported.body());
        DaemonProcess.Response before = daemon.call("GET", "/api/v1/credentials/echo:default/token", null);
        assertEquals(200, before.status(), before.body());
        assertEquals("echo-access-0", before.json().get("token").asText());

        DaemonProcess.Response refreshed = daemon.call("POST", "/api/v1/credentials/echo:default/refresh?force=true", null);
        assertEquals(200, refreshed.status(), refreshed.body());
        assertEquals(List.of("echo-refresh-0"), List.copyOf(receivedRefreshTokens),
                "exactly one refresh, with the imported refresh token");

        DaemonProcess.Response token = daemon.call("GET", "/api/v1/credentials/echo:default/token", null);
        assertEquals(200, token.status(), token.body());
        assertEquals("echo-access-1", token.json().get("token").asText());
        assertEquals("Bearer echo-access-1", token.json().path("headers").path("Authorization").asText());

        DaemonProcess.Response api = daemon.call("GET", "/api/v1/providers", null);
        assertEquals(200, api.status(), api.body());
        JsonNode echo = null;
        for (JsonNode entry : api.json()) {
            if ("echo".equals(entry.path("id").asText())) {
                echo = entry;
            }
        }
        assertNotNull(echo, api.body());
        assertFalse(echo.get("bundled").asBoolean(), api.body());
        assertEquals("com.example.echo", echo.get("module").asText(), api.body());
        assertEquals("1.2.3", echo.get("version").asText(), api.body());
        assertTrue(echo.get("jar").asText().endsWith("echo-provider.jar"), api.body());
        assertEquals(List.of("echo-refresh-0"), List.copyOf(receivedRefreshTokens), "no further refresh");
        assertFalse(daemon.output().contains("echo-refresh-"), "the daemon log holds no refresh token");
    }

    @Test
    void withoutPluginJarsTheDaemonStartsOnTheClassPathAndStillNamesEachBundledModuleAndVersion() throws Exception {
        Path plugins = fleet.folder("empty/plugins");
        Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxr-xr-x"));
        DaemonProcess daemon = fleet.daemon(fleet.temp().resolve("empty/state"),
                Map.of("TOKENKEEPER_PLUGIN_DIR", plugins.toString(), "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"));
        daemon.start();
        List<String> arguments = javaArguments(daemon);
        assertTrue(arguments.contains("-cp") && !arguments.contains("--module-path"),
                "without plugin jars the launcher starts on the class path: " + arguments);
        DaemonProcess.Response api = daemon.call("GET", "/api/v1/providers", null);
        assertEquals(200, api.status(), api.body());
        Map<String, String> modules = new HashMap<>();
        for (JsonNode entry : api.json()) {
            modules.put(entry.path("id").asText(), entry.path("module").asText() + "@" + entry.path("version").asText());
        }
        assertTrue(modules.get("gazelle").matches("dev\\.tokenkeeper\\.provider\\.gazelle@\\d.*"), api.body());
        assertTrue(modules.get("sqlite").matches("dev\\.tokenkeeper\\.store\\.sqlite@\\d.*"), api.body());
        DaemonProcess.Response providers = fleet.cli(daemon, "providers");
        assertTrue(line(providers.body(), " vinted ").contains("dev.tokenkeeper.provider.vinted@"), providers.body());
    }

    /** The JVM's command line: the launcher replaces itself with {@code java} (exec), in the same process. */
    private static List<String> javaArguments(DaemonProcess daemon) throws IOException {
        String cmdline = Files.readString(Path.of("/proc", Long.toString(daemon.process().pid()), "cmdline"));
        return List.of(cmdline.split("\u0000"));
    }

    private static String line(String text, String containing) {
        return text.lines().filter(l -> l.contains(containing)).findFirst().orElse(null);
    }

    private static void assertOnceOnOneLine(String where, String text, String jar, String cause) {
        int count = 0;
        for (int at = text.indexOf(cause); at >= 0; at = text.indexOf(cause, at + 1)) {
            count++;
        }
        assertEquals(1, count, where + " says '" + cause + "' exactly once:\n" + text);
        String line = text.lines().filter(l -> l.contains(cause)).findFirst().orElseThrow();
        assertTrue(line.contains(jar), where + " names the jar on the same line: " + line);
    }

    /** A plugins folder of a test's own, with a planted jar's marker next to it. */
    private record Planted(Path plugins, Path marker, Path state) {
        static Planted in(String name) throws IOException {
            Path plugins = fleet.folder(name + "/plugins");
            Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new Planted(plugins, fleet.temp().resolve(name + "/planted-ran"), fleet.temp().resolve(name + "/state"));
        }

        Path jar(Path jar) throws Exception {
            return plantedJar(jar, marker);
        }

        Map<String, String> environment() {
            return Map.of("TOKENKEEPER_PLUGIN_DIR", plugins.toString(), "TOKENKEEPER_STATE_DIR", state.toString(),
                    "TOKENKEEPER_LISTEN", "127.0.0.1:0", "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        }

        DaemonProcess.Response cli(String... args) throws Exception {
            return fleet.cli(environment(), args);
        }

        void assertRefusedEverywhere(List<String> said) throws Exception {
            DaemonProcess.Response providers = cli("providers");
            assertNotEquals(0, providers.status(), providers.body());
            assertSays("providers", providers.body(), said);
            assertFalse(Files.exists(marker), "providers ran the planted jar");

            DaemonProcess.Response doctor = cli("doctor");
            assertNotEquals(0, doctor.status(), doctor.body());
            assertTrue(doctor.body().lines().anyMatch(line -> line.startsWith("FAIL plugins: no plugin was loaded")),
                    doctor.body());
            assertFalse(doctor.body().contains("ok   plugins"), doctor.body());
            assertSays("doctor", doctor.body(), said);
            assertFalse(Files.exists(marker), "doctor ran the planted jar");

            DaemonProcess.Response help = cli("import", "--help");
            assertTrue(help.body().contains("cannot list the installed providers: no plugin was loaded"), help.body());
            assertSays("import --help", help.body(), said);
            assertFalse(Files.exists(marker), "import --help ran the planted jar");

            DaemonProcess daemon = fleet.daemon(state, environment());
            IllegalStateException refused = assertThrows(IllegalStateException.class, daemon::start);
            assertTrue(refused.getMessage().contains("exited with 2"), refused.getMessage());
            assertSays("run", daemon.output(), said);
            assertFalse(Files.exists(marker), "run ran the planted jar");
        }
    }

    private static void assertSays(String where, String output, List<String> said) {
        for (String words : said) {
            assertTrue(output.contains(words), where + " says '" + words + "':\n" + output);
        }
    }

    @Test
    void aWorldWritableFolderWithAnotherUsersJarIsRefusedEverywhere() throws Exception {
        LocalUser intruder = LocalUser.require("tk-plug-intruder");
        Planted planted = Planted.in("world-writable");
        Files.setPosixFilePermissions(planted.plugins(), PosixFilePermissions.fromString("rwxrwxrwx"));
        intruder.chown(planted.jar(planted.plugins().resolve("planted.jar")));
        planted.assertRefusedEverywhere(List.of("plugins folder " + planted.plugins(), "mode 0777",
                "chmod go-w " + planted.plugins()));
    }

    @Test
    void aFolderOwnedByAnotherUserIsRefusedEverywhere() throws Exception {
        LocalUser intruder = LocalUser.require("tk-plug-intruder");
        Planted planted = Planted.in("their-folder");
        planted.jar(planted.plugins().resolve("planted.jar"));
        intruder.chown(planted.plugins());
        planted.assertRefusedEverywhere(List.of("plugins folder " + planted.plugins(), "owned by uid " + intruder.uid()
                + " (" + intruder.name() + ")", "chown root: " + planted.plugins()));
    }

    @Test
    void aJarOwnedByAnotherUserInAGoodFolderIsRefusedEverywhere() throws Exception {
        LocalUser intruder = LocalUser.require("tk-plug-intruder");
        Planted planted = Planted.in("their-jar");
        Path jar = planted.jar(planted.plugins().resolve("planted.jar"));
        intruder.chown(jar);
        planted.assertRefusedEverywhere(List.of("plugin jar " + jar, "owned by uid " + intruder.uid(), "chown root: " + jar));
    }

    @Test
    void aLinkedJarIsRefusedEverywhereEvenToAJarOfRoots() throws Exception {
        LocalUser.require("tk-plug-intruder");
        Planted planted = Planted.in("linked-jar");
        Path elsewhere = planted.jar(fleet.folder("linked-jar/elsewhere").resolve("planted.jar"));
        Path link = Files.createSymbolicLink(planted.plugins().resolve("planted.jar"), elsewhere);
        planted.assertRefusedEverywhere(List.of("plugin jar " + link, "is a symbolic link", "cp --remove-destination"));
    }

    @Test
    void aFolderUnderAParentOwnedByAnotherUserIsRefused() throws Exception {
        LocalUser intruder = LocalUser.require("tk-plug-intruder");
        Path parent = fleet.folder("their-parent/theirs");
        intruder.chown(parent);
        Path plugins = Files.createDirectory(parent.resolve("plugins"));
        Planted planted = new Planted(plugins, fleet.temp().resolve("their-parent/planted-ran"),
                fleet.temp().resolve("their-parent/state"));
        planted.jar(plugins.resolve("planted.jar"));
        DaemonProcess.Response providers = planted.cli("providers");
        assertNotEquals(0, providers.status(), providers.body());
        assertTrue(providers.body().contains("the folder " + parent + " on its path is owned by uid " + intruder.uid()),
                providers.body());
        assertFalse(Files.exists(planted.marker()), "the jar's code ran");
    }
}
