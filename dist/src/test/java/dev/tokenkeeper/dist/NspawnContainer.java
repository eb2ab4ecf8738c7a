package dev.tokenkeeper.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A minimal Debian booted under its own systemd with {@code systemd-nspawn}: the root made once
 * by {@code mmdebstrap} and cached under {@code ~/.cache/tokenkeeper/rootfs} (keyed by suite and
 * package list), every boot on a throwaway copy ({@code cp --reflink=auto}), commands run inside with
 * {@code nsenter -t <container's pid 1> -a}. The host's network is shared (no
 * {@code --private-network}), so a server on the host's 127.0.0.1 is reachable from inside.
 */
final class NspawnContainer implements AutoCloseable {

    static final String SUITE = "bookworm";
    static final List<String> PACKAGES = List.of("systemd", "systemd-sysv", "dbus", "openjdk-17-jre-headless", "curl",
            "sudo", "ca-certificates",
            // The consumer clients' offline install (SystemdPackageIT, step 3b); not npm: its ~400
            // packages took the root's build past 15 minutes.
            "python3-venv", "nodejs");
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** What a command inside printed and how it ended. */
    record Result(int exit, String output) {
        boolean ok() {
            return exit == 0;
        }
    }

    private final Process nspawn;
    private final long leader;
    private final Path log;
    private final Path copy;

    private NspawnContainer(Process nspawn, long leader, Path log, Path copy) {
        this.nspawn = nspawn;
        this.leader = leader;
        this.log = log;
        this.copy = copy;
    }

    /** @return the cached root for {@link #PACKAGES}, made with mmdebstrap when absent (a few minutes, once) */
    static Path rootfs() throws Exception {
        String key = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest((SUITE + " minbase " + String.join(",", PACKAGES)).getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "tokenkeeper", "rootfs");
        Path root = cache.resolve(SUITE + "-" + key);
        if (Files.isDirectory(root.resolve("usr/lib/systemd"))) {
            return root;
        }
        Files.createDirectories(cache);
        Path building = cache.resolve(root.getFileName() + ".building");
        run(Duration.ofMinutes(15), "rm", "-rf", building.toString());
        run(Duration.ofMinutes(15), "mmdebstrap", "--variant=minbase", "--include=" + String.join(",", PACKAGES),
                SUITE, building.toString());
        Files.move(building, root);
        return root;
    }

    /**
     * Boots a throwaway copy of the root.
     *
     * @param root  the cached root (never changed)
     * @param copy  where the copy goes (deleted first and on {@link #close()})
     * @param binds host folders made visible read-only, as {@code host:container}
     * @param log   where the container's console goes
     * @return the running container, once systemd says it is up
     */
    static NspawnContainer boot(Path root, Path copy, List<String> binds, Path log) throws Exception {
        // Our own copy rather than --ephemeral: a container that has to be killed leaves nothing
        // behind next to the cache, because close() deletes the copy whatever happened.
        run(Duration.ofMinutes(2), "rm", "-rf", copy.toString());
        run(Duration.ofMinutes(5), "cp", "-a", "--reflink=auto", root.toString(), copy.toString());
        List<String> command = new ArrayList<>(List.of("systemd-nspawn", "-D", copy.toString(), "-b",
                "--register=no", "--keep-unit", "--console=passive"));
        binds.forEach(bind -> command.add("--bind-ro=" + bind));
        Process nspawn = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        nspawn.getOutputStream().close();
        NspawnContainer container = null;
        try {
            // The container's pid 1 is the child of nspawn that runs systemd (nspawn forks an
            // intermediate child first, which exits: look until the child is systemd).
            long[] leader = {0};
            await("container's systemd").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!nspawn.isAlive()) {
                    throw new IllegalStateException("systemd-nspawn ended: " + Files.readString(log));
                }
                for (ProcessHandle child : nspawn.toHandle().children().toList()) {
                    Path comm = Path.of("/proc", Long.toString(child.pid()), "comm");
                    if (Files.exists(comm) && Files.readString(comm).strip().equals("systemd")) {
                        leader[0] = child.pid();
                        return true;
                    }
                }
                return false;
            });
            container = new NspawnContainer(nspawn, leader[0], log, copy);
            NspawnContainer booting = container;
            await("systemd inside is up").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() -> {
                String state = booting.sh("systemctl is-system-running").output().strip();
                return state.equals("running") || state.equals("degraded");
            });
            return container;
        } catch (RuntimeException | Error e) {
            if (container != null) {
                container.close();
            } else {
                nspawn.destroyForcibly();
                nspawn.waitFor(10, TimeUnit.SECONDS);
                run(Duration.ofMinutes(2), "rm", "-rf", copy.toString());
            }
            throw e;
        }
    }

    /**
     * Runs a shell command inside as root with a clean environment (nothing but PATH and HOME).
     *
     * @param script the {@code sh -c} script
     * @return its exit and output (stdout and stderr)
     */
    Result sh(String script) throws IOException, InterruptedException {
        return exec(Duration.ofSeconds(120), "nsenter", "-t", Long.toString(leader), "-a", "--", "/usr/bin/env", "-i",
                "PATH=" + PATH, "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive", "/bin/sh", "-c", script);
    }

    /** @return the console log so far */
    String console() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws Exception {
        try {
            if (nspawn.isAlive()) {
                // poweroff, not SIGTERM to nspawn: that halts the container and leaves nspawn waiting.
                sh("systemctl --no-block poweroff");
                if (!nspawn.waitFor(60, TimeUnit.SECONDS)) {
                    nspawn.destroyForcibly();
                    nspawn.waitFor(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            run(Duration.ofMinutes(2), "rm", "-rf", copy.toString());
        }
    }

    private static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        Result result = exec(timeout, command);
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + result.exit() + "): " + result.output());
        }
        return result;
    }

    private static Result exec(Duration timeout, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("nspawn-exec", ".out");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException(String.join(" ", command) + " did not end within " + timeout + ": "
                        + Files.readString(out));
            }
            return new Result(process.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
