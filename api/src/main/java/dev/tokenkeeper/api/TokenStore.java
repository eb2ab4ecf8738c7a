package dev.tokenkeeper.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Keeps credentials durably. Found with {@link java.util.ServiceLoader}: a store module declares
 * {@code provides dev.tokenkeeper.api.TokenStore with ...}; the daemon picks one by {@link #id()}
 * ({@code TOKENKEEPER_STORE}).
 *
 * <p>Several daemons may share one store. Every write is atomic and durable when the method
 * returns; {@link #compareAndSet} and {@link #tryLease} are the only coordination the daemons
 * have, so they must be atomic across processes, not read-then-write.
 *
 * <p>Methods throw {@link StoreUnavailableException} when the store cannot be reached and
 * {@link StoreException} for other failures; never with a secret in the message.
 */
public interface TokenStore extends AutoCloseable {

    /** @return the id used in {@code TOKENKEEPER_STORE}, e.g. {@code sqlite} */
    String id();

    /** @return one line for {@code tokenkeeper providers} */
    default String description() {
        return id();
    }

    /**
     * The SQL a user must run once to create this store's tables, for stores that cannot create
     * them themselves (printed by {@code tokenkeeper doctor --print-sql <store>}).
     *
     * @return the SQL script, or empty when the store manages its own schema
     */
    default Optional<String> setupSql() {
        return Optional.empty();
    }

    /**
     * Makes overwritten rows leave the store's files, as far as the store can, and says what it did:
     * called after every secret was re-sealed with a new key, and the old key is destroyed only when
     * the result {@linkplain PurgeResult#allowsDestroyingOldKeys() allows it}. SQLite checkpoints and
     * truncates its write-ahead log (which would otherwise still hold old ciphertexts) and vacuums
     * the database file. A store that wraps another one must pass this call on.
     *
     * <p>The default, for stores written before this method said what it did, reports
     * {@link PurgeResult.Failed}: a purge nobody confirmed must not let a rekey destroy the old key.
     *
     * @return what was purged, that there is nothing to purge, that old rows are out of this store's
     *         reach, or that the purge failed (with what to do)
     * @throws StoreException when the store cannot do it now (taken as {@link PurgeResult.Failed})
     */
    default PurgeResult purgeOverwritten() {
        return new PurgeResult.Failed("the " + id() + " store does not say whether overwritten rows leave its files",
                "upgrade the store plugin to a version that implements purgeOverwritten, then run"
                        + " `tokenkeeper rekey --finish`");
    }

    /**
     * Connects, creating or migrating the schema if the store allows it. Called once, before
     * anything else.
     *
     * @param context settings, state folder and clock
     * @throws StoreException when the store cannot be used; the message says how to fix it
     */
    void open(PluginContext context);

    /**
     * @param id a credential id
     * @return the credential, if stored
     */
    Optional<StoredCredential> get(CredentialId id);

    /** @return every stored credential, in id order */
    List<StoredCredential> list();

    /**
     * Adds a credential that does not exist yet.
     *
     * @param credential the credential, normally with version 1
     * @return false when a credential with that id already exists (nothing is written)
     */
    boolean insert(StoredCredential credential);

    /**
     * Replaces a credential if and only if its stored version is still {@code expectedVersion}.
     *
     * @param updated         the new state; its version must be {@code expectedVersion + 1}
     * @param expectedVersion the version the caller read
     * @return true when written; false when the stored version differs or the credential is gone
     * @throws IllegalArgumentException when {@code updated.version() != expectedVersion + 1}
     */
    boolean compareAndSet(StoredCredential updated, long expectedVersion);

    /**
     * Commits a refresh: compare-and-set the credential, append its history event and give the
     * lease back, in one durable step where the store can (each durable write costs a disk flush).
     * The default does the three in order; the history append and the release are best effort
     * there (a lease runs out by itself).
     *
     * @param updated         the new state; its version must be {@code expectedVersion + 1}
     * @param expectedVersion the version the caller read
     * @param event           the history event of the refresh
     * @param owner           the lease holder
     * @return true when the compare-and-set succeeded; nothing is written otherwise
     */
    default boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner) {
        if (!compareAndSet(updated, expectedVersion)) {
            return false;
        }
        try {
            appendHistory(event);
            releaseLease(updated.id(), owner);
        } catch (StoreException bestEffort) {
            // The credential itself is committed; history and lease are secondary.
        }
        return true;
    }

    /**
     * Removes a credential (its history stays).
     *
     * @param id the credential
     * @return false when there was none
     */
    boolean delete(CredentialId id);

    /**
     * Takes the credential's refresh lease, so that only one daemon refreshes it. Succeeds when no
     * one holds the lease, when it has run out, or when {@code owner} already holds it (extending it).
     *
     * @param id    the credential
     * @param owner a name unique to the calling daemon process
     * @param until when the lease runs out if not released
     * @return true when the caller now holds the lease
     */
    boolean tryLease(CredentialId id, String owner, Instant until);

    /**
     * Gives the lease back, if {@code owner} holds it; otherwise does nothing.
     *
     * @param id    the credential
     * @param owner the name passed to {@link #tryLease}
     */
    void releaseLease(CredentialId id, String owner);

    /**
     * Appends one event to the history.
     *
     * @param event the event
     */
    void appendHistory(RefreshEvent event);

    /**
     * @param id    the credential
     * @param since the earliest time to include
     * @param limit the most events to return
     * @return events at or after {@code since}, oldest first, at most {@code limit} (the newest ones)
     */
    List<RefreshEvent> history(CredentialId id, Instant since, int limit);

    /**
     * Starts announcing changes to the stored credentials, so that a daemon sharing the store with
     * others re-plans and re-reads a credential soon after another daemon imported, refreshed or
     * deleted it, rather than at its next validation sweep. Changes made through this instance
     * may be announced too. After a gap in which changes may have been lost (a reconnection), the
     * store announces {@link StoreChange.Everything}. Announcements stop at {@link #close()}.
     *
     * <p>Called at most once, after {@link #open}. The default announces nothing and returns
     * false: a store only one daemon uses (or one that cannot watch) needs nothing more, and
     * the daemon's validation sweep still picks up other daemons' changes.
     *
     * @param listener told about changes, on a thread of the store's
     * @return true when the store will announce changes, false when it never will
     */
    default boolean watch(ChangeListener listener) {
        return false;
    }

    /**
     * Asks the store to write a {@link SettingsRow} in the same transaction as every
     * {@link #insert}, {@link #compareAndSet} and {@link #commitRefresh} of a credential, for
     * deployments whose older clients read a token from such a row (opt-in: the row holds a token
     * in clear). Called at most once, after {@link #open}.
     *
     * @param rows for a credential about to be written, the row to write with it, or empty; called
     *             inside the store's transaction, so it must be quick and must not call the store
     * @return true when the store writes the rows itself; false (the default) when it cannot, and
     *         the daemon writes them its own way, after the commit
     */
    default boolean keepSettingsRows(Function<StoredCredential, Optional<SettingsRow>> rows) {
        return false;
    }

    /**
     * Adds a consumer (a program with a token of its own, scoped to some credentials). A store
     * shared by several daemons announces the change ({@link StoreChange.Consumers}) to their
     * {@link #watch} listeners. The default, for stores written before consumers existed, keeps none.
     *
     * @param consumer the consumer, holding only its token's hash, and its authentication tag (kept as given)
     * @return false when a consumer of that name exists already (nothing is written)
     * @throws StoreException when this store cannot keep consumers
     */
    default boolean insertConsumer(Consumer consumer) {
        throw new StoreException("the " + id() + " store keeps no consumers: upgrade it to a version that does");
    }

    /**
     * @param tokenHash the lowercase hex SHA-256 of a presented token
     * @return the consumer with that hash, if any; the default keeps none
     */
    default Optional<Consumer> consumerByTokenHash(String tokenHash) {
        return Optional.empty();
    }

    /** @return every consumer, in name order; the default keeps none */
    default List<Consumer> consumers() {
        return List.of();
    }

    /**
     * Replaces the authentication tag of one consumer row ({@link Consumer#mac}): the daemon tags
     * rows written before tags existed once, and re-tags them with a new key after a rekey. Nothing
     * else of the row changes; the change is announced like {@link #insertConsumer}. The default,
     * for stores that keep no consumers, refuses.
     *
     * @param name      the consumer's name
     * @param tokenHash the token hash the row must still have (else nothing is written)
     * @param mac       the new tag
     * @return false when no row has that name and token hash
     * @throws StoreException when this store cannot keep consumers
     */
    default boolean setConsumerMac(String name, String tokenHash, String mac) {
        throw new StoreException("the " + id() + " store keeps no consumers: upgrade it to a version that does");
    }

    /**
     * Removes a consumer, so that its token stops working (announced like {@link #insertConsumer}).
     *
     * @param name the consumer's name
     * @return false when there was none; the default keeps none
     */
    default boolean deleteConsumer(String name) {
        return false;
    }

    /** Releases connections and files. Calls after this fail. */
    @Override
    void close();
}
