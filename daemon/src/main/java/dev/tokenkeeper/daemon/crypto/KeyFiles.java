package dev.tokenkeeper.daemon.crypto;

import dev.tokenkeeper.daemon.config.PosixMode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Reading and writing small private files: master key files, the KDF salt. Files are written
 * owner-only from the moment they exist, flushed to disk, and published atomically.
 */
final class KeyFiles {

    /** A key file is at most this long; anything bigger is certainly not a key. */
    static final int MAX_KEY_FILE_SIZE = 1024;

    static final String CREATE_HINT = "create one with `head -c 32 /dev/urandom > %s && chmod 600 %s`";

    private static final Set<PosixFilePermission> OWNER_ONLY_FILE =
            PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY =
            PosixFilePermissions.fromString("rwx------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyFiles() {
    }

    /** Which permission bits make a key file unacceptable. */
    enum Exposure {
        /** Any read or write bit for group or others: files the user manages. */
        GROUP_OR_OTHERS,
        /**
         * Only read or write bits for others: systemd credentials, whose mode and group systemd
         * chooses (it may grant the unit's group read access) inside a directory private to the unit.
         */
        OTHERS
    }

    /**
     * Reads a master key file: exactly 32 raw bytes, or text that trimmed is 64 hex characters or
     * the Base64 (standard or URL-safe) of 32 bytes.
     *
     * @param file     the file
     * @param what     how messages name it, for example {@code master key file}
     * @param exposure which permission bits to refuse
     * @return the key
     * @throws KeyConfigurationException naming the file and the problem
     */
    static MasterKey readKeyFile(Path file, String what, Exposure exposure) throws KeyConfigurationException {
        byte[] content = readPrivateFile(file, what, exposure);
        try {
            return parseKey(content).orElseThrow(() -> new KeyConfigurationException(what + " " + file
                    + " does not hold a key: expected exactly 32 raw bytes, 64 hex characters or Base64 of 32 bytes; "
                    + String.format(CREATE_HINT, file, file)));
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /**
     * Reads a small file after checking it is a regular file no other user can read or write.
     *
     * @return the content; the caller zeroes it
     */
    static byte[] readPrivateFile(Path file, String what, Exposure exposure) throws KeyConfigurationException {
        if (!Files.exists(file)) {
            throw new KeyConfigurationException(what + " " + file + " does not exist: "
                    + String.format(CREATE_HINT, file, file));
        }
        if (!Files.isRegularFile(file)) {
            throw new KeyConfigurationException(what + " " + file + " is not a regular file: point the setting at a key file");
        }
        checkPermissions(file, what, exposure);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > MAX_KEY_FILE_SIZE) {
                throw new KeyConfigurationException(what + " " + file + " is " + size
                        + " bytes, too large for a key: expected 32 raw bytes, 64 hex characters or Base64 of 32 bytes");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read until full or end of file
            }
            return Arrays.copyOf(buffer.array(), buffer.position());
        } catch (NoSuchFileException e) {
            throw new KeyConfigurationException(what + " " + file + " disappeared while being read: check the path", e);
        } catch (IOException e) {
            throw new KeyConfigurationException("cannot read " + what + " " + file + " (" + e.getClass().getSimpleName()
                    + "): check that the daemon's user may read it", e);
        }
    }

    /**
     * Refuses a file whose permissions expose it. Does nothing on file systems without POSIX
     * permissions.
     */
    static void checkPermissions(Path file, String what, Exposure exposure) throws KeyConfigurationException {
        Optional<Set<PosixFilePermission>> mode = PosixMode.of(file, e -> new KeyConfigurationException(
                "cannot read the permissions of " + what + " " + file + " (" + e.getClass().getSimpleName()
                        + "): check that the daemon's user may access it", e));
        if (mode.isEmpty()) {
            return;
        }
        Set<PosixFilePermission> permissions = mode.get();
        boolean othersRead = permissions.contains(PosixFilePermission.OTHERS_READ);
        boolean othersWrite = permissions.contains(PosixFilePermission.OTHERS_WRITE);
        boolean groupRead = exposure == Exposure.GROUP_OR_OTHERS && permissions.contains(PosixFilePermission.GROUP_READ);
        boolean groupWrite = exposure == Exposure.GROUP_OR_OTHERS && permissions.contains(PosixFilePermission.GROUP_WRITE);
        if (othersRead || othersWrite || groupRead || groupWrite) {
            String access = othersRead || groupRead ? "readable" : "writable";
            String fix = exposure == Exposure.GROUP_OR_OTHERS ? "chmod 600 " + file : "chmod o-rwx " + file;
            throw new KeyConfigurationException(what + " " + file + " is " + access + " by others (mode "
                    + mode(permissions) + "): run `" + fix + "`");
        }
    }

