package dev.tokenkeeper.daemon.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Finds and creates the state folder: {@code TOKENKEEPER_STATE_DIR} (or {@code --state-dir}),
 * else {@code $STATE_DIRECTORY} under systemd, else {@code $XDG_STATE_HOME/tokenkeeper}, else
 * {@code ~/.local/state/tokenkeeper}.
 */
public final class StateDirectory {

    private StateDirectory() {
    }

    /**
     * @param settings the settings
     * @return the state folder (not yet created)
     */
    public static Path resolve(Settings settings) {
        return settings.get("TOKENKEEPER_STATE_DIR").map(Path::of)
                // systemd may pass several folders separated by ':'; the first is ours.
                .or(() -> settings.get("STATE_DIRECTORY").map(dirs -> Path.of(dirs.split(":")[0])))
                .or(() -> settings.get("XDG_STATE_HOME").map(xdg -> Path.of(xdg, "tokenkeeper")))
                .orElseGet(() -> Path.of(System.getProperty("user.home"), ".local", "state", "tokenkeeper"))
                .toAbsolutePath().normalize();
    }

    /**
     * Creates the folder with mode 0700 if it does not exist.
     *
     * @param folder the state folder
     * @throws ConfigurationException when it cannot be created or written
     */
    public static void create(Path folder) {
        try {
            if (!Files.isDirectory(folder)) {
                Files.createDirectories(folder);
                try {
                    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
                } catch (UnsupportedOperationException notPosix) {
                    // Non-POSIX file systems have no mode to set.
                }
            }
            if (!Files.isWritable(folder)) {
                throw new ConfigurationException("state folder " + folder + " is not writable: fix its owner or set TOKENKEEPER_STATE_DIR");
            }
        } catch (IOException e) {
            throw new ConfigurationException("cannot create state folder " + folder + ": " + e.getMessage()
                    + "; set TOKENKEEPER_STATE_DIR to a writable folder");
        }
    }
}
