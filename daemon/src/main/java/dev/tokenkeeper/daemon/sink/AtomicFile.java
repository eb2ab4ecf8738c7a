package dev.tokenkeeper.daemon.sink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Replaces a file so that a reader sees either the old content or the new one, never a part: a
 * temporary file in the same folder, created with its final mode, written, fsynced, then renamed
 * over the target, and the folder fsynced so the rename survives a power cut.
 */
public final class AtomicFile {

    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFile() {
    }

    /**
     * @param target      the file to replace
     * @param content     its new bytes
     * @param permissions its mode (for example {@code rw-------})
     * @param group       its group, if one is set
     * @throws IOException when the file cannot be written (the target is then unchanged)
     */
    public static void write(Path target, byte[] content, Set<PosixFilePermission> permissions,
                             Optional<GroupPrincipal> group) throws IOException {
        Path folder = target.toAbsolutePath().getParent();
        byte[] nonce = new byte[6];
        RANDOM.nextBytes(nonce);
        Path temporary = folder.resolve("." + target.getFileName() + ".tmp-" + HexFormat.of().formatHex(nonce));
        try {
            // Created with no access for others from the first byte: the mode is never wider than asked.
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(Set.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE)));
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            PosixFileAttributeView view = Files.getFileAttributeView(temporary, PosixFileAttributeView.class);
            if (group.isPresent()) {
                view.setGroup(group.get());
            }
            view.setPermissions(permissions);
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + folder + " cannot rename atomically", e);
            }
            syncFolder(folder);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("temporary file " + temporary + " already exists", e);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Deletes a file and makes the deletion durable.
     *
     * @param target the file
     * @return true when it existed
     * @throws IOException when it cannot be deleted
     */
    public static boolean delete(Path target) throws IOException {
        boolean existed = Files.deleteIfExists(target);
        if (existed) {
            syncFolder(target.toAbsolutePath().getParent());
        }
        return existed;
    }

    private static void syncFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a folder for sync; the rename itself is still atomic.
        }
    }
}
