package dev.tokenkeeper.daemon.sink;

import dev.tokenkeeper.daemon.folders.TrustedFolders;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * A folder of the file sink, held open: everything in it is created, replaced and deleted relative
 * to the open folder ({@code openat}, {@code renameat}, {@code unlinkat}) and never through a link.
 * A link found where a folder or file belongs is refused, so nothing outside the sink is touched.
 * Every folder is checked on the open handle: owned by the daemon's user, writable by no one else.
 */
final class SinkFolder implements Closeable {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");

    private final SecureDirectoryStream<Path> stream;
    private final Path path;

    private SinkFolder(SecureDirectoryStream<Path> stream, Path path) {
        this.stream = stream;
        this.path = path;
    }

    /**
     * Opens the sink's root folder, creating it when missing.
     *
     * @param root  {@code TOKENKEEPER_SINK_DIR}
     * @param mode  the mode of a folder created here
     * @param group the group of a folder created here, if any
     * @param user  the daemon's user
     * @return the open root
     * @throws RefusedPathException when the root, or a folder above it, is owned or writable by another user
     * @throws IOException          when it cannot be created or opened
     */
    static SinkFolder openRoot(Path root, Set<PosixFilePermission> mode, Optional<GroupPrincipal> group, EffectiveUser user)
            throws IOException {
        if (Files.notExists(root, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(root, PosixFilePermissions.asFileAttribute(mode));
            Files.setPosixFilePermissions(root, mode);
            if (group.isPresent()) {
                Files.getFileAttributeView(root, PosixFileAttributeView.class).setGroup(group.get());
            }
        }
        Path real = root.toRealPath();
        Optional<String> above = TrustedFolders.pathProblem(real, "sink folder",
                "whoever can change it can swap the sink folder and the files consumers read");
        if (above.isPresent()) {
            throw new RefusedPathException(above.get());
        }
        DirectoryStream<Path> opened = Files.newDirectoryStream(real);
        if (!(opened instanceof SecureDirectoryStream<Path> secure)) {
            opened.close();
            throw new RefusedPathException("this system cannot act in " + real + " without following links (no secure"
                    + " directory streams): the file sink needs Linux");
        }
        SinkFolder folder = new SinkFolder(secure, real);
        try {
            folder.checkOwnedBy(user, ownModeText(real), "chmod " + octal(mode) + " " + real);
        } catch (IOException | RuntimeException e) {
            folder.close();
            throw e;
        }
        return folder;
    }

    /**
     * Opens a folder in this one, creating it when missing (when {@code create}).
     *
     * @param name   one path component
     * @param create whether to create it when missing
     * @param mode   its mode (set when different)
     * @param group  its group, if any (set when different)
     * @param user   the daemon's user
     * @return the open folder, or empty when missing and not created
     * @throws RefusedPathException when a link stands there, or it is owned or writable by another user
     */
    Optional<SinkFolder> folder(String name, boolean create, Set<PosixFilePermission> mode, Optional<GroupPrincipal> group,
                                EffectiveUser user) throws IOException {
        Path entry = entry(name);
        if (create) {
            try {
                // mkdir never follows a link in its last component: a planted link makes it fail, refused below.
                Files.createDirectory(path.resolve(entry), PosixFilePermissions.asFileAttribute(mode));
            } catch (FileAlreadyExistsException exists) {
                // Checked below, on the opened handle.
            }
        }
        Optional<BasicFileAttributes> attributes = attributes(entry);
        if (attributes.isEmpty()) {
            return Optional.empty();
        }
        refuseLink(entry, attributes.get(), "a folder");
        SecureDirectoryStream<Path> opened;
        try {
            opened = stream.newDirectoryStream(entry, LinkOption.NOFOLLOW_LINKS);
        } catch (NotDirectoryException e) {
            throw new RefusedPathException(path.resolve(entry) + " is not a folder: remove it");
        } catch (FileSystemException e) {
            // ELOOP: a link put there since the look above.
            throw new RefusedPathException(path.resolve(entry) + " could not be opened without following a link ("
                    + e.getReason() + "): remove it");
        }
        SinkFolder folder = new SinkFolder(opened, path.resolve(entry));
        try {
            PosixFileAttributeView view = opened.getFileAttributeView(PosixFileAttributeView.class);
            folder.checkOwnedBy(user, PosixFilePermissions.toString(view.readAttributes().permissions()),
                    "chmod " + octal(mode) + " " + folder.path);
            PosixFileAttributes now = view.readAttributes();
            if (group.isPresent() && !group.get().equals(now.group())) {
                view.setGroup(group.get());
            }
            if (!now.permissions().equals(mode)) {
                view.setPermissions(mode);
            }
        } catch (IOException | RuntimeException e) {
            folder.close();
            throw e;
        }
        return Optional.of(folder);
    }

    /**
     * Replaces a file so that a reader sees the old content or the new one, never a part: a
     * temporary file created here (never through a link), written, synced, given its mode, then
     * renamed over the file, and the folder synced.
     *
     * @param name    one path component
     * @param content the new bytes
     * @param mode    its mode
     * @param group   its group, if any
     * @throws RefusedPathException when a link stands where the file belongs
     */
    void replace(String name, byte[] content, Set<PosixFilePermission> mode, Optional<GroupPrincipal> group) throws IOException {
        Path entry = entry(name);
        Optional<BasicFileAttributes> existing = attributes(entry);
        if (existing.isPresent()) {
            refuseLink(entry, existing.get(), "a file");
        }
        byte[] nonce = new byte[6];
        RANDOM.nextBytes(nonce);
        Path temporary = entry("." + name + ".tmp-" + HexFormat.of().formatHex(nonce));
        Set<OpenOption> options = Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS);
        try {
            // No access for others from the first byte: the mode is never wider than asked.
            try (SeekableByteChannel channel = stream.newByteChannel(temporary, options,
                    PosixFilePermissions.asFileAttribute(PRIVATE))) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                if (channel instanceof FileChannel file) {
                    file.force(true);
                }
            }
            PosixFileAttributeView view = stream.getFileAttributeView(temporary, PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (group.isPresent()) {
                view.setGroup(group.get());
            }
            view.setPermissions(mode);
            stream.move(temporary, stream, entry);
            sync();
        } finally {
            try {
                stream.deleteFile(temporary);
            } catch (NoSuchFileException moved) {
                // Renamed into place, as it should be.
            }
        }
    }

