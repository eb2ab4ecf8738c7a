package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.inprocess.TokenkeeperExtension;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The real picocli commands run in the test's JVM against a {@link TokenkeeperExtension}'s daemon
 * (its address, a copy of its admin token): stdin given, stdout captured, and both put back
 * afterwards. No CLI process is started; what needs the process's environment stays in {@code dist}.
 */
public final class InProcessCli {

    /**
     * What a command did.
     *
     * @param status its exit code
     * @param out    what it printed on stdout
     */
    public record Result(int status, String out) {
    }

    private InProcessCli() {
    }

    /**
     * @param daemon the daemon to talk to
     * @param folder where to put the admin token's copy (mode 0600)
     * @param stdin  what the command reads on stdin
     * @param args   the command and its arguments, without the connection's
     * @return its exit code and output
     * @throws IOException when the token file cannot be written
     */
    public static Result run(TokenkeeperExtension daemon, Path folder, String stdin, String... args) throws IOException {
        Path tokenFile = folder.resolve("admin-token");
        Files.writeString(tokenFile, daemon.adminToken());
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--listen";
        all[args.length + 1] = "127.0.0.1:" + daemon.port();
        all[args.length + 2] = "--admin-token-file";
        all[args.length + 3] = tokenFile.toString();
        InputStream stdinBefore = System.in;
        PrintStream stdoutBefore = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int status = Main.execute(all);
            return new Result(status, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(stdinBefore);
            System.setOut(stdoutBefore);
        }
    }
}
