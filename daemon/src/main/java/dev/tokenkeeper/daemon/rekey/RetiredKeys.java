package dev.tokenkeeper.daemon.rekey;

import dev.tokenkeeper.daemon.crypto.MasterKeyLoader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.stream.Collectors;

/** The end of a retired key: its file overwritten and deleted, its id listed as destroyed for good. */
public final class RetiredKeys {

    /** Ids of destroyed keys, one a line, in the keys folder. */
    public static final String DESTROYED_FILE = MasterKeyLoader.DESTROYED_KEY_IDS;

    private RetiredKeys() {
    }

    /**
     * @param stateDirectory the state folder
     * @return the ids of keys destroyed by a rekey
     */
    public static Set<String> destroyed(Path stateDirectory) {
        try {
            return Files.readAllLines(file(stateDirectory), StandardCharsets.US_ASCII).stream()
                    .map(String::strip).filter(line -> !line.isEmpty()).collect(Collectors.toSet());
        } catch (NoSuchFileException e) {
            return Set.of();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file(stateDirectory) + " (" + e.getClass().getSimpleName()
                    + "): check the state folder's permissions", e);
        }
    }

    static void recordDestroyed(Path stateDirectory, String keyId) throws IOException {
        Path file = file(stateDirectory);
        Files.createDirectories(file.getParent());
        if (!destroyed(stateDirectory).contains(keyId)) {
            Files.writeString(file, keyId + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.SYNC);
        }
    }

    /** Overwrites the file with zeros, syncs, deletes it. */
    static void shred(Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long size = channel.size();
            channel.write(ByteBuffer.allocate((int) Math.min(size, 4096)), 0);
            channel.force(true);
        }
        Files.delete(file);
    }

    private static Path file(Path stateDirectory) {
        return stateDirectory.resolve(MasterKeyLoader.RETIRED_KEYS_FOLDER).resolve(DESTROYED_FILE);
    }
}