    /**
     * @param content file or setting bytes
     * @return the key, when the content is 32 raw bytes or (trimmed) 64 hex characters or the
     *         Base64 of 32 bytes
     */
    static Optional<MasterKey> parseKey(byte[] content) {
        if (content.length == MasterKey.LENGTH) {
            return Optional.of(MasterKey.of(content));
        }
        return parseKeyText(content);
    }

    /**
     * @param text ASCII text, surrounding white space allowed
     * @return the key, when the trimmed text is 64 hex characters or the Base64 of 32 bytes
     */
    static Optional<MasterKey> parseKeyText(byte[] text) {
        int start = 0;
        int end = text.length;
        while (start < end && isSpace(text[start])) {
            start++;
        }
        while (end > start && isSpace(text[end - 1])) {
            end--;
        }
        byte[] trimmed = Arrays.copyOfRange(text, start, end);
        byte[] key = null;
        try {
            key = trimmed.length == 2 * MasterKey.LENGTH ? hex(trimmed) : base64(trimmed);
            return key == null || key.length != MasterKey.LENGTH ? Optional.empty() : Optional.of(MasterKey.of(key));
        } finally {
            Arrays.fill(trimmed, (byte) 0);
            if (key != null) {
                Arrays.fill(key, (byte) 0);
            }
        }
    }

    private static byte[] hex(byte[] text) {
        byte[] out = new byte[text.length / 2];
        for (int i = 0; i < out.length; i++) {
            int high = Character.digit(text[2 * i], 16);
            int low = Character.digit(text[2 * i + 1], 16);
            if (high < 0 || low < 0) {
                Arrays.fill(out, (byte) 0);
                return null;
            }
            out[i] = (byte) (high << 4 | low);
        }
        return out;
    }

    private static byte[] base64(byte[] text) {
        for (Base64.Decoder decoder : new Base64.Decoder[] {Base64.getDecoder(), Base64.getUrlDecoder()}) {
            try {
                return decoder.decode(text);
            } catch (IllegalArgumentException e) {
                // Not this alphabet. The exception quotes an input character, so it is dropped.
            }
        }
        return null;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f';
    }

    /** Creates a folder (and missing parents) owner-only; an existing folder is left as it is. */
    static void createPrivateDirectories(Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            return;
        }
        try {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(directory);
        }
    }

    /**
     * Writes a new owner-only file unless one already exists: the content goes to a temporary file
     * in the same folder created with mode 0600, is forced to disk, and is then hard-linked to the
     * target name, which fails rather than replacing a file another process published first.
     *
     * @return whether this call created the file ({@code false}: it already existed, untouched)
     */
    static boolean writePrivateFileIfAbsent(Path target, byte[] content) throws IOException {
        if (Files.exists(target)) {
            return false;
        }
        Path temporary = writeTemporary(target, content);
        try {
            try {
                Files.createLink(target, temporary);
            } catch (FileAlreadyExistsException e) {
                return false;
            } catch (UnsupportedOperationException | FileSystemException e) {
                // No hard links here: a plain move refuses an existing target too (not atomically).
                try {
                    Files.move(temporary, target);
                } catch (FileAlreadyExistsException raced) {
                    return false;
                }
            }
            syncDirectory(target);
            return true;
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Replaces a file atomically with new owner-only content (temporary file, forced to disk,
     * renamed over the target).
     */
    static void replacePrivateFile(Path target, byte[] content) throws IOException {
        Path temporary = writeTemporary(target, content);
        try {
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(target);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static Path writeTemporary(Path target, byte[] content) throws IOException {
        byte[] suffix = new byte[6];
        RANDOM.nextBytes(suffix);
        Path temporary = target.resolveSibling(
                "." + target.getFileName() + "." + HexFormat.of().formatHex(suffix) + ".tmp");
        try {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
        } catch (UnsupportedOperationException e) {
            Files.createFile(temporary);
        }
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        return temporary;
    }

    /** Makes a new directory entry durable; not every platform can open a folder, which is fine. */
    private static void syncDirectory(Path file) {
        Path directory = file.toAbsolutePath().getParent();
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            // Best effort: the file itself was forced before it was published.
        }
    }

    /** @return the mode in octal, for example {@code 0644} */
    static String mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission permission : permissions) {
            mode |= 1 << (8 - permission.ordinal());
        }
        return String.format("0%o", mode);
    }
}
