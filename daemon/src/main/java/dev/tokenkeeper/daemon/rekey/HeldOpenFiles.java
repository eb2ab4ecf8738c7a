package dev.tokenkeeper.daemon.rekey;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Read channels on a live SQLite database's files that this process keeps open while the file is
 * the same. Closing any descriptor of a file drops every POSIX lock the process holds on it,
 * SQLite's own included (sqlite.org/howtocorrupt.html, 2.2): after a scan that opened and closed
 * {@code tokenkeeper.db}, the next process to open the database (the CLI's {@code doctor}, a
 * second daemon) took itself for the only one, rebuilt the WAL index and removed the WAL under
 * the daemon, whose reads then failed with {@code SQLITE_IOERR_SHORT_READ}. A channel is closed
 * only once its path names another file (the old one is then no longer the database's).
 */
final class HeldOpenFiles {

    private record Held(Object inode, FileChannel channel) {
    }

    private static final Map<Path, Held> HELD = new HashMap<>();

    private HeldOpenFiles() {
    }

    /**
     * @param file a file of a live SQLite database
     * @return whether it must be read through {@link #channel}: the database, its WAL or journal
     */
    static boolean isDatabaseFile(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".db") || name.endsWith(".db-wal") || name.endsWith(".db-journal");
    }

    /**
     * @param file a file of a live SQLite database
     * @return whether it is the WAL index, which holds no content and is not read at all
     */
    static boolean isWalIndex(Path file) {
        return file.getFileName().toString().endsWith(".db-shm");
    }

    /**
     * @param file a database file
     * @return a channel on it this process never closes while the file is the same; read it with
     *         positional reads only
     * @throws IOException when it cannot be opened
     */
    static synchronized FileChannel channel(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        Object inode = Files.readAttributes(key, "unix:ino", LinkOption.NOFOLLOW_LINKS).get("ino");
        Held held = HELD.get(key);
        if (held != null && held.inode().equals(inode) && held.channel().isOpen()) {
            return held.channel();
        }
        if (held != null) {
            held.channel().close();
        }
        FileChannel channel = FileChannel.open(key, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        HELD.put(key, new Held(inode, channel));
        return channel;
    }
}
