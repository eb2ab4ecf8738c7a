package dev.tokenkeeper.daemon.tls;

import dev.tokenkeeper.daemon.config.ConfigurationException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Who may read the TLS private key: the file is owned by the daemon's user or root, and neither its
 * group nor others have any access. Whoever reads the key can impersonate the daemon to every
 * consumer and read the bearer tokens they send.
 */
final class KeyFileAccess {

    private KeyFileAccess() {
    }

    /**
     * @param file the private key (symbolic links are followed: the file they lead to is checked)
     * @throws ConfigurationException naming the file, what is wrong and the command that fixes it
     */
    static void check(Path file) {
        Set<PosixFilePermission> mode;
        int owner;
        try {
            mode = Files.getPosixFilePermissions(file);
            owner = (Integer) Files.getAttribute(file, "unix:uid");
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new ConfigurationException("TLS: cannot read the key file " + file + ": " + e.getMessage());
        }
        int shared = octal(mode) & 077;
        if (shared != 0) {
            throw new ConfigurationException("TLS: the key file " + file + " has mode " + String.format("%04o", octal(mode))
                    + " (" + PosixFilePermissions.toString(mode) + "): its group or others may read it, and whoever"
                    + " reads it can pose as this daemon; run `chmod 600 " + file + "`");
        }
        int self = daemonUid();
        if (owner != self && owner != 0) {
            throw new ConfigurationException("TLS: the key file " + file + " is owned by uid " + owner + ", neither the"
                    + " daemon's user (uid " + self + ") nor root; whoever owns it can change its mode; run `chown "
                    + self + " " + file + "` (or chown root)");
        }
    }

    private static int daemonUid() {
        try {
            // /proc/self belongs to the process's effective user.
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            throw new ConfigurationException("TLS: cannot tell which user the daemon runs as (/proc/self: "
                    + e.getMessage() + "), so the owner of the key file cannot be checked");
        }
    }

    private static int octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission permission : mode) {
            bits |= 0400 >> permission.ordinal();
        }
        return bits;
    }
}
