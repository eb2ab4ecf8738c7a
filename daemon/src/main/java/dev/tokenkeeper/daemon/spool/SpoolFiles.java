package dev.tokenkeeper.daemon.spool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import org.tinylog.Logger;

import dev.tokenkeeper.daemon.folders.FolderModes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The spool on disk: one JSON file per credential in {@code <state>/spool}, written to a temporary
 * file, forced to disk and renamed over the old one, so a crash leaves either the old or the new
 * entry and never half of one. Holds sealed secrets only.
 */
final class SpoolFiles {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path folder;

    SpoolFiles(Path folder) {
        this.folder = folder;
    }

    void write(SpoolEntry entry) throws IOException {
        FolderModes.createPrivate(folder);
        StoredCredential c = entry.updated();
        ObjectNode node = JSON.createObjectNode();
        node.put("id", c.id().toString());
        node.put("status", c.status().wireName());
        node.put("secret", c.secret().toBase64());
        node.put("issuedAt", c.issuedAt().toEpochMilli());
        c.accessExpiresAt().ifPresent(t -> node.put("accessExpiresAt", t.toEpochMilli()));
        c.refreshExpiresAt().ifPresent(t -> node.put("refreshExpiresAt", t.toEpochMilli()));
        node.put("version", c.version());
        c.lastRefreshAt().ifPresent(t -> node.put("lastRefreshAt", t.toEpochMilli()));
        c.lastError().ifPresent(e -> node.put("lastError", e));
        node.put("updatedAt", c.updatedAt().toEpochMilli());
        node.put("expectedVersion", entry.expectedVersion());
        byte[] bytes = JSON.writeValueAsBytes(node);
        Path target = file(c.id());
        Path temp = folder.resolve(target.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        try {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(temp);
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes));
            channel.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceFolder();
    }

    void delete(CredentialId id) throws IOException {
        Files.deleteIfExists(file(id));
        forceFolder();
    }

    /**
     * Deletes the temporary files a crash between writing and renaming leaves behind.
     *
     * @return how many were deleted
     */
    int removeTemporaries() throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        int removed = 0;
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".tmp"))::iterator) {
                Files.deleteIfExists(file);
                removed++;
            }
        }
        if (removed > 0) {
            forceFolder();
        }
        return removed;
    }

    List<SpoolEntry> readAll() {
        List<SpoolEntry> entries = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return entries;
        }
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".json"))::iterator) {
                try {
                    entries.add(read(JSON.readTree(file.toFile())));
                } catch (IOException | RuntimeException e) {
                    Logger.error("spool file {} is unreadable and was left in place: {}", file, e.getClass().getSimpleName());
                }
            }
        } catch (IOException e) {
            Logger.error("cannot list the spool folder {}: {}", folder, e.getMessage());
        }
        return entries;
    }

    private static SpoolEntry read(JsonNode n) {
        StoredCredential c = new StoredCredential(CredentialId.parse(n.get("id").asText()),
                CredentialStatus.fromWireName(n.get("status").asText()), SealedSecret.fromBase64(n.get("secret").asText()),
                Instant.ofEpochMilli(n.get("issuedAt").asLong()), instant(n, "accessExpiresAt"), instant(n, "refreshExpiresAt"),
                n.get("version").asLong(), instant(n, "lastRefreshAt"),
                Optional.ofNullable(n.get("lastError")).map(JsonNode::asText), Instant.ofEpochMilli(n.get("updatedAt").asLong()));
        return new SpoolEntry(c, n.get("expectedVersion").asLong());
    }

    private static Optional<Instant> instant(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(value.asLong()));
    }

    private Path file(CredentialId id) {
        // Credential ids are restricted to [A-Za-z0-9._@:-]; ':' is replaced to keep file names portable.
        return folder.resolve(id.toString().replace(':', '~') + ".json");
    }

    private void forceFolder() {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every file system lets a folder be forced; the rename is still atomic.
        }
    }
}
