package dev.tokenkeeper.daemon.folders;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.PosixMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * The modes of the folders the daemon trusts, checked at start. Whoever can write the state folder
 * can swap the key or the admin token. (The plugins folder has its own check, made wherever
 * plugins are loaded: PluginFolderCheck.)
 */
public final class FolderModes {

    private static final Set<PosixFilePermission> SHARED_WRITE =
            Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private FolderModes() {
    }

    /**
     * @param state the state folder (exists)
     * @throws ConfigurationException when its group or others may write it
     */
    public static void checkState(Path state) {
        refuseSharedWrite(state, "state folder", "it holds the keys and the admin token");
    }

    /**
     * Creates a folder only the daemon's user may enter (0700), and narrows an existing one to it.
     *
     * @param folder the folder
     * @throws IOException when it cannot be created or its mode set
     */
    public static void createPrivate(Path folder) throws IOException {
        try {
            if (!Files.isDirectory(folder)) {
                Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            if (!PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)).equals("rwx------")) {
                Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
            }
        } catch (UnsupportedOperationException notPosix) {
            Files.createDirectories(folder);
        }
    }

    private static void refuseSharedWrite(Path path, String what, String why) {
        Optional<Set<PosixFilePermission>> mode = PosixMode.of(path, e -> new ConfigurationException(
                "cannot read the mode of the " + what + " " + path + ": " + e.getMessage()));
        if (mode.isPresent() && mode.get().stream().anyMatch(SHARED_WRITE::contains)) {
            throw new ConfigurationException(what + " " + path + " may be written by its group or others (mode "
                    + PosixFilePermissions.toString(mode.get()) + ") and " + why + ": run `chmod go-w " + path + "`");
        }
    }
}
