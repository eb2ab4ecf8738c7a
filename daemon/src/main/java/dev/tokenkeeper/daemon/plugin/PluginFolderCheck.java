package dev.tokenkeeper.daemon.plugin;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.folders.TrustedFolders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The one check of the plugins folder, made by {@link PluginLoader} before it opens any jar there, so
 * that no command ({@code run}, {@code providers}, {@code doctor}, {@code import --help}) can load a jar
 * without it: the folder and the folders above it pass {@link TrustedFolders}, and every jar is a
 * regular file (not a link) owned by root or the service user and writable by nobody else. One bad
 * jar refuses the whole folder: a jar left in by someone else says the folder is not what it seems.
 */
final class PluginFolderCheck {

    private static final String WHY = "a jar there runs with this user's rights";

    private PluginFolderCheck() {
    }

    /**
     * @param folder the plugins folder
     * @return the jars to load (those checked, sorted by name); none when the folder does not exist
     * @throws ConfigurationException naming the path, what is wrong and what to do
     * @throws IOException            when the folder cannot be listed
     */
    static List<Path> jars(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        TrustedFolders.folderProblem(folder, "plugins folder", WHY).ifPresent(PluginFolderCheck::refuse);
        List<Path> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path jar : files.filter(path -> path.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                if (Files.isSymbolicLink(jar)) {
                    refuse("plugin jar " + jar + " is a symbolic link (to " + Files.readSymbolicLink(jar) + "), and " + WHY
                            + ": links are not followed, since whoever controls the target controls the code; put the jar"
                            + " itself there (`cp --remove-destination \"$(readlink -f " + jar + ")\" " + jar + "`)");
                }
                if (!Files.isRegularFile(jar, LinkOption.NOFOLLOW_LINKS)) {
                    refuse("plugin jar " + jar + " is not a regular file: remove it or rename it so it does not end in .jar");
                }
                TrustedFolders.entryProblem(jar, "plugin jar", WHY).ifPresent(PluginFolderCheck::refuse);
                jars.add(jar);
            }
        }
        return jars;
    }

    private static void refuse(String problem) {
        throw new ConfigurationException("no plugin was loaded: " + problem);
    }
}
