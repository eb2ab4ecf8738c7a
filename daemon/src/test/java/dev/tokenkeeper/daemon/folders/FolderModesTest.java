package dev.tokenkeeper.daemon.folders;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FolderModesTest {

    @TempDir
    Path temp;

    @Test
    void aPluginsFolderWritableByOthersOrItsGroupIsRefused() throws Exception {
        Path plugins = Files.createDirectory(temp.resolve("plugins"));
        Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertDoesNotThrow(() -> FolderModes.checkPlugins(Optional.of(plugins)));
        for (String mode : new String[] {"rwxrwxrwx", "rwxrwxr-x", "rwxr-xrwx"}) {
            Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString(mode));
            ConfigurationException refused = assertThrows(ConfigurationException.class,
                    () -> FolderModes.checkPlugins(Optional.of(plugins)), mode);
            assertTrue(refused.getMessage().contains("chmod go-w " + plugins), refused.getMessage());
        }
        Files.setPosixFilePermissions(plugins, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = Files.createFile(plugins.resolve("evil.jar"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-rw-"));
        ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> FolderModes.checkPlugins(Optional.of(plugins)));
        assertTrue(refused.getMessage().contains("plugin jar " + jar), refused.getMessage());
        assertDoesNotThrow(() -> FolderModes.checkPlugins(Optional.empty()));
    }

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
