package dev.tokenkeeper.bench.scale;

import dev.tokenkeeper.bench.startup.DaemonLauncher;
import dev.tokenkeeper.bench.startup.DaemonState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Several real daemon processes ({@code bin/tokenkeeper run} of the distribution) on one shared
 * store: each its own state folder, port and log, all with the same environment (the store, the
 * master key file, the upstream) and so the same credentials. Each daemon names itself (its lease
 * owner is host/pid/nonce), so their owners differ.
 */
public final class DaemonFleet implements AutoCloseable {

    private final List<DaemonLauncher> daemons;
    private final List<Path> states;

    private DaemonFleet(List<DaemonLauncher> daemons, List<Path> states) {
        this.daemons = daemons;
        this.states = states;
    }

    /**
     * Starts {@code count} daemons one after another, each start measured alone (started together on a
     * busy machine, their first connections to the database timed out).
     *
     * @param work         scratch folder
     * @param name         prefix of the state folders and logs
     * @param distribution the assembled distribution
     * @param environment  what every daemon gets beside its state folder and port
     * @param count        how many
     * @param within       how long each may take to answer {@code /healthz}
     * @return the running fleet
     * @throws Exception when one does not start in time (those started are stopped)
     */
    public static DaemonFleet start(Path work, String name, Path distribution, Map<String, String> environment,
                                    int count, Duration within) throws Exception {
        List<Path> states = new ArrayList<>();
        List<DaemonLauncher> started = new ArrayList<>();
        DaemonFleet fleet = new DaemonFleet(started, states);
        try {
            for (int i = 0; i < count; i++) {
                Path state = work.resolve(name + "-" + i);
                Files.createDirectories(state);
                Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
                states.add(state);
                int port = DaemonLauncher.freePort();
                Map<String, String> env = new HashMap<>(environment);
                env.put("TOKENKEEPER_STATE_DIR", state.toString());
                env.put("TOKENKEEPER_LISTEN", "127.0.0.1:" + port);
                // The launcher's JVM flags replaced (-Dscale.javaOpts), e.g. without its C1-only start-up setting.
                Optional.ofNullable(System.getProperty("scale.javaOpts")).ifPresent(flags -> env.put("JAVA_OPTS", flags));
                started.add(DaemonLauncher.start(DaemonState.runCommand(distribution), env, port,
                        work.resolve(name + "-" + i + ".log"), within));
            }
            return fleet;
        } catch (Exception e) {
            fleet.close();
            throw e;
        }
    }

    /** @return the daemons, in start order */
    public List<DaemonLauncher> daemons() {
        return daemons;
    }

    /**
     * @param index which daemon
     * @return the admin token it generated in its state folder
     * @throws IOException when it cannot be read
     */
    public String adminToken(int index) throws IOException {
        return Files.readString(states.get(index).resolve("admin-token")).trim();
    }

    /** Stops every daemon still running (SIGTERM, bounded waits). */
    @Override
    public void close() throws InterruptedException {
        for (DaemonLauncher daemon : daemons) {
            daemon.close();
        }
    }
}
