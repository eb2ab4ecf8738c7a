package dev.tokenkeeper.daemon;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Must-show 3: the daemon's packages are layers, and every reference between them goes down. A
 * package may name one listed before it, never one listed after it (which builds on it).
 */
class LayeringTest {

    /** The daemon's packages, lowest first; {@code ""} is {@code dev.tokenkeeper.daemon} itself ({@link Daemon}). */
    static final List<String> LAYERS = List.of(
            // no daemon package below them
            "config", "log", "oauth", "scrub", "systemd",
            // files, keys and sockets
            "folders", "crypto", "tls", "unixsocket", "socketclient", "spool", "plugin",
            // the store's refresh leases, or what a store without them gets
            "leases",
            // consumers, keys, the refresh pipeline
            "access", "rekey", "refresh", "cookiecloud",
            // what listens to the pipeline or drives it
            "metrics", "recovery", "schedule", "sink", "legacy", "notify", "changes", "signin",
            // the control API's server, then the route groups it is handed
            "http", "console",
            // what builds and runs all of the above
            "assembly", "", "cli");

    /** A daemon package named in code: {@code dev.tokenkeeper.daemon.<package>.<Type>} or {@code dev.tokenkeeper.daemon.<Type>}. */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.tokenkeeper\\.daemon\\.(?:([a-z][a-z0-9]*)\\.)?[A-Z*]");
    private static final Path SOURCES = Path.of("src/main/java");
    private static final Path ROOT = SOURCES.resolve("dev/tokenkeeper/daemon");

    @Test
    void everyReferenceGoesDown() throws IOException {
        assertTrue(Files.isDirectory(ROOT), "runs in the daemon module");
        List<String> upward = new ArrayList<>();
        for (Path file : javaFiles()) {
            String from = packageOf(file);
            String text = Files.readString(file);
            Matcher reference = REFERENCE.matcher(text);
            while (reference.find()) {
                String to = reference.group(1) == null ? "" : reference.group(1);
                if (!to.equals(from) && LAYERS.indexOf(to) > LAYERS.indexOf(from)) {
                    upward.add(SOURCES.relativize(file) + ": " + show(from) + " -> " + show(to)
                            + " (" + text.substring(reference.start(), text.indexOf('\n', reference.start())).strip() + ")");
                }
            }
        }
        assertEquals(List.of(), upward, "references from a package to one that builds on it; order: " + LAYERS);
    }

    @Test
    void everyPackageHasItsLayer() throws IOException {
        Set<String> packages = new TreeSet<>();
        for (Path file : javaFiles()) {
            packages.add(packageOf(file));
        }
        Set<String> unlisted = new TreeSet<>(packages);
        unlisted.removeAll(LAYERS);
        assertEquals(Set.of(), unlisted, "packages to place in LAYERS");
        assertTrue(LAYERS.indexOf("http") < LAYERS.indexOf("console"), "the console builds on the HTTP server, not the other way");
    }

    private static List<Path> javaFiles() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT)) {
            return files.filter(file -> file.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** @return the file's package below {@code dev.tokenkeeper.daemon} ({@code ""} for that package itself) */
    private static String packageOf(Path file) {
        Path folder = ROOT.relativize(file.getParent());
        return folder.toString().replace('/', '.');
    }

    private static String show(String layer) {
        return layer.isEmpty() ? "(dev.tokenkeeper.daemon)" : layer;
    }
}
