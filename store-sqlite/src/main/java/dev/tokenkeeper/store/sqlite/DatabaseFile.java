package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.StoreException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Gets the database file ready before SQLite opens it: folders exist, the file is private. */
final class DatabaseFile {

    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FOLDER = PosixFilePermissions.fromString("rwx------");

    private DatabaseFile() {
    }

    /**
     * Creates the missing parent folders (mode 0700) and, when the file does not exist yet, an empty
     * file with mode 0600. SQLite gives its {@code -wal} and {@code -shm} files the mode of the
     * database file, so they end up private too. An existing file is left as it is.
     *
     * @param file the database file
     * @throws StoreException when a folder or the file cannot be created
     */
    static void prepare(Path file) {
        boolean posix = file.getFileSystem().supportedFileAttributeViews().contains("posix");
        Path parent = file.getParent();
        try {
            if (parent != null && !Files.isDirectory(parent)) {
                if (posix) {
                    Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FOLDER));
                } else {
                    Files.createDirectories(parent);
                }
            }
        } catch (IOException e) {
            throw new StoreException("sqlite: cannot create the folder " + parent + " for the database ("
                    + reason(e) + "): create it, make it writable by this user, or point "
                    + SqliteSettings.PATH + " elsewhere", e);
        }
        try {
            FileAttribute<?>[] attributes = posix
                    ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE)}
                    : new FileAttribute<?>[0];
            Files.createFile(file, attributes);
        } catch (FileAlreadyExistsException e) {
            // Normal on every start after the first, or when another daemon created it just now.
        } catch (IOException e) {
            throw new StoreException("sqlite: cannot create the database file " + file + " (" + reason(e)
                    + "): make its folder writable by this user, or point " + SqliteSettings.PATH
                    + " elsewhere", e);
        }
    }

    /** A short reason without the path, which the caller's message already names. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getClass().getSimpleName();
    }
}
