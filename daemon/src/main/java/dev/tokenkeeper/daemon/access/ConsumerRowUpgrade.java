package dev.tokenkeeper.daemon.access;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.store.Consumers;
import dev.tokenkeeper.daemon.crypto.ConsumerRowMac;
import org.tinylog.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Tags, once, the consumer rows written before rows were authenticated, so that consumers made by
 * an earlier version keep working.
 *
 * <p>A store writer must not be able to use this to bless a forged row, so the upgrade is bounded
 * by facts only this daemon holds, never by anything in the store (which the writer controls):
 * <ul>
 *   <li>It happens once per installation, recorded by the file {@value #MARKER} in the daemon's
 *       state folder (mode 0700, not in the store). Once the file says {@code done}, a row without
 *       a tag is ignored forever.</li>
 *   <li>A state folder that is new at this start gets the file at once: a new installation has no
 *       rows from before tags, so it blesses nothing (a daemon joining a shared store later cannot
 *       be used to bless rows inserted meanwhile).</li>
 *   <li>When some row of the store already carries a valid tag, a daemon holding the key upgraded
 *       the store before: this daemon blesses nothing either.</li>
 *   <li>The rows to bless are written to the file before the first tag is, and only those (same
 *       name and token hash) are tagged, also when an interrupted upgrade resumes.</li>
 * </ul>
 * What remains is what every earlier version trusted: untagged rows present when the first daemon
 * of this version starts on a folder of an earlier one.
 */
public final class ConsumerRowUpgrade {

    /** The file in the state folder that records the upgrade. */
    public static final String MARKER = "consumer-rows-upgrade";
    private static final String DONE = "done";
    private static final String PLANNED = "planned";

    private final Path file;

    /** @param stateDirectory the daemon's state folder */
    public ConsumerRowUpgrade(Path stateDirectory) {
        this.file = Objects.requireNonNull(stateDirectory, "stateDirectory").resolve(MARKER);
    }

    /**
     * @param stateDirectory the state folder, before the daemon creates it
     * @return true when it does not exist yet or is empty: a new installation
     */
    public static boolean isNewStateFolder(Path stateDirectory) {
        if (!Files.isDirectory(stateDirectory)) {
            return true;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(stateDirectory)) {
            return !entries.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Records that a new installation has nothing to upgrade.
     *
     * @param stateDirectory the state folder, just created
     */
    public static void markNothingToUpgrade(Path stateDirectory) {
        new ConsumerRowUpgrade(stateDirectory).write(List.of(DONE));
    }

    /** @return false once the upgrade is done */
    public boolean pending() {
        return !lines().equals(List.of(DONE));
    }

    /**
     * Tags the untagged rows this installation had before tags, once.
     *
     * @param store the store's consumer rows
     * @param macs  the daemon's row authenticator
     * @throws dev.tokenkeeper.api.StoreException when the store fails; the upgrade then runs again later
     */
    public synchronized void run(Consumers store, ConsumerRowMac macs) {
        List<String> plan = lines();
        if (plan.equals(List.of(DONE))) {
            return;
        }
        List<Consumer> rows = store.consumers();
        if (plan.isEmpty()) {
            plan = new ArrayList<>(List.of(PLANNED));
            if (rows.stream().noneMatch(row -> macs.check(row).valid())) {
                for (Consumer row : rows) {
                    if (macs.check(row) == ConsumerRowMac.Verdict.MISSING) {
                        plan.add(row.name() + " " + row.tokenHash());
                    }
                }
            }
            write(plan);
        }
        int tagged = 0;
        for (Consumer row : rows) {
            if (macs.check(row) == ConsumerRowMac.Verdict.MISSING && plan.contains(row.name() + " " + row.tokenHash())
                    && store.setConsumerMac(row.name(), row.tokenHash(), macs.sign(row).mac().orElseThrow())) {
                tagged++;
                Logger.info("consumer {}: its row, from before consumer rows were authenticated, is now tagged with"
                        + " this installation's key (once, at the upgrade)", row.name());
            }
        }
        write(List.of(DONE));
        if (plan.size() > 1 || tagged > 0) {
            Logger.info("consumer rows upgraded: {} tagged; from now on a row without a valid tag grants nothing", tagged);
        }
    }

    private List<String> lines() {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(line -> !line.isBlank()).toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": check the state folder's permissions", e);
        }
    }

    private void write(List<String> lines) {
        Path temporary = file.resolveSibling(MARKER + ".tmp");
        try {
            Files.write(temporary, lines, StandardCharsets.UTF_8);
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": check the state folder's permissions", e);
        }
    }
}
