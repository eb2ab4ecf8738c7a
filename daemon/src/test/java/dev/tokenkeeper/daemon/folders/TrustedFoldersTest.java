package dev.tokenkeeper.daemon.folders;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ownership rule on real files: uids other than root's are given with chown (the test runs as
 * root, as in CI), so no user has to exist.
 */
class TrustedFoldersTest {

    private static final int STRANGER = 54321;

    @TempDir
    Path temp;

    @BeforeEach
    void asRoot() {
        assumeTrue(ServiceUser.uid().orElse(-1) == 0, "needs root to give files to another uid");
    }

    @Test
    void aPrivateFolderOfRootsUnderTmpPasses() throws Exception {
        Path folder = Files.createDirectory(temp.resolve("plugins"));
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(Optional.empty(), TrustedFolders.folderProblem(folder, "plugins folder", "why"),
                "/tmp above is root's and sticky");
    }

    @Test
    void theFolderItselfIsNeverLetOffBySticky() throws Exception {
        for (int mode : new int[] {01777, 0770, 0757}) {
            Path folder = Files.createDirectories(temp.resolve("m" + mode));
            Files.setAttribute(folder, "unix:mode", mode);
            String problem = TrustedFolders.folderProblem(folder, "socket folder", "why").orElseThrow();
            assertTrue(problem.contains("may be written by its group or others") && problem.contains("chmod go-w " + folder),
                    problem);
        }
    }

    @Test
    void aFolderOrAFolderAboveOwnedByAnotherUserIsRefused() throws Exception {
        Path above = Files.createDirectory(temp.resolve("above"));
        Path folder = Files.createDirectory(above.resolve("plugins"));
        Files.setAttribute(folder, "unix:uid", STRANGER);
        String problem = TrustedFolders.folderProblem(folder, "plugins folder", "why").orElseThrow();
        assertTrue(problem.contains("owned by uid " + STRANGER) && problem.contains("chown root: " + folder), problem);

        Files.setAttribute(folder, "unix:uid", 0);
        Files.setAttribute(above, "unix:uid", STRANGER);
        problem = TrustedFolders.folderProblem(folder, "plugins folder", "why").orElseThrow();
        assertTrue(problem.contains("the folder " + above + " on its path is owned by uid " + STRANGER), problem);

        // A sticky folder above lets others off only when root owns it: its owner may replace entries.
        Files.setAttribute(above, "unix:mode", 01777);
        assertTrue(TrustedFolders.folderProblem(folder, "plugins folder", "why").isPresent());
        Files.setAttribute(above, "unix:uid", 0);
        assertEquals(Optional.empty(), TrustedFolders.folderProblem(folder, "plugins folder", "why"));
        Files.setAttribute(above, "unix:mode", 0777);
        problem = TrustedFolders.folderProblem(folder, "plugins folder", "why").orElseThrow();
        assertTrue(problem.contains("mode 0777"), problem);
    }

    @Test
    void aLinkOnThePathMustBeRootsAndItsTargetPassesToo() throws Exception {
        Path real = Files.createDirectory(temp.resolve("real"));
        Path link = Files.createSymbolicLink(temp.resolve("link"), real);
        assertEquals(Optional.empty(), TrustedFolders.folderProblem(link, "plugins folder", "why"));
        Files.setAttribute(link, "unix:uid", STRANGER, LinkOption.NOFOLLOW_LINKS);
        String problem = TrustedFolders.folderProblem(link, "plugins folder", "why").orElseThrow();
        assertTrue(problem.contains("symbolic link " + link) && problem.contains("uid " + STRANGER), problem);

        Files.setAttribute(link, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(real, "unix:uid", STRANGER);
        problem = TrustedFolders.folderProblem(link, "plugins folder", "why").orElseThrow();
        assertTrue(problem.contains("(" + real + ")") && problem.contains("uid " + STRANGER), problem);
    }

    @Test
    void anEntryOwnedByAnotherUserOrWritableByOthersIsRefused() throws Exception {
        Path jar = Files.createFile(temp.resolve("a.jar"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(Optional.empty(), TrustedFolders.entryProblem(jar, "plugin jar", "why"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-r--"));
        assertTrue(TrustedFolders.entryProblem(jar, "plugin jar", "why").orElseThrow().contains("mode 0664"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setAttribute(jar, "unix:uid", STRANGER);
        assertTrue(TrustedFolders.entryProblem(jar, "plugin jar", "why").orElseThrow().contains("uid " + STRANGER));
    }
}
