package dev.tokenkeeper.daemon.http;

import org.tinylog.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The file {@code <state>/listening}: the {@code host:port} (or {@code unix:<path>}) the control API is bound to, written once
 * it listens and removed at shutdown. With {@code TOKENKEEPER_LISTEN=127.0.0.1:0} the system picks a
 * free port, and this file (like the start-up log line) says which: tests and scripts read it instead
 * of picking a port and hoping no one else takes it first.
 */
public final class BoundAddress {

    /** The file's name in the state folder. */
    public static final String FILE = "listening";

    private BoundAddress() {
    }

    /**
     * @param stateDirectory the state folder
     * @param host           the listening host
     * @param port           the port actually bound
     */
    public static void write(Path stateDirectory, String host, int port) {
        writeLine(stateDirectory, host + ":" + port);
    }

    /**
     * @param stateDirectory the state folder
     * @param address        {@code host:port}, or {@code unix:<path>} on a Unix domain socket
     */
    public static void writeLine(Path stateDirectory, String address) {
        Path file = stateDirectory.resolve(FILE);
        try {
            Path temporary = Files.createTempFile(stateDirectory, FILE, ".tmp");
            Files.writeString(temporary, address + "\n", StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Logger.warn("could not write {} ({}); the start-up line names the port", file, e.getMessage());
        }
    }

    /** @param stateDirectory the state folder */
    public static void remove(Path stateDirectory) {
        try {
            Files.deleteIfExists(stateDirectory.resolve(FILE));
        } catch (IOException e) {
            Logger.warn("could not remove {}: {}", stateDirectory.resolve(FILE), e.getMessage());
        }
    }
}
