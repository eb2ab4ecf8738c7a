package dev.tokenkeeper.api;

import dev.tokenkeeper.api.store.StoreCapability;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Keeps credentials and their history durably: the core every store has. Found with
 * {@link java.util.ServiceLoader}: a store module declares
 * {@code provides dev.tokenkeeper.api.TokenStore with ...}; the daemon picks one by {@link #id()}
 * ({@code TOKENKEEPER_STORE}).
 *
 * <p>Anything more (refresh leases, a change feed, consumers, legacy settings rows, purging
 * overwritten rows, a setup script) is a {@link StoreCapability} the store offers through
 * {@link #capability(Class)} or not; the daemon does without one a store lacks, as each
 * capability says.
 *
 * <p>Several daemons may share one store. Every write is atomic and durable when the method
 * returns; {@link #compareAndSet} (and a store's {@link dev.tokenkeeper.api.store.Leases}) is the
 * only coordination the daemons have, so it must be atomic across processes, not read-then-write.
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
     * Hands out one of the store's capabilities. A store that wraps another one offers what the
     * wrapped store offers, passing each call on (wrapping a capability only where it must).
     *
     * @param type the capability, e.g. {@code Leases.class}
     * @param <C>  the capability
     * @return the capability, or empty when this store does not offer it (for a capability a
     *         setting can switch off, the answer is final only after {@link #open})
     */
    <C extends StoreCapability> Optional<C> capability(Class<C> type);

    /**
     * One-time, JVM-wide set-ups that {@link #open} meets the first time a store of this kind opens in
     * a process (a native library, a data-access library's first statement), done ahead on a
     * background thread while the daemon reads its settings, so that its start does not wait for them.
     * It must not open this store, touch its data or read settings; it may run on another instance of
     * the class than the one opened, and while {@link #open} runs. A failure is dropped ({@code open}
     * meets the same thing again and reports it). The default does nothing.
     */
    default void warmUp() {
    }

    /**
     * Connects, creating or migrating the schema if the store allows it. Called once, before
     * anything else but {@link #warmUp()}.
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
     * One page of the stored credentials, in the order of {@link #list()} (by id): for walking a
     * large store without holding all of it. The default filters {@link #list()}; a store that can
     * should read only the page.
     *
     * @param after the last id of the previous page, or empty for the first page
     * @param limit the most credentials to return, at least 1
     * @return the credentials whose ids come after {@code after}, at most {@code limit}; fewer than
     *         {@code limit} means there are no more
     * @throws IllegalArgumentException when {@code limit} is below 1
     */
    default List<StoredCredential> listPage(Optional<CredentialId> after, int limit) {
        int rows = pageLimit(limit);
        return list().stream()
                .filter(credential -> after.isEmpty() || credential.id().toString().compareTo(after.get().toString()) > 0)
                .limit(rows)
                .toList();
    }

    /**
     * The check every {@link #listPage} makes of its limit, for stores that read pages themselves.
     *
     * @param limit a page's most credentials
     * @return {@code limit}
     * @throws IllegalArgumentException when it is below 1
     */
    static int pageLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("a page holds at least one credential, not " + limit);
        }
        return limit;
    }

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
     * Removes a credential (its history stays).
     *
     * @param id the credential
     * @return false when there was none
     */
    boolean delete(CredentialId id);

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

    /** Releases connections and files. Calls after this fail. */
    @Override
    void close();
}
