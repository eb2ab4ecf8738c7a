package dev.tokenkeeper.daemon.rekey;

import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.daemon.crypto.MasterKeyLoader;
import org.tinylog.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Confirms that no ciphertext of the keys a rekey is about to destroy is left behind: the store
 * purges its overwritten rows and says so ({@link dev.tokenkeeper.api.store.Purge}), then every file
 * under the state folder (the SQLite database and its {@code -wal}, the spool, in-flight notes,
 * anything else) is searched for secrets sealed with those keys. A key is destroyed only when both
 * agree; otherwise it is kept, so that the purge can be run again.
 */
final class OldKeyPurge {

    private static final String RUN_AGAIN = "run `tokenkeeper rekey --finish` again once that is fixed (the old key"
            + " is kept until then)";

    private final TokenStore store;
    private final Path stateDirectory;

    /**
     * @param store          the daemon's store, as the rekey wrote to it
     * @param stateDirectory the daemon's state folder
     */
    OldKeyPurge(TokenStore store, Path stateDirectory) {
        this.store = Objects.requireNonNull(store, "store");
        this.stateDirectory = Objects.requireNonNull(stateDirectory, "stateDirectory");
    }

    /**
     * @param oldKeyIds the keys about to be destroyed
     * @return the store's result when nothing sealed with them is left in the state folder;
     *         {@link PurgeResult.Failed} otherwise, saying where and what to run
     */
    PurgeResult run(List<String> oldKeyIds) {
        Optional<Purge> purge = store.capability(Purge.class);
        if (purge.isEmpty()) {
            return new PurgeResult.Failed("the " + store.id() + " store offers no purge of overwritten rows, so"
                    + " nobody confirmed that old ciphertexts left its files", "use a store plugin that offers one"
                    + " (sqlite, postgres and supabase do), then " + RUN_AGAIN);
        }
        PurgeResult purged;
        try {
            purged = Objects.requireNonNull(purge.get().purgeOverwritten(), "purgeOverwritten() returned null");
        } catch (RuntimeException e) {
            return new PurgeResult.Failed("the " + store.id() + " store could not purge overwritten rows ("
                    + e.getMessage() + ")", RUN_AGAIN);
        }
        if (!purged.allowsDestroyingOldKeys()) {
            return purged;
        }
        List<OldCiphertexts.Found> left;
        try {
            left = OldCiphertexts.under(stateDirectory, oldKeyIds,
                    Set.of(stateDirectory.resolve(MasterKeyLoader.RETIRED_KEYS_FOLDER)));
        } catch (IOException e) {
            return new PurgeResult.Failed("could not search the state folder " + stateDirectory + " for old"
                    + " ciphertexts (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")",
                    "check the state folder's permissions, then " + RUN_AGAIN.substring(4));
        }
        if (!left.isEmpty()) {
            String where = left.stream().map(found -> stateDirectory.relativize(found.file()) + " (" + found.count()
                    + " sealed with key " + found.keyId() + ")").collect(Collectors.joining(", "));
            Logger.warn("after the purge, secrets sealed with a retired key are still in {}", where);
            return new PurgeResult.Failed("secrets sealed with the old key are still in " + where, RUN_AGAIN
                    + "; if they stay, stop other programs using those files (another daemon on the same database,"
                    + " a backup tool) and run it again");
        }
        return purged;
    }
}
