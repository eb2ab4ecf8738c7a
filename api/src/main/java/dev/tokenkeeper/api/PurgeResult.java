package dev.tokenkeeper.api;

import java.util.Objects;

/**
 * What {@link dev.tokenkeeper.api.store.Purge#purgeOverwritten()} did with the overwritten rows (old ciphertexts) in the
 * store's files, so that a rekey destroys the old key only once the purge is confirmed. Every text
 * is one line for the operator, without any secret.
 */
public sealed interface PurgeResult {

    /**
     * @return whether the rekey may destroy the old key: the store purged what it can reach, keeps no
     *         old copies, or can never reach them (keeping the key would then protect nothing)
     */
    default boolean allowsDestroyingOldKeys() {
        return !(this instanceof Failed);
    }

    /** @return one line saying what the store did or why not */
    String summary();

    /**
     * The store removed the overwritten rows from the files it manages, and checked that it did.
     *
     * @param done    what was done, e.g. "write-ahead log checkpointed and truncated, database vacuumed"
     * @param remains what the store cannot reach and may still hold old rows (a server's own log or
     *                backups), or empty when nothing does
     */
    record Purged(String done, String remains) implements PurgeResult {

        /** Rejects nulls. */
        public Purged {
            Objects.requireNonNull(done, "done");
            Objects.requireNonNull(remains, "remains");
        }

        @Override
        public String summary() {
            return remains.isEmpty() ? done : done + "; " + remains;
        }
    }

    /**
     * The store keeps no old copies of a row once it is overwritten (a store in memory only).
     *
     * @param why why there is nothing to purge
     */
    record NothingToPurge(String why) implements PurgeResult {

        /** Rejects a null. */
        public NothingToPurge {
            Objects.requireNonNull(why, "why");
        }

        @Override
        public String summary() {
            return why;
        }
    }

    /**
     * Old rows may remain where this store cannot reach them at all (a hosted database reached over
     * a REST API), whatever the caller does; they leave when the server reclaims them.
     *
     * @param why what may remain, where, and until when
     */
    record OutOfReach(String why) implements PurgeResult {

        /** Rejects a null. */
        public OutOfReach {
            Objects.requireNonNull(why, "why");
        }

        @Override
        public String summary() {
            return why;
        }
    }

    /**
     * The purge did not happen or could not be confirmed; old rows may still be in the store's files.
     * The old key must be kept so that the purge can be run again.
     *
     * @param what   what failed
     * @param remedy what the operator should do or run
     */
    record Failed(String what, String remedy) implements PurgeResult {

        /** Rejects nulls. */
        public Failed {
            Objects.requireNonNull(what, "what");
            Objects.requireNonNull(remedy, "remedy");
        }

        @Override
        public String summary() {
            return what + ": " + remedy;
        }
    }
}
