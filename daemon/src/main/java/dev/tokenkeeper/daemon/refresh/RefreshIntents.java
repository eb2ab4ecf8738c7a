package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import org.tinylog.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A durable note "a refresh of this credential is about to reach the upstream", written before the
 * upstream call and removed once its outcome is handled: a note still there at start-up names a
 * refresh whose answer may have been lost to a crash, so the daemon presents the old refresh token
 * again at once (a reuse-tolerant upstream such as Doorkeeper still accepts it then). One file per
 * credential in the state folder's {@code inflight/}; the file holds the lease owner, no secret.
 */
public final class RefreshIntents {

    /**
     * A refresh that was in flight.
     *
     * @param id    the credential
     * @param owner the lease owner of the daemon that sent it
     */
    public record Intent(CredentialId id, String owner) {
    }

    private static final RefreshIntents NONE = new RefreshIntents(null);

    private final Path directory;

    private RefreshIntents(Path directory) {
        this.directory = directory;
    }

    /** @return intents that are not recorded (tests and benchmarks) */
    public static RefreshIntents none() {
        return NONE;
    }

    /**
     * @param directory where the notes live (created if missing)
     * @return intents recorded there
     */
    public static RefreshIntents in(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory + " for in-flight refresh notes: "
                    + e.getMessage() + "; check the state folder's permissions", e);
        }
        return new RefreshIntents(directory);
    }

    /**
     * Notes, durably, that a refresh is about to reach the upstream.
     *
     * @param id    the credential
     * @param owner this daemon's lease owner
     */
    void begin(CredentialId id, String owner) {
        if (directory == null) {
            return;
        }
        try {
            Files.writeString(file(id), owner + "\n" + id + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
        } catch (IOException e) {
            // The refresh still goes ahead: the note only speeds up recovery after a crash.
            Logger.warn("could not note the refresh of {} as in flight ({}); after a crash it is retried at its"
                    + " planned time instead of at once", id, e.getMessage());
        }
    }

    /**
     * The refresh's outcome is handled (committed, or nothing to commit).
     *
     * @param id the credential
     */
    public void end(CredentialId id) {
        if (directory == null) {
            return;
        }
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException e) {
            Logger.warn("could not remove the in-flight note of {}: {}", id, e.getMessage());
        }
    }

    /** @return the refreshes that were in flight when the daemon last stopped */
    public List<Intent> pending() {
        List<Intent> intents = new ArrayList<>();
        if (directory == null) {
            return intents;
        }
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                read(file).ifPresent(intents::add);
            }
        } catch (IOException e) {
            Logger.warn("could not read the in-flight refresh notes in {}: {}", directory, e.getMessage());
        }
        return intents;
    }

    private Optional<Intent> read(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() >= 2) {
                return Optional.of(new Intent(CredentialId.parse(lines.get(1).strip()), lines.get(0).strip()));
            }
        } catch (IOException | RuntimeException e) {
            // A note torn by a crash while it was written: the refresh had not been sent yet.
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Left for the next start.
        }
        return Optional.empty();
    }

    private Path file(CredentialId id) {
        return directory.resolve(HexFormat.of().formatHex(id.toString().getBytes(StandardCharsets.UTF_8)) + ".inflight");
    }
}
