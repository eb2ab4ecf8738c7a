package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sink folder another local user can change: the daemon process refuses to start on it, and a link
 * that user planted is never followed. The sink's writes, modes and removals are
 * {@code FileSinkInProcessTest}'s.
 */
class FileSinkEndToEndTest {

    @RegisterExtension
    final Fleet fleet = new Fleet();

    private FakeGazelle gazelle;

    @BeforeEach
    void start() {
        gazelle = fleet.upstream(FakeGazelle.start());
    }

    @Test
    void aSinkAnotherUserCanChangeIsRefusedAndTheLinkTheyPlantedIsNeverFollowed() throws Exception {
        LocalUser intruder = LocalUser.require("tk-sink-intruder");
        Path temp = fleet.temp();
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
        DaemonProcess.Response open = fleet.cli(run, "run");
        assertNotEquals(0, open.status(), "started with a sink of mode 1777:\n" + open.body());
        assertTrue(open.body().contains("TOKENKEEPER_SINK_DIR=" + sink + " is refused") && open.body().contains("mode 1777")
                && open.body().contains("chmod 0700 " + sink), open.body());

        intruder.chown(sink);
        Files.setPosixFilePermissions(sink, PosixFilePermissions.fromString("rwxr-xr-x"));
        DaemonProcess.Response theirs = fleet.cli(run, "run");
        assertNotEquals(0, theirs.status(), "started with a sink of another user:\n" + theirs.body());
        assertTrue(theirs.body().contains("owned by tk-sink-intruder") && theirs.body().contains("chown root " + sink),
                theirs.body());

        // Fixed as the message says; the link planted before stays.
        assertEquals(0, new ProcessBuilder("chown", "root", sink.toString()).inheritIO().start().waitFor());
        Files.setPosixFilePermissions(sink, PosixFilePermissions.fromString("rwx------"));
        DaemonProcess daemon = fleet.start(temp.resolve("state"), env);
        Path file = Files.createTempFile(temp, "token", ".json");
        Files.writeString(file, gazelle.seedChain("default"));
        assertEquals(0, fleet.cli(daemon, "import", "gazelle", "--token-json", file.toString()).status());
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
}
