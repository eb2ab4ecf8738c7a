package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.Daemon;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.log.Logging;
import dev.tokenkeeper.daemon.systemd.ServiceNotifier;
import dev.tokenkeeper.daemon.systemd.Watchdog;
import org.tinylog.Logger;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code tokenkeeper run}: the daemon, until SIGTERM or SIGINT. */
@Command(name = "run", description = "Run the daemon in the foreground (what systemd starts).")
final class RunCommand extends Subcommand implements Callable<Integer> {

    @Override
    public Integer call() throws InterruptedException {
        DaemonConfig config = DaemonConfig.from(common.daemonSettings());
        Logging.configure(config.settings().asMap());
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
