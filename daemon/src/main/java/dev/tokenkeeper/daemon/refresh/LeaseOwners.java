package dev.tokenkeeper.daemon.refresh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The lease owner names of the daemon runs on one state folder, for a store with a due queue
 * ({@link dev.tokenkeeper.api.store.DueWork}): there a claim's lease row already records the work in
 * flight, so instead of a durable note per refresh ({@link RefreshIntents}, kept on stores without a
 * due queue) the daemon writes once per start which name its leases carry. A run that was killed
 * leaves its name here; the next run on the folder asks the store which rows that name still holds
 * and presents their refresh tokens again at once. The file holds names only (host/pid/nonce), no secret.
 */
public final class LeaseOwners {

    private final Path file;
    private final String current;
    private final List<String> earlier;

    private LeaseOwners(Path file, String current, List<String> earlier) {
        this.file = file;
        this.current = current;
        this.earlier = earlier;
    }

    /**
     * Reads the earlier runs' names and records this run's beside them, durably, before this run
     * takes any lease.
     *
     * @param file    where the names live (in the state folder)
     * @param current this run's lease owner name
     * @return the names
     * @throws UncheckedIOException when the file cannot be written (the message says where)
     */
    public static LeaseOwners record(Path file, String current) {
        List<String> earlier = new ArrayList<>();
        try {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank() && !line.strip().equals(current)) {
                        earlier.add(line.strip());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (the lease owner names of earlier runs): "
                    + e.getMessage() + "; check the state folder's permissions", e);
        }
        LeaseOwners owners = new LeaseOwners(file, current, List.copyOf(earlier));
        owners.write(owners.all());
        return owners;
    }

    /** @return the names of earlier runs whose leases may not have been handled yet */
    public List<String> earlier() {
        return earlier;
    }

    /** Every earlier run's lease is handled: only this run's name stays. */
    public void settled() {
        write(Set.of(current));
    }

    private Set<String> all() {
        Set<String> names = new LinkedHashSet<>();
        names.add(current);
        names.addAll(earlier);
        return names;
    }

    private void write(Set<String> names) {
        Path written = file.resolveSibling(file.getFileName() + ".new");
        try {
            Files.writeString(written, String.join("\n", names) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
            // Replaced whole: a crash leaves the old list or the new one, never a torn one.
            Files.move(written, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + " (this daemon's lease owner name, for recovery"
                    + " after a crash): " + e.getMessage() + "; check the state folder's permissions", e);
        }
    }
}