    /**
     * Deletes a file (never what a link points to) and makes the deletion durable.
     *
     * @param name one path component
     * @return whether it existed
     * @throws RefusedPathException when a link stands where the file belongs (it is left alone)
     */
    boolean delete(String name) throws IOException {
        Path entry = entry(name);
        Optional<BasicFileAttributes> existing = attributes(entry);
        if (existing.isEmpty()) {
            return false;
        }
        refuseLink(entry, existing.get(), "a file");
        try {
            stream.deleteFile(entry);
        } catch (NoSuchFileException gone) {
            return false;
        }
        sync();
        return true;
    }

    /** @return the folder's path, for messages */
    Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        stream.close();
    }

    private void checkOwnedBy(EffectiveUser user, String modeText, String chmod) throws IOException {
        PosixFileAttributes own = stream.getFileAttributeView(PosixFileAttributeView.class).readAttributes();
        UserPrincipal owner = own.owner();
        Set<PosixFilePermission> mode = own.permissions();
        boolean othersWrite = mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE);
        if (!user.owns(owner) || othersWrite) {
            throw new RefusedPathException(path + " is " + (user.owns(owner) ? "" : "owned by " + owner.getName() + ", ")
                    + "mode " + modeText + ": the sink folders must belong to the daemon's user " + user.display()
                    + " and be writable by no one else, or another user could plant links or swap the files consumers"
                    + " read; run `chown " + user.name() + " " + path + " && " + chmod + "`");
        }
    }

    private Path entry(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a single file name: " + name);
        }
        return path.getFileSystem().getPath(name);
    }

    private Optional<BasicFileAttributes> attributes(Path entry) throws IOException {
        try {
            return Optional.of(stream.getFileAttributeView(entry, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private void refuseLink(Path entry, BasicFileAttributes attributes, String what) throws RefusedPathException {
        if (attributes.isSymbolicLink()) {
            throw new RefusedPathException(path.resolve(entry) + " is a symbolic link where " + what
                    + " belongs: refused, nothing it points to is touched; remove the link");
        }
    }

    private void sync() {
        try (SeekableByteChannel folder = stream.newByteChannel(path.getFileSystem().getPath("."),
                Set.of(StandardOpenOption.READ))) {
            if (folder instanceof FileChannel channel) {
                channel.force(true);
            }
        } catch (IOException e) {
            // Some file systems cannot sync a folder; the rename itself is still atomic.
        }
    }

    private static int unixMode(Path file) {
        try {
            return (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return 0;
        }
    }

    /** The mode as {@code ls} and {@code chmod} write it, with the sticky bit where the system tells. */
    private static String ownModeText(Path file) {
        int mode = unixMode(file);
        if (mode != 0) {
            return String.format("%04o", mode & 07777);
        }
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission permission : mode) {
            bits |= 1 << (8 - permission.ordinal());
        }
        return String.format("%04o", bits);
    }
}
