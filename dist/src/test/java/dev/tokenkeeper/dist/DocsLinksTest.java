package dev.tokenkeeper.dist;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README stays a two-minute read that leads to every page of {@code docs/}, no link in the
 * documentation points at a file or a heading that is not there, and the SDK carries the provider
 * guide its example points at.
 */
class DocsLinksTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern FENCE = Pattern.compile("(?m)^```.*?^```", Pattern.DOTALL);

    @Test
    void theReadmeIsShortStartsWithTheTwoCommandsAndLinksEveryDocsPage() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> lines = readme.lines().collect(Collectors.toList());
        assertTrue(lines.size() <= 150, "README.md has " + lines.size() + " lines, at most 150");
        assertEquals("```sh", lines.get(4), "README.md's fifth line opens the block of the two commands");
        assertTrue(lines.get(5).startsWith("./mvnw -q package -DskipTests && dist/target/tokenkeeper/bin/tokenkeeper run "),
                "the first command builds and runs: " + lines.get(5));
        assertTrue(lines.get(6).startsWith("./mvnw verify "), "the second command runs every test: " + lines.get(6));

        Set<String> linked = new TreeSet<>();
        for (String target : links(readme)) {
            linked.add(target.replaceFirst("#.*", ""));
        }
        Set<String> unlinked = new TreeSet<>();
        try (Stream<Path> pages = Files.list(ROOT.resolve("docs"))) {
            pages.filter(p -> p.toString().endsWith(".md"))
                    .map(p -> "docs/" + p.getFileName())
                    .filter(page -> !linked.contains(page))
                    .forEach(unlinked::add);
        }
        assertTrue(unlinked.isEmpty(), "docs pages the README does not link: " + unlinked);
    }

    @Test
    void everyRelativeLinkInTheDocumentationReachesAFileAndItsHeading() throws IOException {
        List<Path> documents = new ArrayList<>(List.of(ROOT.resolve("README.md"), ROOT.resolve("systemd/INSTALL.md"),
                ROOT.resolve("bench/README.md"), ROOT.resolve("examples/provider-example/README.md")));
        try (Stream<Path> pages = Files.list(ROOT.resolve("docs"))) {
            pages.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path document : documents) {
            for (String target : links(Files.readString(document))) {
                if (target.matches("^[a-z][a-z0-9+.-]*:.*")) {
                    continue;
                }
                checked++;
                String file = target.replaceFirst("#.*", "");
                String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
                Path resolved = file.isEmpty() ? document : document.getParent().resolve(file).normalize();
                String where = ROOT.relativize(document) + ": " + target;
                if (!resolved.startsWith(ROOT) || !Files.exists(resolved)) {
                    broken.add(where + " (no such file)");
                } else if (anchor != null && !anchors(resolved).contains(anchor)) {
                    broken.add(where + " (no such heading)");
                }
            }
        }
        assertTrue(checked >= 20, "the links are found: " + checked);
        assertTrue(broken.isEmpty(), "broken links: " + broken);
    }

    @Test
    void theSdkShipsTheProviderGuideTheExamplePointsAt() throws IOException {
        Path shipped = DaemonProcess.distribution().resolve("sdk/WRITING-A-PROVIDER.md");
        assertTrue(Files.isRegularFile(shipped), "the guide in the distribution: " + shipped);
        assertEquals(Files.readString(ROOT.resolve("docs/writing-a-provider.md")), Files.readString(shipped));
        assertTrue(Files.readString(ROOT.resolve("examples/provider-example/README.md")).contains("`WRITING-A-PROVIDER.md`"),
                "the example's README names the guide as the SDK ships it");
    }

    private static List<String> links(String markdown) {
        Matcher m = LINK.matcher(FENCE.matcher(markdown).replaceAll(""));
        List<String> targets = new ArrayList<>();
        while (m.find()) {
            targets.add(m.group(1));
        }
        return targets;
    }

    /** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens. */
    private static Set<String> anchors(Path page) throws IOException {
        return FENCE.matcher(Files.readString(page)).replaceAll("").lines()
                .filter(line -> line.startsWith("#"))
                .map(line -> line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT)
                        .replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'))
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
