package dev.tokenkeeper.daemon;

import dev.tokenkeeper.daemon.assembly.Assembly;
import dev.tokenkeeper.daemon.assembly.Inputs;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.refresh.CredentialService;

import java.time.Duration;

/**
 * A running tokenkeeper: plugins found, store open, key loaded, scheduler and control API up, all
 * owned by one {@link Assembly}. {@link #close()} shuts it down in order: stop scheduling and let
 * running refreshes finish, then close every part in reverse order of its start.
 */
public final class Daemon implements AutoCloseable {

    private final Assembly assembly;

    private Daemon(Assembly assembly) {
        this.assembly = assembly;
    }

    /**
     * Builds every part and starts them in order.
     *
     * @param config the configuration
     * @return the running daemon
     * @throws ConfigurationException when a setting, the key or the store is wrong (message says how to fix it)
     */
    public static Daemon start(DaemonConfig config) {
        WarmUp.begin();
        return new Daemon(Assembly.build(config, Inputs.found()).start());
    }

    /** @return the control API's port */
    public int port() {
        return assembly.port();
    }

    /**
     * @param bound how long the scheduler may go without its tick
     * @return true when the scheduler's heartbeat is recent (what the systemd watchdog is fed from)
     */
    public boolean healthy(Duration bound) {
        return assembly.healthy(bound);
    }

    /** @return the credential operations, for in-process callers */
    public CredentialService credentials() {
        return assembly.credentials();
    }

    @Override
    public void close() {
        assembly.close();
    }
}
