package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.InstalledService;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tokenkeeper}: the daemon ({@code run}) and the commands that talk to it. */
@Command(name = "tokenkeeper", mixinStandardHelpOptions = true, version = "tokenkeeper 0.1.0",
        description = "Keeps third-party API credentials fresh.",
        subcommands = {RunCommand.class, StatusCommand.class, ImportCommand.class, RefreshCommand.class,
                TokenCommand.class, SchedulerCommand.class, ProvidersCommand.class, ReportCommand.class,
                DoctorCommand.class, RekeyCommand.class, AuthorizeCommand.class, NotifyCommand.class, ConsumerCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit code when the daemon is not running. */
    static final int NOT_RUNNING = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** @param args the command line */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * @param args the command line
     * @return the exit code
     */
    static int execute(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
            cl.getErr().println("tokenkeeper: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (e instanceof ConfigurationException) {
                InstalledService.DEBIAN.outsiderHint(System.getProperty("user.name"))
                        .ifPresent(hint -> cl.getErr().println("tokenkeeper: " + hint));
            }
            if (e instanceof DaemonNotRunningException) {
                return NOT_RUNNING;
            }
            return e instanceof ConfigurationException ? 2 : 1;
        });
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
