package dev.tokenkeeper.daemon.folders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a folder this process takes code from (plugins) or offers its socket in can be changed by
 * a user other than root and the {@link ServiceUser service user}.
 *
 * <p>The rule: the folder, every folder above it up to {@code /}, and every symbolic link on the way
 * are owned by root or the service user, and none may be written by its group or others. One
 * exception, for the folders <em>above</em> only: a folder owned by root with the sticky bit (such as
 * {@code /tmp}, mode 1777) may be writable by others, because there only an entry's owner (or root)
 * can rename or remove it, and the entry below it on the path is itself root's or the service
 * user's. A sticky folder owned by anyone else is refused (its owner can replace any entry), and the
 * folder itself is never let off by a sticky bit: others could still add entries to it.
 */
public final class TrustedFolders {

    private static final int TYPE_MASK = 0170000;
    private static final int LINK = 0120000;
    private static final int STICKY = 01000;
    private static final int GROUP_OR_OTHER_WRITE = 0022;

    private TrustedFolders() {
    }

    /**
     * @param folder an existing folder
     * @param what   what it is, e.g. "plugins folder"
     * @param why    why it matters, e.g. "a jar placed there runs as the daemon"
     * @return what is wrong with it or a folder or link on its path and what to do, or empty when none
     */
    public static Optional<String> folderProblem(Path folder, String what, String why) {
        Optional<String> above = pathProblem(folder, what, why);
        if (above.isPresent()) {
            return above;
        }
        Path absolute = folder.toAbsolutePath();
        try {
            Path real = absolute.toRealPath();
            return problem(real, Node.of(real), false, what + " " + folder + (real.equals(absolute) ? "" : " (" + real + ")"),
                    why);
        } catch (IOException e) {
            return Optional.of("cannot check the " + what + " " + folder + ": " + e + ": fix its path or its modes");
        } catch (UnsupportedOperationException notPosix) {
            return Optional.empty();
        }
    }

    /**
     * Checks only the folders and links on the way to a folder, not the folder itself (whose owner a
     * caller may hold to a stricter rule, as the file sink does).
     *
     * @param folder an existing folder
     * @param what   what it is, e.g. "sink folder"
     * @param why    why it matters
     * @return what is wrong with a folder or link on its path and what to do, or empty when none
     */
    public static Optional<String> pathProblem(Path folder, String what, String why) {
        Path absolute = folder.toAbsolutePath();
        Set<Path> checked = new HashSet<>();
        try {
            Path real = absolute.toRealPath();
            // The folder itself is not a folder above.
            checked.add(real);
            for (Path prefix : prefixes(absolute)) {
                Node node = Node.of(prefix);
                if (node.link() && !trusted(node.uid())) {
                    return Optional.of(what + " " + folder + ": the symbolic link " + prefix + " on its path is owned by "
                            + node.owner() + ", not by " + trustedNames() + ", and " + why + ": replace it by a link of"
                            + " root's (`ln -sfn \"$(readlink " + prefix + ")\" " + prefix + "` as root) or use the"
                            + " real path");
                }
                for (Path above : prefixes(prefix.toRealPath())) {
                    if (checked.add(above)) {
                        Optional<String> problem = problem(above, Node.of(above), true, what + " " + folder
                                + ": the folder " + above + " on its path", why);
                        if (problem.isPresent()) {
                            return problem;
                        }
                    }
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot check the " + what + " " + folder + ": " + e + ": fix its path or its modes");
        } catch (UnsupportedOperationException notPosix) {
            return Optional.empty();
        }
    }

    /**
     * @param entry a file in a checked folder, not followed if it is a link
     * @param what  what it is, e.g. "plugin jar"
     * @param why   why it matters
     * @return what is wrong with its owner or mode and what to do, or empty when none
     */
    public static Optional<String> entryProblem(Path entry, String what, String why) {
        try {
            return problem(entry, Node.of(entry), false, what + " " + entry, why);
        } catch (IOException e) {
            return Optional.of("cannot check the " + what + " " + entry + ": " + e);
        } catch (UnsupportedOperationException notPosix) {
            return Optional.empty();
        }
    }

    /** @return whether root or the service user owns files of this uid */
    public static boolean trusted(int uid) {
        return uid == 0 || ServiceUser.uid().orElse(0) == uid;
    }

    /** @return "root (uid 0)" or "root (uid 0) or the service user (uid 998)" */
    public static String trustedNames() {
        int self = ServiceUser.uid().orElse(0);
        return self == 0 ? "root (uid 0)" : "root (uid 0) or the service user (uid " + self + ")";
    }

    private static Optional<String> problem(Path path, Node node, boolean above, String subject, String why) {
        boolean ownerBad = !trusted(node.uid());
        boolean stickyRoot = above && node.uid() == 0 && (node.mode() & STICKY) != 0;
        boolean modeBad = (node.mode() & GROUP_OR_OTHER_WRITE) != 0 && !stickyRoot;
        if (!ownerBad && !modeBad) {
            return Optional.empty();
        }
        List<String> wrong = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        if (ownerBad) {
            wrong.add("is owned by " + node.owner() + ", not by " + trustedNames());
            fixes.add("`chown root: " + path + "`");
        }
        if (modeBad) {
            wrong.add("may be written by its group or others (mode " + node.octal() + ")"
                    + ((node.mode() & STICKY) != 0 ? "; the sticky bit does not make up for that on a folder "
                    + (above ? "not owned by root" : "that is itself the one trusted") : ""));
            fixes.add("`chmod go-w " + path + "`");
        }
        return Optional.of(subject + " " + String.join(" and ", wrong) + ", and " + why + ": run "
                + String.join(" and ", fixes) + " (or choose a folder only root or the service user can change)");
    }

    private static List<Path> prefixes(Path absolute) {
        List<Path> prefixes = new ArrayList<>();
        Path prefix = absolute.getRoot();
        prefixes.add(prefix);
        for (Path name : absolute) {
            prefix = prefix.resolve(name);
            prefixes.add(prefix);
        }
        return prefixes;
    }

    /** A path's owner and mode, not following a link. */
    private record Node(int uid, int mode, String ownerName) {

        static Node of(Path path) throws IOException {
            Map<String, Object> attributes = Files.readAttributes(path, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            String name = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS).getName();
            return new Node((Integer) attributes.get("uid"), (Integer) attributes.get("mode"), name);
        }

        boolean link() {
            return (mode & TYPE_MASK) == LINK;
        }

        String owner() {
            return "uid " + uid + (ownerName.equals(Integer.toString(uid)) ? "" : " (" + ownerName + ")");
        }

        String octal() {
            return String.format("%04o", mode & 07777);
        }
    }
}
