package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.assembly.CommonPool;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.InstalledService;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;

/** {@code tokenkeeper}: the daemon ({@code run}) and the commands that talk to it. */
@Command(name = "tokenkeeper", mixinStandardHelpOptions = true, version = "tokenkeeper 0.1.0",
        description = "Keeps third-party API credentials fresh.")
public final class Main implements Runnable {

    /** The subcommands, in the order the usage lists them. */
    private static final List<Class<?>> VERBS = List.of(RunCommand.class, StatusCommand.class, ImportCommand.class,
            RefreshCommand.class, TokenCommand.class, SchedulerCommand.class, ProvidersCommand.class,
            ReportCommand.class, DoctorCommand.class, RekeyCommand.class, AuthorizeCommand.class, NotifyCommand.class,
            ConsumerCommand.class, CookieCloudCommand.class, LoginCommand.class, CommandLine.HelpCommand.class);

    /** Exit code when the daemon is not running. */
    static final int NOT_RUNNING = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** @param args the command line */
    public static void main(String[] args) {
        CommonPool.atLeastTwo();
        System.exit(execute(args));
    }

    /**
     * Runs a command without leaving the JVM (the in-process harness's CLI; the daemon exports this
     * package to that module only).
     *
     * @param args the command line
     * @return the exit code
     */
    public static int execute(String... args) {
        // `run` with nothing but its own flags needs no command model: picocli's was 15 % of the main
        // thread's start (reflection over the commands' annotations, all of it cold code).
        Optional<RunCommand> run = RunCommand.withPlainFlags(args);
        if (run.isPresent()) {
            try {
                return run.get().call();
            } catch (Exception e) {
                return ErrorExit.exitCode(e, new PrintWriter(System.err, true));
            }
        }
        return commandLine(args).execute(args);
    }

    /**
     * @param args the command line (none: the whole tree)
     * @return the command tree for it: when it starts with a verb, only that verb
     */
    static CommandLine commandLine(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        // picocli builds the model of every subcommand it is given (reflection over each command's
        // options and the classes they name): a named verb gets only its own. The usage, `help` and
        // a mistyped verb (picocli suggests the nearest) still get them all.
        Class<?> named = null;
        for (Class<?> verb : VERBS) {
            if (args.length > 0 && verb != CommandLine.HelpCommand.class
                    && verb.getAnnotation(Command.class).name().equals(args[0])) {
                named = verb;
            }
        }
        for (Class<?> verb : named != null ? List.<Class<?>>of(named) : VERBS) {
            commandLine.addSubcommand(verb);
        }
        commandLine.setExecutionExceptionHandler(new ErrorExit());
        return commandLine;
    }

    /**
     * A failed command's one line and exit code. A class, not a lambda: a lambda of a picocli
     * interface (Java 5 class files) keeps picocli's classes out of the CLI's AppCDS archive.
     */
    private static final class ErrorExit implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
            return exitCode(e, cl.getErr());
        }

        static int exitCode(Exception e, PrintWriter err) {
            err.println("tokenkeeper: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (e instanceof ConfigurationException) {
                InstalledService.DEBIAN.outsiderHint(System.getProperty("user.name"))
                        .ifPresent(hint -> err.println("tokenkeeper: " + hint));
            }
            if (e instanceof DaemonNotRunningException) {
                return NOT_RUNNING;
            }
            return e instanceof ConfigurationException ? 2 : 1;
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
