package dev.tokenkeeper.dist;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A plugins folder or jar another local user controls is refused by every command that loads
 * plugins ({@code run}, {@code providers}, {@code doctor}, {@code import --help}), with the path, what
 * is wrong and what to do; and the planted jar's code never runs: its provider's constructor leaves
 * a marker file, which stays absent. A good folder still loads (and leaves the marker, so the marker
 * does show a run).
 */
class PluginFolderOwnerTest {

    @TempDir
    Path temp;

    private LocalUser intruder;
    private Path marker;
    private Path plugins;

    @BeforeEach
    void plantable() throws Exception {
        intruder = LocalUser.require("tk-plug-intruder");
        marker = temp.resolve("planted-ran");
        plugins = Files.createDirectory(temp.resolve("plugins"));
        Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void aWorldWritableFolderWithAnotherUsersJarIsRefusedEverywhere() throws Exception {
        Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxrwxrwx"));
        intruder.chown(plantedJar(plugins.resolve("planted.jar")));
        assertRefusedEverywhere(List.of("plugins folder " + plugins, "mode 0777", "chmod go-w " + plugins));
    }

    @Test
    void aFolderOwnedByAnotherUserIsRefusedEverywhere() throws Exception {
        plantedJar(plugins.resolve("planted.jar"));
        intruder.chown(plugins);
        assertRefusedEverywhere(List.of("plugins folder " + plugins, "owned by uid " + intruder.uid() + " ("
                + intruder.name() + ")", "chown root: " + plugins));
    }

    @Test
    void aJarOwnedByAnotherUserInAGoodFolderIsRefusedEverywhere() throws Exception {
        Path jar = plantedJar(plugins.resolve("planted.jar"));
        intruder.chown(jar);
        assertRefusedEverywhere(List.of("plugin jar " + jar, "owned by uid " + intruder.uid(), "chown root: " + jar));
    }

    @Test
    void aLinkedJarIsRefusedEverywhereEvenToAJarOfRoots() throws Exception {
        Path elsewhere = plantedJar(Files.createDirectory(temp.resolve("elsewhere")).resolve("planted.jar"));
        Path link = Files.createSymbolicLink(plugins.resolve("planted.jar"), elsewhere);
        assertRefusedEverywhere(List.of("plugin jar " + link, "is a symbolic link", "cp --remove-destination"));
    }

    @Test
    void aFolderUnderAParentOwnedByAnotherUserIsRefused() throws Exception {
        Path parent = Files.createDirectory(temp.resolve("theirs"));
        intruder.chown(parent);
        plugins = Files.createDirectory(parent.resolve("plugins"));
        plantedJar(plugins.resolve("planted.jar"));
        DaemonProcess.Response providers = cli("providers");
        assertNotEquals(0, providers.status(), providers.body());
        assertTrue(providers.body().contains("the folder " + parent + " on its path is owned by uid " + intruder.uid()),
                providers.body());
        assertFalse(Files.exists(marker), "the jar's code ran");
    }

    @Test
    void aGoodFolderStillLoadsItsJar() throws Exception {
        plantedJar(plugins.resolve("planted.jar"));
        DaemonProcess.Response providers = cli("providers");
        assertEquals(0, providers.status(), providers.body());
        assertTrue(providers.body().lines().anyMatch(line -> line.startsWith("provider") && line.contains("planted")),
                providers.body());
        assertTrue(Files.exists(marker), "the marker shows that the jar's code ran");
        DaemonProcess.Response doctor = cli("doctor");
        assertTrue(doctor.body().contains("ok   plugins") && doctor.body().contains("planted"), doctor.body());
        Files.delete(marker);
        try (DaemonProcess daemon = new DaemonProcess(temp.resolve("state"), environment())) {
            daemon.start();
            assertTrue(Files.exists(marker), "the daemon loaded the jar");
        }
    }

    private void assertRefusedEverywhere(List<String> said) throws Exception {
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

        try (DaemonProcess daemon = new DaemonProcess(temp.resolve("state"), environment())) {
            IllegalStateException refused = assertThrows(IllegalStateException.class, daemon::start);
            assertTrue(refused.getMessage().contains("exited with 2"), refused.getMessage());
            assertSays("run", daemon.output(), said);
        }
        assertFalse(Files.exists(marker), "run ran the planted jar");
    }

    private static void assertSays(String where, String output, List<String> said) {
        for (String words : said) {
            assertTrue(output.contains(words), where + " says '" + words + "':\n" + output);
        }
    }

    private DaemonProcess.Response cli(String... args) throws Exception {
        return CliProcess.run(environment(), args);
    }

    private Map<String, String> environment() {
        return Map.of("TOKENKEEPER_PLUGIN_DIR", plugins.toString(), "TOKENKEEPER_STATE_DIR", temp.resolve("state").toString(),
                "TOKENKEEPER_LISTEN", "127.0.0.1:0", "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
    }

    /** A provider whose constructor leaves the marker file: proof that the jar's code ran. */
    private Path plantedJar(Path jar) throws Exception {
        Path work = Files.createTempDirectory(temp, "build");
        PluginJars.build(work, jar, Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.planted", "com.example.planted.Planted"),
                "com/example/planted/Planted.java", PluginJars.provider("com.example.planted", "Planted", "planted",
                        "try { java.nio.file.Files.writeString(java.nio.file.Path.of(\"" + marker
                                + "\"), \"ran\"); } catch (java.io.IOException e) { throw new IllegalStateException(e); }")),
                entry -> true);
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        return jar;
    }
}
