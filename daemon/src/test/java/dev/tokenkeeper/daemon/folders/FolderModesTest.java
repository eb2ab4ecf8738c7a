package dev.tokenkeeper.daemon.folders;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FolderModesTest {

    @TempDir
    Path temp;

    @Test
    void aStateFolderWritableByOthersIsRefused() throws Exception {
        Path state = Files.createDirectory(temp.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        assertDoesNotThrow(() -> FolderModes.checkState(state));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        ConfigurationException refused = assertThrows(ConfigurationException.class, () -> FolderModes.checkState(state));
        assertTrue(refused.getMessage().contains("state folder " + state), refused.getMessage());
    }

    @Test
    void theSpoolFolderIsCreatedAndNarrowedTo0700() throws Exception {
        Path spool = temp.resolve("state/spool");
        FolderModes.createPrivate(spool);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spool)));
        Files.setPosixFilePermissions(spool, PosixFilePermissions.fromString("rwxr-xr-x"));
        FolderModes.createPrivate(spool);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spool)));
    }
}
