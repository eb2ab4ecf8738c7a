package dev.tokenkeeper.daemon.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** A file's POSIX permissions, for the checks that refuse a file or folder others may read or write. */
public final class PosixMode {

    private PosixMode() {
    }

    /**
     * @param path    a file or folder
     * @param failure the error naming the path and what to do, given why the permissions could not be read
     * @param <X>     the error's type
     * @return its permissions, or empty on a file system without POSIX permissions (nothing to check there)
     * @throws X when the permissions cannot be read
     */
    public static <X extends Exception> Optional<Set<PosixFilePermission>> of(Path path,
                                                                           Function<IOException, X> failure) throws X {
        try {
            return Optional.of(Files.getPosixFilePermissions(path));
        } catch (UnsupportedOperationException notPosix) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure.apply(e);
        }
    }
}
