package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.config.InstalledService;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The checks {@code tokenkeeper doctor} adds when run as root on a host where the package
 * installed the unit: unit active, key credential, secrets folder, state folder, journal.
 */
final class ServiceChecks {

    /**
     * One check's outcome.
     *
     * @param status {@code ok}, {@code warn} or {@code FAIL}
     * @param check  what was checked
     * @param detail what was found and what to do
     */
    record Result(String status, String check, String detail) {
    }

    static final Path UNIT = Path.of("/lib/systemd/system/tokenkeeper.service");
    static final Path MASTER_KEY = Path.of("/etc/tokenkeeper/master-key");
    static final Path CREDENTIALS = InstalledService.DEBIAN.environmentFile().resolveSibling(InstalledService.CREDENTIALS_FOLDER);
    static final Path PRIVATE_STATE = Path.of("/var/lib/private/tokenkeeper");
    private static final long COMMAND_SECONDS = 10;

    private ServiceChecks() {
    }

    /** @return true when these checks apply: the unit is installed and this is root */
    static boolean apply() {
        return Files.isRegularFile(UNIT) && "root".equals(System.getProperty("user.name"));
    }

    static List<Result> run() {
        List<Result> results = new ArrayList<>();
        String active = command("systemctl", "is-active", "tokenkeeper").strip();
        results.add("active".equals(active)
                ? new Result("ok", "service", "tokenkeeper.service is active")
                : new Result("FAIL", "service", "tokenkeeper.service is " + (active.isEmpty() ? "unknown" : active)
                        + ": see `systemctl status tokenkeeper` and `journalctl -u tokenkeeper -e`"));
        results.add(masterKey());
        results.add(credentialsFolder());
        Path state = InstalledService.DEBIAN.stateDirectory();
        if (Files.isDirectory(PRIVATE_STATE)) {
            results.add(new Result("ok", "service state", state + " (" + PRIVATE_STATE + ") exists"));
        } else {
            results.add(new Result("warn", "service state", PRIVATE_STATE + " does not exist: the service creates it on start"));
        }
        String warnings = command("journalctl", "-u", "tokenkeeper", "-p", "warning", "--since", "-1h", "-q", "-o", "cat", "-n", "200",
                "--no-pager");
        long count = warnings.lines().filter(line -> !line.isBlank()).count();
        results.add(count == 0
                ? new Result("ok", "journal", "no warnings from tokenkeeper in the last hour")
                : new Result("warn", "journal", count + " warning(s) in the last hour: journalctl -u tokenkeeper -p warning"));
        return results;
    }

    private static Result masterKey() {
        if (!Files.exists(MASTER_KEY)) {
            return new Result("FAIL", "key credential", MASTER_KEY + " is missing, so the unit's LoadCredential= fails:"
                    + " reinstall the package (`dpkg-reconfigure tokenkeeper`) or restore the key from backup");
        }
        try {
            PosixFileAttributes attributes = Files.readAttributes(MASTER_KEY, PosixFileAttributes.class);
            String mode = PosixFilePermissions.toString(attributes.permissions());
            if (!"rw-------".equals(mode) || !"root".equals(attributes.owner().getName())) {
                return new Result("FAIL", "key credential", MASTER_KEY + " must be 0600 root (is " + mode + " "
                        + attributes.owner().getName() + "): chown root: " + MASTER_KEY + " && chmod 600 " + MASTER_KEY);
            }
            return new Result("ok", "key credential", MASTER_KEY + " is 0600 root, " + attributes.size() + " bytes");
        } catch (IOException e) {
            return new Result("FAIL", "key credential", "cannot read " + MASTER_KEY + ": " + e.getMessage());
        }
    }

    /** The folder the unit loads secrets from ({@code LoadCredential=secret:...}): root's alone, or the secrets are not. */
    private static Result credentialsFolder() {
        if (!Files.isDirectory(CREDENTIALS, LinkOption.NOFOLLOW_LINKS)) {
            return new Result("FAIL", "secrets folder", CREDENTIALS + " is missing, so the unit's LoadCredential= fails:"
                    + " install -d -m 0700 " + CREDENTIALS);
        }
        try {
            PosixFileAttributes attributes = Files.readAttributes(CREDENTIALS, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String mode = PosixFilePermissions.toString(attributes.permissions());
            if (!mode.endsWith("------") || !"root".equals(attributes.owner().getName())) {
                return new Result("FAIL", "secrets folder", CREDENTIALS + " must be 0700 root (is " + mode + " "
                        + attributes.owner().getName() + "): chown root: " + CREDENTIALS + " && chmod 700 " + CREDENTIALS);
            }
            try (var files = Files.list(CREDENTIALS)) {
                return new Result("ok", "secrets folder", CREDENTIALS + " is 0700 root, " + files.count() + " secret(s)");
            }
        } catch (IOException e) {
            return new Result("FAIL", "secrets folder", "cannot read " + CREDENTIALS + ": " + e.getMessage());
        }
    }

    private static String command(String... argv) {
        try {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
            process.getOutputStream().close();
            if (!process.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return "";
            }
            return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
