package dev.tokenkeeper.inprocess;

import dev.tokenkeeper.daemon.cli.Main;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;

/**
 * The real picocli commands run in the test's JVM against the harness's control API ({@link Main#execute},
 * which the daemon exports to this module only; no CLI process is started): {@code --listen} and {@code --admin-token-file}
 * are added, stdin is what the test gives, and stdout and stderr are captured. The JVM's streams are put back
 * afterwards; the harness's classes run one test at a time, so nothing else prints meanwhile.
 */
public final class InProcessCli {

    /**
     * What a command did.
     *
     * @param exit   its exit code
     * @param output what it printed on stdout
     * @param errors what it printed on stderr (its error line, its warnings)
     */
    public record Run(int exit, String output, String errors) {
    }

    private final TokenkeeperExtension daemon;
    private final Path files;

    /**
     * @param daemon the harness
     * @param files  a folder of the test's, for the admin token file
     */
    public InProcessCli(TokenkeeperExtension daemon, Path files) {
        this.daemon = Objects.requireNonNull(daemon, "daemon");
        this.files = Objects.requireNonNull(files, "files");
    }

    /**
     * @param stdin what the command reads on stdin
     * @param args  the command line, without the connection flags
     * @return its exit code, stdout and stderr
     * @throws IOException when the admin token file cannot be written
     */
    public Run run(String stdin, String... args) throws IOException {
        Path tokenFile = files.resolve("admin-token");
        Files.writeString(tokenFile, daemon.adminToken());
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--listen";
        all[args.length + 1] = "127.0.0.1:" + daemon.port();
        all[args.length + 2] = "--admin-token-file";
        all[args.length + 3] = tokenFile.toString();
        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        ByteArrayOutputStream capturedErrors = new ByteArrayOutputStream();
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(capturedErrors, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.execute(all);
            return new Run(exit, captured.toString(StandardCharsets.UTF_8), capturedErrors.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(in);
            System.setOut(out);
            System.setErr(err);
        }
    }
}
