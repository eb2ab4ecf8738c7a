package dev.tokenkeeper.daemon;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon names no provider: what is a bundled provider's lives in its module, behind the SPI's
 * hooks. The only exception is the environment names older deployments set, named in one class.
 */
class NoProviderNamedTest {

    private static final Pattern PROVIDER = Pattern.compile("(?i)vinted|gazelle");
    /** An upper-case environment name in quotes, such as {@code "VINTED_SESSION"}. */
    private static final Pattern SETTING_LITERAL = Pattern.compile("\"[A-Z][A-Z0-9_]*\"");
    private static final Path ONE_PLACE = Path.of("dev/tokenkeeper/daemon/config/OriginalSettings.java");

    @Test
    void noMainFileButTheOriginalSettingsNamesAProvider() throws IOException {
        Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources.resolve("dev/tokenkeeper/daemon")), "runs in the daemon module");
        List<String> found = new ArrayList<>();
        int inOnePlace = 0;
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                boolean onePlace = sources.relativize(file).equals(ONE_PLACE);
                List<String> lines = Files.readAllLines(file);
                for (int n = 0; n < lines.size(); n++) {
                    String line = lines.get(n);
                    if (!PROVIDER.matcher(line).find()) {
                        continue;
                    }
                    if (onePlace && PROVIDER.matcher(SETTING_LITERAL.matcher(line).replaceAll("")).results().count() == 0) {
                        inOnePlace++;
                        continue;
                    }
                    found.add(sources.relativize(file) + ":" + (n + 1) + ": " + line.strip());
                }
            }
        }
        assertEquals(List.of(), found, "main files that name a provider outside the original settings' names");
        assertTrue(inOnePlace > 0, "the scan sees the original settings' names in " + ONE_PLACE);
    }
}
