package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.Daemon;
import dev.tokenkeeper.daemon.WarmUp;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.log.Logging;
import dev.tokenkeeper.daemon.systemd.ServiceNotifier;
import dev.tokenkeeper.daemon.systemd.Watchdog;
import org.tinylog.Logger;
import picocli.CommandLine.Command;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code tokenkeeper run}: the daemon, until SIGTERM or SIGINT. */
@Command(name = "run", description = "Run the daemon in the foreground (what systemd starts).")
final class RunCommand extends Subcommand implements Callable<Integer> {

    /**
     * {@code run} with only the four common flags that take a value ({@code --state-dir},
     * {@code --listen}, {@code --admin-token-file}, {@code --plugin-dir}; each at most once, as
     * {@code --flag value} or {@code --flag=value}), read without picocli, as picocli reads them.
     *
     * @param args the command line
     * @return the command, or empty for anything else (help, an unknown or repeated flag, a missing
     *         value, an {@code @file}), which picocli then reads and, where it must, reports
     */
    static Optional<RunCommand> withPlainFlags(String... args) {
        if (args.length == 0 || !args[0].equals("run")) {
            return Optional.empty();
        }
        CommonOptions flags = new CommonOptions();
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            int equals = arg.indexOf('=');
            String name = equals < 0 ? arg : arg.substring(0, equals);
            String value = equals >= 0 ? arg.substring(equals + 1) : i + 1 < args.length ? args[++i] : null;
            if (value == null || arg.startsWith("@") || equals < 0 && (value.startsWith("-") || value.startsWith("@"))
                    || !seen.add(name)) {
                return Optional.empty();
            }
            switch (name) {
                case "--state-dir" -> flags.stateDir = value;
                case "--listen" -> flags.listen = value;
                case "--admin-token-file" -> flags.adminTokenFile = value;
                case "--plugin-dir" -> flags.pluginDir = value;
                default -> {
                    return Optional.empty();
                }
            }
        }
        RunCommand run = new RunCommand();
        run.common = flags;
        return Optional.of(run);
    }

    @Override
    public Integer call() throws InterruptedException {
        // The JVM-wide set-ups the assembly meets begin now, while the settings are read and the log is set up.
        WarmUp.begin();
        DaemonConfig config = DaemonConfig.from(common.daemonSettings());
        Logging.configure(config.settings().asMap());
        // After the log is set up: the store's set-ups may log through it, which fixes its configuration.
        WarmUp.store(config.storeId());
        Daemon daemon;
        try {
            daemon = Daemon.start(config);
        } catch (ConfigurationException e) {
            Logger.error("cannot start: {}", e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            Logger.error("cannot start: {}", e.getMessage() == null ? e.toString() : e.getMessage());
            return 1;
        }
        // Type=notify: the API answers /healthz from here on. Without NOTIFY_SOCKET nothing is sent.
        if (System.getProperty("jna.tmpdir") == null) {
            // JNA unpacks its native part; under the unit only the state folder is ours to write.
            System.setProperty("jna.tmpdir", config.stateDirectory().toString());
        }
        ServiceNotifier notifier = ServiceNotifier.fromEnvironment(System.getenv());
        notifier.send("READY=1\nSTATUS=listening on " + (config.listen().unixSocket().isPresent() ? config.listen().display()
                : config.listen().host() + ":" + daemon.port()));
        Watchdog watchdog = Watchdog.requested(System.getenv())
                .map(period -> Watchdog.start(notifier, period, daemon::healthy)).orElse(null);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            notifier.send("STOPPING=1");
            if (watchdog != null) {
                watchdog.close();
            }
            daemon.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
