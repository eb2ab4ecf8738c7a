package dev.tokenkeeper.dist;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every environment variable the shipped code reads is in the configuration table of docs/reference.md: the
 * main sources of every module but bench are scanned for variable-shaped string literals (what
 * {@code getenv}, {@code Settings.get} and {@code PluginContext.setting} are called with).
 */
class ConfigurationTableTest {

    private static final Pattern VARIABLE = Pattern.compile("\"([A-Z][A-Z0-9]*_[A-Z0-9_]+)\"");
    /**
     * Literals of that shape that the daemon does not read: a Vinted page's value, and what the
     * notification command hook is given in its environment.
     */
    private static final Set<String> NOT_SETTINGS = Set.of("CSRF_TOKEN", "TOKENKEEPER_EVENT", "TOKENKEEPER_CREDENTIAL",
            "LC_ALL");
    private static final List<String> MODULES = List.of("api", "daemon", "provider-gazelle", "provider-vinted",
            "store-jdbc", "store-sqlite", "store-supabase", "store-postgres");

    @Test
    void everyVariableTheCodeReadsIsInTheConfigurationTable() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Set<String> read = new TreeSet<>();
        for (String module : MODULES) {
            Path sources = root.resolve(module).resolve("src/main/java");
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).collect(Collectors.toList())) {
                    Matcher m = VARIABLE.matcher(Files.readString(file));
                    while (m.find()) {
                        read.add(m.group(1));
                    }
                }
            }
        }
        read.removeAll(NOT_SETTINGS);
        assertTrue(read.contains("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS"), "the scan finds settings: " + read);

        String reference = Files.readString(root.resolve("docs/reference.md"));
        int start = reference.indexOf("\n## Configuration");
        assertTrue(start >= 0, "docs/reference.md has a Configuration section");
        int end = reference.indexOf("\n## ", start + 1);
        String table = reference.substring(start, end < 0 ? reference.length() : end).lines()
                .filter(line -> line.startsWith("|")).collect(Collectors.joining("\n"));
        Set<String> missing = new TreeSet<>();
        for (String variable : read) {
            if (!Pattern.compile("(?<![A-Z0-9_])" + variable + "(?![A-Z0-9_])").matcher(table).find()) {
                missing.add(variable);
            }
        }
        assertTrue(missing.isEmpty(), "read by the code but missing from the configuration table of docs/reference.md: " + missing);
    }
}
