package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A third-party provider, compiled here against the api jar only and dropped into the plugins
 * folder next to a corrupt jar: the CLI lists it (and skips the corrupt one), and the real daemon
 * imports, refreshes and serves a credential through it against a local HTTP server.
 */
class PluginJarTest {

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

    @TempDir
    Path temp;

    private HttpServer server;
    private final List<String> receivedRefreshTokens = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger issued = new AtomicInteger();
    private final List<DaemonProcess> daemons = new ArrayList<>();

    @BeforeEach
    void startEchoServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", exchange -> {
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
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (DaemonProcess daemon : daemons) {
            daemon.stop();
        }
        server.stop(0);
    }

    private String echoUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    @Test
    void aThirdPartyProviderJarIsListedAndRefreshesThroughTheRealDaemon() throws Exception {
        Path plugins = Files.createDirectories(temp.resolve("plugins"));
        buildEchoPlugin(plugins.resolve("echo-provider.jar"));
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        Files.write(plugins.resolve("broken.jar"), garbage);

        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER_PLUGIN_DIR", plugins.toString());
        env.put("ECHO_URL", echoUrl());
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        env.put("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");

        DaemonProcess daemon = new DaemonProcess(temp.resolve("state"), env);
        daemons.add(daemon);

        // The CLI lists plugins without a daemon.
        DaemonProcess.Response providers = daemon.cli("providers");
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
        String skipped = line(listing, "skipped");
        assertNotNull(skipped, "the broken jar is reported:\n" + listing);
        assertTrue(skipped.contains("broken.jar"), listing);
        assertFalse(listing.contains("echo-provider.jar:"), "the good jar is not skipped:\n" + listing);

        // The daemon imports, refreshes and serves through it.
        daemon.start();
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

    private static String line(String text, String containing) {
        return text.lines().filter(l -> l.contains(containing)).findFirst().orElse(null);
    }

    /** Compiles the echo provider against the api jar only and packages it as a module jar. */
    private void buildEchoPlugin(Path jar) throws IOException {
        Path apiJar = DaemonProcess.distribution().resolve("lib/api-0.2.0-SNAPSHOT.jar");
        assertTrue(Files.isRegularFile(apiJar), "api jar at " + apiJar);
        Path src = temp.resolve("echo-src");
        Path pkg = Files.createDirectories(src.resolve("com/example/echo"));
        Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(pkg.resolve("EchoProvider.java"), PROVIDER);
        Path classes = Files.createDirectories(temp.resolve("echo-classes"));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK compiler");
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int result = javac.run(null, diagnostics, diagnostics,
                "--release", "17",
                "--module-path", apiJar.toString(),
                "--module-version", "1.2.3",
                "-d", classes.toString(),
                src.resolve("module-info.java").toString(),
                pkg.resolve("EchoProvider.java").toString());
        assertEquals(0, result, "javac:\n" + diagnostics.toString(StandardCharsets.UTF_8));

        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "1.2.3");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(classes)) {
            files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        }
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            for (Path file : files) {
                String name = classes.relativize(file).toString().replace('\\', '/');
                out.putNextEntry(new JarEntry(name));
                out.write(Files.readAllBytes(file));
                out.closeEntry();
            }
        }
    }
}
