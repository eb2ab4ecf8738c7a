package dev.tokenkeeper.dist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One broken plugin jar per kind: its cause appears exactly once, on one line, in
 * {@code tokenkeeper providers}, in {@code tokenkeeper doctor} and in the real daemon's start-up log.
 */
class PluginLoadErrorsTest {

    @TempDir
    Path temp;

    @Test
    void aProviderClassMissingFromItsJarNamesTheMissingPackage() throws Exception {
        Path jar = PluginJars.build(temp.resolve("w"), plugins().resolve("ghost.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.ghost", "com.example.ghost.Ghost"),
                "com/example/ghost/Ghost.java", PluginJars.provider("com.example.ghost", "Ghost", "ghost", "")),
                entry -> !entry.startsWith("com/example/ghost/"));
        assertCauseOnceEverywhere("ghost.jar", "Package com.example.ghost not found in module");
    }

    @Test
    void aThrowingConstructorGivesItsOwnMessage() throws Exception {
        PluginJars.build(temp.resolve("w"), plugins().resolve("boom.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.boom", "com.example.boom.Boom"),
                "com/example/boom/Boom.java", PluginJars.provider("com.example.boom", "Boom", "boom",
                        "throw new IllegalStateException(\"BOOM_URL is not set\");")), entry -> true);
        assertCauseOnceEverywhere("boom.jar", "BOOM_URL is not set");
    }

    @Test
    void aCorruptZipSaysWhatIsWrongWithIt() throws Exception {
        byte[] garbage = new byte[4096];
        new Random(7).nextBytes(garbage);
        Files.write(plugins().resolve("corrupt.jar"), garbage);
        assertCauseOnceEverywhere("corrupt.jar", "zip END header not found");
    }

    @Test
    void aMissingRequiredModuleIsNamed() throws Exception {
        Path absent = PluginJars.build(temp.resolve("a"), temp.resolve("absent.jar"), Map.of(
                "module-info.java", "module com.example.absent { exports com.example.absent; }",
                "com/example/absent/Helper.java", "package com.example.absent; public final class Helper { }"),
                entry -> true);
        PluginJars.build(temp.resolve("w"), plugins().resolve("needy.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.needy", "com.example.needy.Needy",
                        "com.example.absent"),
                "com/example/needy/Needy.java", PluginJars.provider("com.example.needy", "Needy", "needy", "")),
                entry -> true, java.util.List.of(absent));
        assertCauseOnceEverywhere("needy.jar", "Module com.example.absent not found");
    }

    @Test
    void aDuplicateIdNamesTheIdAndWhoHasIt() throws Exception {
        PluginJars.build(temp.resolve("w"), plugins().resolve("twin.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.twin", "com.example.twin.Twin"),
                "com/example/twin/Twin.java", PluginJars.provider("com.example.twin", "Twin", "gazelle", "")),
                entry -> true);
        assertCauseOnceEverywhere("twin.jar", "duplicate id 'gazelle'");
    }

    @Test
    void anIdBreakingTheCredentialIdRulesIsRefusedAtLoadNamingJarAndId() throws Exception {
        PluginJars.build(temp.resolve("w"), plugins().resolve("bad-id.jar"), Map.of(
                "module-info.java", PluginJars.moduleInfo("com.example.badid", "com.example.badid.BadId"),
                "com/example/badid/BadId.java", PluginJars.provider("com.example.badid", "BadId", "Bad_Id", "")),
                entry -> true);
        String providers = assertCauseOnceEverywhere("bad-id.jar", "invalid provider id 'Bad_Id'");
        assertTrue(providers.lines().noneMatch(line -> line.startsWith("provider") && line.contains("Bad_Id")),
                "not listed as a provider:\n" + providers);
    }

    private Path plugins() throws java.io.IOException {
        return Files.createDirectories(temp.resolve("plugins"));
    }

    /** @return the providers listing */
    private String assertCauseOnceEverywhere(String jar, String cause) throws Exception {
        Map<String, String> env = Map.of("TOKENKEEPER_PLUGIN_DIR", temp.resolve("plugins").toString(),
                "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        try (DaemonProcess daemon = new DaemonProcess(temp.resolve("state"), env)) {
            DaemonProcess.Response providers = daemon.cli("providers");
            assertEquals(0, providers.status(), providers.body());
            assertOnceOnOneLine("providers", providers.body(), jar, cause);
            assertTrue(providers.body().contains(" gazelle "), "the bundled providers stay:\n" + providers.body());

            DaemonProcess.Response doctor = daemon.cli("doctor");
            assertOnceOnOneLine("doctor", doctor.body(), jar, cause);

            daemon.start();
            assertOnceOnOneLine("start-up log", daemon.output(), jar, cause);
            return providers.body();
        }
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
}
