package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * File sinks end to end: a consumer reading the token files every 100 ms while the daemon rotates
 * the token at least five times never reads a partial file or an expired token; the modes are the
 * documented ones; a restart writes the files again; a deleted credential's files are removed.
 */
class FileSinkEndToEndTest {

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private DaemonProcess daemon;

    @BeforeEach
    void start() {
        gazelle = FakeGazelle.start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (daemon != null) {
                daemon.stop();
                String output = daemon.output();
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(output.contains(secret), "daemon output contains an issued token");
                }
                assertFalse(output.contains(gazelle.clientSecret()));
            }
        } finally {
            gazelle.close();
        }
    }

    /** What the consumer saw in one read. */
    private record Read(Instant at, String token, JsonNode json) {
    }

    @Test
    void consumerReadingEvery100MillisecondsNeverSeesAPartialFileOrAnExpiredToken() throws Exception {
        // 8 s tokens refreshed 4 s before expiry: a loaded machine's pauses do not expire a token the
        // daemon has not replaced yet, so an expired token in the file can only be the sink's fault.
        gazelle.accessLifetime(Duration.ofSeconds(8));
        Path sink = temp.resolve("sink");
        String group = Files.readAttributes(temp, PosixFileAttributes.class).group().getName();
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("TOKENKEEPER_REFRESH_MARGIN_SECONDS", "4");
        // A slow answer on a loaded machine must still arrive: a timed-out rotation would spend the chain.
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "20");
        env.put("TOKENKEEPER_SINK_DIR", sink.toString());
        env.put("TOKENKEEPER_SINK_GROUP", group);
        daemon = new DaemonProcess(temp.resolve("state"), env).start();
        Path file = Files.createTempFile(temp, "token", ".json");
        Files.writeString(file, gazelle.seedChain("default"));
        assertEquals(0, daemon.cli("import", "gazelle", "--token-json", file.toString()).status());
        Files.delete(file);

        Path tokenFile = sink.resolve("gazelle/default.token");
        Path jsonFile = sink.resolve("gazelle/default.json");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(tokenFile) && Files.exists(jsonFile));

        List<Read> reads = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int refreshesBefore = gazelle.refreshRequestCount();
        Instant deadline = Instant.now().plusSeconds(120);
        while (gazelle.refreshRequestCount() < refreshesBefore + 6 && Instant.now().isBefore(deadline)) {
            Instant at = Instant.now();
            String token = Files.readString(tokenFile);
            JsonNode json = DaemonProcess.JSON.readTree(Files.readString(jsonFile));
            reads.add(new Read(at, token, json));
            if (!gazelle.allIssuedSecrets().contains(token)) {
                problems.add("token file held something never issued (partial?) at " + at);
            }
            if (json == null || !gazelle.allIssuedSecrets().contains(json.path("token").asText())) {
                problems.add("json file incomplete at " + at);
            } else {
                Instant expiry = Instant.parse(json.path("accessExpiresAt").asText());
                if (!expiry.isAfter(at)) {
                    problems.add("json file held a token expired at " + expiry + ", read at " + at + " (file version "
                            + json.path("version").asText() + ", daemon has " + daemon.call("GET",
                            "/api/v1/credentials/gazelle:default", null).body() + ")");
                }
                assertEquals("Bearer " + json.path("token").asText(), json.path("headers").path("Authorization").asText());
            }
            if (!gazelle.isAccessTokenValid(token) && !refreshedSince(at.minusSeconds(1))) {
                problems.add("token file held a token the upstream rejects at " + at);
            }
            Thread.sleep(100);
        }
        assertTrue(gazelle.refreshRequestCount() >= refreshesBefore + 6, "only "
                + (gazelle.refreshRequestCount() - refreshesBefore) + " rotations in 120 s; daemon log:\n" + tail(daemon.output()));
        System.out.println("measured: " + reads.size() + " reads, " + (gazelle.refreshRequestCount() - refreshesBefore)
                + " rotations, problems " + problems);
        assertEquals(List.of(), problems);
        Set<String> distinct = new HashSet<>();
        reads.forEach(read -> distinct.add(read.token()));
        assertTrue(distinct.size() >= 5, "the consumer saw " + distinct.size() + " tokens in " + reads.size() + " reads");

        for (Path path : List.of(tokenFile, jsonFile)) {
            PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class);
            assertEquals("rw-r-----", PosixFilePermissions.toString(attributes.permissions()), path.toString());
            assertEquals(group, attributes.group().getName());
        }
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(sink.resolve("gazelle"))));
        try (Stream<Path> files = Files.walk(sink)) {
            List<String> names = files.map(path -> sink.relativize(path).toString()).toList();
            for (String name : names) {
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(name.contains(secret), "a sink file name holds a token");
                }
            }
            assertEquals(Set.of("", "gazelle", "gazelle/default.token", "gazelle/default.json"), Set.copyOf(names),
                    "no temporary file left behind");
        }

        // At start the files are written again.
        daemon.stop();
        Files.delete(tokenFile);
        Files.delete(jsonFile);
        daemon.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(tokenFile) && Files.exists(jsonFile));

        assertEquals(204, daemon.call("DELETE", "/api/v1/credentials/gazelle:default", null).status());
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(tokenFile) && !Files.exists(jsonFile));
    }

    @Test
    void aSinkAnotherUserCanChangeIsRefusedAndTheLinkTheyPlantedIsNeverFollowed() throws Exception {
        LocalUser intruder = LocalUser.require("tk-sink-intruder");
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        // A folder only root may touch, with a file in it.
        Path vault = Files.createDirectory(temp.resolve("root-only"));
        Files.writeString(vault.resolve("default.token"), "precious");
        Files.setPosixFilePermissions(vault, PosixFilePermissions.fromString("rwx------"));
        List<String> vaultBefore = listing(vault);
        Path sink = Files.createDirectory(temp.resolve("sink"));
        assertEquals(0, new ProcessBuilder("chmod", "1777", sink.toString()).inheritIO().start().waitFor());
        LocalUser.Result planted = intruder.exec(Map.of(), List.of("ln", "-s", vault.toString(), sink.resolve("gazelle").toString()));
        assertEquals(0, planted.exit(), planted.output());

        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("TOKENKEEPER_SINK_DIR", sink.toString());
        Map<String, String> run = new java.util.HashMap<>(env);
        run.put("TOKENKEEPER_STATE_DIR", temp.resolve("state").toString());
        run.put("TOKENKEEPER_LISTEN", "127.0.0.1:0");
        DaemonProcess.Response open = CliProcess.run(run, "run");
        assertNotEquals(0, open.status(), "started with a sink of mode 1777:\n" + open.body());
        assertTrue(open.body().contains("TOKENKEEPER_SINK_DIR=" + sink + " is refused") && open.body().contains("mode 1777")
                && open.body().contains("chmod 0700 " + sink), open.body());

        intruder.chown(sink);
        Files.setPosixFilePermissions(sink, PosixFilePermissions.fromString("rwxr-xr-x"));
        DaemonProcess.Response theirs = CliProcess.run(run, "run");
        assertNotEquals(0, theirs.status(), "started with a sink of another user:\n" + theirs.body());
        assertTrue(theirs.body().contains("owned by tk-sink-intruder") && theirs.body().contains("chown root " + sink),
                theirs.body());

        // Fixed as the message says; the link planted before stays.
        assertEquals(0, new ProcessBuilder("chown", "root", sink.toString()).inheritIO().start().waitFor());
        Files.setPosixFilePermissions(sink, PosixFilePermissions.fromString("rwx------"));
        daemon = new DaemonProcess(temp.resolve("state"), env).start();
        Path file = Files.createTempFile(temp, "token", ".json");
        Files.writeString(file, gazelle.seedChain("default"));
        assertEquals(0, daemon.cli("import", "gazelle", "--token-json", file.toString()).status());
        Files.delete(file);
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.output().contains("the token of gazelle:default is not written: "
                + sink.resolve("gazelle") + " is a symbolic link"));
        assertEquals(vaultBefore, listing(vault), "written through the link");
        assertEquals(200, daemon.call("GET", "/api/v1/credentials/gazelle:default/token", null).status(), "the daemon itself works");

        assertEquals(204, daemon.call("DELETE", "/api/v1/credentials/gazelle:default", null).status());
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.output().contains("the files of gazelle:default are not removed"));
        assertEquals(vaultBefore, listing(vault), "removed through the link");
        assertTrue(Files.isSymbolicLink(sink.resolve("gazelle")));
        System.out.println("measured: refused at start in " + open.body().lines().count() + " and " + theirs.body().lines().count()
                + " lines; the link refused on import and delete");
    }

    /** Every file under {@code folder} with its content, read as root. */
    private static List<String> listing(Path folder) throws Exception {
        try (Stream<Path> files = Files.walk(folder)) {
            List<String> out = new ArrayList<>();
            for (Path path : files.sorted().toList()) {
                out.add(folder.relativize(path) + (Files.isRegularFile(path) ? "=" + Files.readString(path) : ""));
            }
            return out;
        }
    }

    private static String tail(String text) {
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }

    /**
     * @return whether a refresh reached the upstream after {@code since}: anchored at the read, not at
     *         the check, which a loaded machine may make much later
     */
    private boolean refreshedSince(Instant since) {
        List<Instant> times = gazelle.refreshRequestTimes();
        return !times.isEmpty() && times.get(times.size() - 1).isAfter(since);
    }
}
