package dev.tokenkeeper.inprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;

/**
 * A master key file for daemons that share one store (as a fleet does): each is given it with
 * {@code TOKENKEEPER_MASTER_KEY_FILE}, so each opens what another sealed.
 */
public final class SharedMasterKey {

    private SharedMasterKey() {
    }

    /**
     * Writes 32 random bytes to {@code master-key} in that folder, readable by its owner only.
     *
     * @param folder a folder of the test's (a {@code @TempDir})
     * @return {@code TOKENKEEPER_MASTER_KEY_FILE} naming the file, for {@link TokenkeeperExtension#settings}
     */
    public static Map<String, String> in(Path folder) {
        Path key = folder.resolve("master-key");
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        try {
            Files.write(key, bytes);
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("TOKENKEEPER_MASTER_KEY_FILE", key.toString());
    }
}
