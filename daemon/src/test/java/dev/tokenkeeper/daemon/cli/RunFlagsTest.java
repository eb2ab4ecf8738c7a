package dev.tokenkeeper.daemon.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code run}'s flags read without picocli: the same values picocli reads, and picocli for anything else. */
class RunFlagsTest {

    @Test
    void theFlagsRunTakesAreReadAsPicocliReadsThem() {
        for (String[] args : List.of(
                new String[] {"run"},
                new String[] {"run", "--state-dir", "/srv/state", "--listen", "127.0.0.1:0", "--admin-token-file", "/t",
                        "--plugin-dir", "/p"},
                new String[] {"run", "--listen=127.0.0.1:9", "--state-dir="},
                new String[] {"run", "--state-dir=a=b", "--plugin-dir", "c=d", "--listen", ""})) {
            CommonOptions direct = RunCommand.withPlainFlags(args).orElseThrow(() -> new AssertionError(Arrays.toString(args))).common;
            CommandLine.ParseResult parsed = Main.commandLine(args).parseArgs(args);
            CommonOptions picocli = ((RunCommand) parsed.subcommand().commandSpec().userObject()).common;
            assertEquals(values(picocli), values(direct), Arrays.toString(args));
        }
    }

    @Test
    void anythingElseIsLeftToPicocli() {
        for (String[] args : List.of(new String[] {}, new String[] {"status"}, new String[] {"run", "-h"},
                new String[] {"run", "--help"}, new String[] {"run", "--listen"},
                new String[] {"run", "--listen", "--state-dir", "x"}, new String[] {"run", "--listen=a", "--listen", "b"},
                new String[] {"run", "@args"}, new String[] {"run", "--listen", "@args"}, new String[] {"run", "--verbose", "x"},
                new String[] {"run", "extra"}, new String[] {"run", "--list", "x"})) {
            assertTrue(RunCommand.withPlainFlags(args).isEmpty(), Arrays.toString(args));
        }
    }

    @Test
    void aWrongSettingEndsAsThroughPicocli() {
        String[] args = {"run", "--listen", "no-port-here", "--state-dir", "/nonexistent/state"};
        StringWriter picocliErr = new StringWriter();
        CommandLine commandLine = Main.commandLine(args);
        commandLine.setErr(new PrintWriter(picocliErr, true));
        int picocliExit = commandLine.execute(args);

        PrintStream err = System.err;
        ByteArrayOutputStream directErr = new ByteArrayOutputStream();
        System.setErr(new PrintStream(directErr, true, StandardCharsets.UTF_8));
        int directExit;
        try {
            directExit = Main.execute(args);
        } finally {
            System.setErr(err);
        }
        assertEquals(2, picocliExit, picocliErr.toString());
        assertEquals(picocliExit, directExit);
        assertTrue(picocliErr.toString().contains("TOKENKEEPER_LISTEN='no-port-here'"), picocliErr.toString());
        assertEquals(picocliErr.toString(), directErr.toString(StandardCharsets.UTF_8));
    }

    private static List<String> values(CommonOptions options) {
        return Arrays.asList(options.stateDir, options.listen, options.adminTokenFile, options.pluginDir);
    }
}
