package dev.tokenkeeper.daemon.rekey;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Finds secrets sealed with given keys in the files under a folder, by the sealed header ({@code 'T'
 * 'K'}, format version 1, key id length 8, the key id; see {@link dev.tokenkeeper.daemon.crypto.SecretSealer})
 * as raw bytes (a database file, its write-ahead log) and as the start of a Base64 text (a spool
 * file). Nothing is decrypted. Symbolic links are not followed; a file that disappears meanwhile
 * (a temporary one) is skipped.
 */
final class OldCiphertexts {

    private static final int CHUNK = 1 << 20;

    /**
     * Sealed secrets of one key in one file.
     *
     * @param file  the file
     * @param keyId the key
     * @param count how many headers were found
     */
    record Found(Path file, String keyId, int count) {
    }

    private record Pattern(String keyId, byte[] bytes) {
    }

    private OldCiphertexts() {
    }

    /**
     * @param folder the folder to search, with its sub-folders
     * @param keyIds the keys whose sealed secrets to look for
     * @param skip   sub-folders not to search (one holding the key files)
     * @return where sealed secrets of these keys are, empty when nowhere
     * @throws IOException when a file or folder cannot be read
     */
    static List<Found> under(Path folder, Collection<String> keyIds, Set<Path> skip) throws IOException {
        List<Pattern> patterns = new ArrayList<>();
        for (String keyId : keyIds) {
            for (byte[] pattern : patterns(keyId)) {
                patterns.add(new Pattern(keyId, pattern));
            }
        }
        List<Found> found = new ArrayList<>();
        if (patterns.isEmpty() || !Files.isDirectory(folder)) {
            return found;
        }
        Files.walkFileTree(folder, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                return skip.contains(dir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (attributes.isRegularFile()) {
                    try {
                        found.addAll(search(file, patterns));
                    } catch (NoSuchFileException gone) {
                        // A temporary file removed meanwhile.
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        return found;
    }

    /** @return the header as raw bytes and as the Base64 text a sealed secret's own encoding starts with */
    static List<byte[]> patterns(String keyId) {
        byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
        byte[] header = new byte[4 + id.length];
        header[0] = 'T';
        header[1] = 'K';
        header[2] = 1;
        header[3] = (byte) id.length;
        System.arraycopy(id, 0, header, 4, id.length);
        // 12 header bytes are four whole Base64 groups: their text does not depend on what follows.
        int whole = header.length / 3 * 3;
        byte[] prefix = Arrays.copyOf(header, whole);
        List<byte[]> patterns = new ArrayList<>();
        patterns.add(header);
        patterns.add(Base64.getEncoder().withoutPadding().encode(prefix));
        byte[] urlSafe = Base64.getUrlEncoder().withoutPadding().encode(prefix);
        if (!Arrays.equals(urlSafe, Base64.getEncoder().withoutPadding().encode(prefix))) {
            patterns.add(urlSafe);
        }
        return patterns;
    }

    private static List<Found> search(Path file, List<Pattern> patterns) throws IOException {
        int longest = patterns.stream().mapToInt(p -> p.bytes().length).max().orElse(1);
        Map<String, Integer> counts = new TreeMap<>();
        byte[] buffer = new byte[CHUNK + longest];
        int kept = 0;
        if (HeldOpenFiles.isWalIndex(file)) {
            return List.of();
        }
        boolean database = HeldOpenFiles.isDatabaseFile(file);
        FileChannel channel = database ? HeldOpenFiles.channel(file)
                : FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        long position = 0;
        try {
            while (true) {
                int read = readFully(channel, position, buffer, kept, CHUNK);
                position += read;
                int filled = kept + read;
                for (Pattern pattern : patterns) {
                    // A match ending in the carried-over tail was counted in the previous round.
                    int from = 0;
                    int count = 0;
                    for (int at = indexOf(buffer, filled, pattern.bytes(), from); at >= 0;
                         at = indexOf(buffer, filled, pattern.bytes(), at + 1)) {
                        if (at + pattern.bytes().length > kept) {
                            count++;
                        }
                    }
                    if (count > 0) {
                        counts.merge(pattern.keyId(), count, Integer::sum);
                    }
                }
                if (read < CHUNK) {
                    break;
                }
                kept = Math.min(longest - 1, filled);
                System.arraycopy(buffer, filled - kept, buffer, 0, kept);
            }
        } finally {
            if (!database) {
                channel.close();
            }
        }
        List<Found> found = new ArrayList<>();
        counts.forEach((keyId, count) -> found.add(new Found(file, keyId, count)));
        return found;
    }

    /** Positional reads: the held channel of a database file is shared and its position is never moved. */
    private static int readFully(FileChannel channel, long position, byte[] buffer, int offset, int length)
            throws IOException {
        ByteBuffer into = ByteBuffer.wrap(buffer, offset, length);
        while (into.hasRemaining()) {
            int read = channel.read(into, position + into.position() - offset);
            if (read < 0) {
                break;
            }
        }
        return into.position() - offset;
    }

    private static int indexOf(byte[] data, int length, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
