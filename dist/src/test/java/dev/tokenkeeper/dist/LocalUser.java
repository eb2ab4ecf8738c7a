package dev.tokenkeeper.dist;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A second local user for the tests where another user matters (a planted jar, a squatted socket,
 * a symlinked sink folder): made with {@code useradd} on first use, and running commands through
 * {@code setpriv} with its own uid, gid and groups. The tests that need one run as root (CI is
 * root); elsewhere they are skipped by {@link #require}.
 *
 * @param name  the user's name
 * @param uid   its uid
 * @param gid   its primary gid
 */
record LocalUser(String name, int uid, int gid) {

    /** The result of a command run as the user. */
    record Result(int exit, String output) {
    }

    /**
     * The user called {@code name}, made when missing (a system user without a home or a login shell).
     *
     * @param name a user name, such as {@code tk-intruder}
     * @return the user
     */
    static synchronized LocalUser require(String name) throws IOException, InterruptedException {
        assumeTrue(isRoot(), "needs root to make a second local user");
        if (run(List.of("id", "-u", name)).exit() != 0) {
            Result made = run(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name));
            if (made.exit() != 0 && run(List.of("id", "-u", name)).exit() != 0) {
                throw new IllegalStateException("useradd " + name + " failed: " + made.output());
            }
        }
        int uid = Integer.parseInt(run(List.of("id", "-u", name)).output().strip());
        int gid = Integer.parseInt(run(List.of("id", "-g", name)).output().strip());
        return new LocalUser(name, uid, gid);
    }

    /** @return whether the tests run as root */
    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * Adds this user to a group (made when missing), for the group-access tests.
     *
     * @param group a group name
     */
    void joinGroup(String group) throws IOException, InterruptedException {
        if (run(List.of("getent", "group", group)).exit() != 0) {
            run(List.of("groupadd", "--system", group));
        }
        Result added = run(List.of("usermod", "-a", "-G", group, name));
        if (added.exit() != 0) {
            throw new IllegalStateException("usermod -a -G " + group + " " + name + " failed: " + added.output());
        }
    }

    /**
     * Runs a command as this user, with the given environment added to a minimal one.
     *
     * @param environment added variables
     * @param command     the command and its arguments
     * @return its exit code and merged output
     */
    Result exec(Map<String, String> environment, List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups",
                "--reset-env", "--", "env"));
        // setpriv --reset-env clears the environment, so the variables go through env(1) afterwards.
        environment.forEach((key, value) -> full.add(key + "=" + value));
        full.addAll(command);
        return run(full);
    }

    /**
     * Starts a command as this user in the background (a server the user runs), output to a file.
     *
     * @param environment added variables
     * @param command     the command and its arguments
     * @param output      where its merged output goes
     * @return the process; the caller ends it
     */
    Process start(Map<String, String> environment, List<String> command, Path output) throws IOException {
        List<String> full = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups",
                "--reset-env", "--", "env"));
        environment.forEach((key, value) -> full.add(key + "=" + value));
        full.addAll(command);
        return new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    /**
     * Writes a file owned by this user with the given mode, as the user would have made it.
     *
     * @param file    where
     * @param content what
     * @param mode    such as {@code rw-r--r--}
     */
    void own(Path file, String content, String mode) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        chown(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    /**
     * Gives a file or folder to this user, without following a link.
     *
     * @param path the file or folder
     */
    void chown(Path path) throws IOException {
        try {
            Result result = run(List.of("chown", "-h", uid + ":" + gid, path.toString()));
            if (result.exit() != 0) {
                throw new IOException("chown " + path + " failed: " + result.output());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not finish in 60 s");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
