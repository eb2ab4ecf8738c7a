package dev.tokenkeeper.daemon.folders;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The effective uid this process runs as: the daemon's "service user" (or, for a CLI command, the
 * user running it). Besides root, it is the only user whose files this process may trust.
 */
public final class ServiceUser {

    private static final OptionalInt UID = read();

    private ServiceUser() {
    }

    /** @return the effective uid, when the system says (Linux: /proc/self) */
    public static OptionalInt uid() {
        return UID;
    }

    private static OptionalInt read() {
        try {
            // "Uid:\treal\teffective\tsaved\tfilesystem"
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Uid:")) {
                    return OptionalInt.of(Integer.parseInt(line.substring(4).strip().split("\\s+")[1]));
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // Falls through to the owner of /proc/self, which is the effective uid too.
        }
        try {
            return OptionalInt.of((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException unknown) {
            return OptionalInt.empty();
        }
    }
}
