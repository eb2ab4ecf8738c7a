package dev.tokenkeeper.daemon.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Walks the whole picocli command tree: {@code -h} and {@code --help} print usage and exit 0 everywhere. */
class HelpEverywhereTest {

    @Test
    void everySubcommandAnswersHelpWithItsUsageAndExitZero() {
        List<List<String>> paths = new ArrayList<>();
        walk(Main.commandLine(), new ArrayList<>(), paths);
        assertTrue(paths.size() >= 12, "the tree has the root and every subcommand: " + paths);
        for (List<String> path : paths) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                CommandLine commandLine = Main.commandLine();
                commandLine.setOut(new PrintWriter(out));
                commandLine.setErr(new PrintWriter(err));
                int status = commandLine.execute(args.toArray(String[]::new));
                String name = path.isEmpty() ? "tokenkeeper" : path.get(path.size() - 1);
                assertEquals(0, status, args + " exits 0; stderr: " + err);
                assertTrue(out.toString().contains("Usage: "), args + " prints usage: " + out);
                assertTrue(out.toString().contains(name), args + " prints its own usage: " + out);
                assertFalse(err.toString().contains("Missing required"), args + ": " + err);
                assertEquals("", err.toString(), args + " writes nothing to stderr");
            }
        }
    }

    @Test
    void importHelpNamesEveryProvidersFormsAndTheSecretInputBehindEachFlag() {
        StringWriter out = new StringWriter();
        CommandLine commandLine = Main.commandLine();
        commandLine.setOut(new PrintWriter(out));
        assertEquals(0, commandLine.execute("import", "--help"));
        String help = out.toString();
        for (String expected : List.of("SecretInput.CookieHeader", "SecretInput.CookieFile", "SecretInput.TokenJson",
                "SecretInput.AuthorizationCode", "Forms each installed provider takes")) {
            assertTrue(help.contains(expected), expected + " in:\n" + help);
        }
    }

    @Test
    void aVerbGetsOnlyItsOwnCommandAndAnythingElseTheWholeTree() {
        assertEquals(List.of("status"), List.copyOf(Main.commandLine("status", "--json").getSubcommands().keySet()));
        assertEquals(List.of("consumer"), List.copyOf(Main.commandLine("consumer", "list").getSubcommands().keySet()));
        List<String> all = List.copyOf(Main.commandLine().getSubcommands().keySet());
        assertEquals(List.of("run", "status", "import", "refresh", "token", "scheduler", "providers", "report", "doctor",
                "rekey", "authorize", "notify", "consumer", "cookiecloud", "login", "help"), all);
        for (String[] args : List.of(new String[] {"help", "status"}, new String[] {"--help"}, new String[] {"stats"})) {
            assertEquals(all, List.copyOf(Main.commandLine(args).getSubcommands().keySet()), List.of(args).toString());
        }
    }

    private static void walk(CommandLine command, List<String> path, List<List<String>> into) {
        into.add(List.copyOf(path));
        command.getSubcommands().forEach((name, sub) -> {
            if (!sub.getCommandSpec().name().equals(name)) {
                return; // an alias
            }
            List<String> next = new ArrayList<>(path);
            next.add(name);
            walk(sub, next, into);
        });
    }
}
