package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.Daemon;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.log.Logging;
import org.tinylog.Logger;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code tokenkeeper run}: the daemon, until SIGTERM or SIGINT. */
@Command(name = "run", description = "Run the daemon in the foreground (what systemd starts).")
final class RunCommand extends Subcommand implements Callable<Integer> {

    @Override
    public Integer call() throws InterruptedException {
        DaemonConfig config = common.config();
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
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
