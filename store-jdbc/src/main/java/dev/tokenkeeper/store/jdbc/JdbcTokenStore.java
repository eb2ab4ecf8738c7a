package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.AccountSecrets;
import dev.tokenkeeper.api.store.Consumers;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.StoreCapability;
import dev.tokenkeeper.api.store.Tally;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The credentials, history, consumers, lease release and tally of a SQL store, on the {@link Tables} of
 * its {@link Dialect}. A store says how it lends a handle for a read and for a write (a transaction
 * of its own, which it commits durably before it returns), how it takes a lease, and keeps the
 * change feed, purging and its connections. It offers every {@link StoreCapability} it implements.
 */
public abstract class JdbcTokenStore implements TokenStore, Leases, Consumers, AccountSecrets, Tally {

    /**
     * Statements on a lent handle.
     *
     * @param <R> the result
     */
    @FunctionalInterface
    protected interface Work<R> {

        /**
         * @param tables the store's tables
         * @param handle the lent handle (in the write's transaction, for a write)
         * @return the result
         */
        R run(Tables tables, Handle handle);
    }

    /** For the subclass. */
    protected JdbcTokenStore() {
    }

    /**
     * @param action what the work does, for messages (e.g. {@code read credential gazelle:default})
     * @param work   the statements
     * @param <R>    the result
     * @return what the work returned
     * @throws dev.tokenkeeper.api.StoreException when the store is closed or the database fails
     * @throws IllegalStateException before {@link #open}
     */
    protected abstract <R> R read(String action, Work<R> work);

    /**
     * @param action what the work does, for messages
     * @param work   one statement
     * @param <R>    the result
     * @return what the work returned, once it is durable
     * @throws dev.tokenkeeper.api.StoreException when the store is closed or the database fails
     * @throws IllegalStateException before {@link #open}
     */
    protected abstract <R> R write(String action, Work<R> work);

    /**
     * @param action what the work does, for messages
     * @param work   the statements, all committed together or none
     * @param <R>    the result
     * @return what the work returned, once it is durable
     * @throws dev.tokenkeeper.api.StoreException when the store is closed or the database fails
     * @throws IllegalStateException before {@link #open}
     */
    protected abstract <R> R transaction(String action, Work<R> work);

    /**
     * Runs in the transaction of every write that changed a credential's row (insert,
     * compare-and-set, refresh); nothing by default.
     *
     * @param tx         the write's handle
     * @param credential the credential as written
     */
    protected void credentialWritten(Handle tx, StoredCredential credential) {
    }

    /** @return this store, when it implements {@code type} (a subclass may implement more) */
    @Override
    public final <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        return StoreCapability.offeredBy(type, this);
    }

    @Override
    public Optional<StoredCredential> get(CredentialId id) {
        Objects.requireNonNull(id, "id");
        return read("read credential " + id, (tables, handle) -> tables.get(handle, id));
    }

    @Override
    public List<StoredCredential> list() {
        return read("list credentials", Tables::list);
    }

    @Override
    public List<StoredCredential> listPage(Optional<CredentialId> after, int limit) {
        int rows = TokenStore.pageLimit(limit); // checked here: inside the read it would become a store error
        return read("list credentials", (tables, handle) -> tables.page(handle, after, rows));
    }

    @Override
    public Tally.Counts tally() {
        return read("count credentials by status", Tables::tally);
    }

    /**
     * @param credential the credential, normally with version 1
     * @return false when a credential with that id already exists (nothing is written)
     */
    @Override
    public boolean insert(StoredCredential credential) {
        Objects.requireNonNull(credential, "credential");
        return writeCredential("insert credential ", credential, (tables, tx) -> tables.insert(tx, credential));
    }

    /** One write of a credential's row in a transaction, with {@link #credentialWritten} when it was written. */
    private boolean writeCredential(String action, StoredCredential credential, Work<Boolean> write) {
        return transaction(action + credential.id(), (tables, tx) -> {
            boolean written = write.run(tables, tx);
            if (written) {
                credentialWritten(tx, credential);
            }
            return written;
        });
    }

    /**
     * One {@code UPDATE ... WHERE id = ? AND version = ?}; the lease columns are left as they are.
     *
     * @param updated         the new state; its version must be {@code expectedVersion + 1}
     * @param expectedVersion the version the caller read
     * @return true when written; false when the stored version differs or the credential is gone
     */
    @Override
    public boolean compareAndSet(StoredCredential updated, long expectedVersion) {
        Objects.requireNonNull(updated, "updated").checkFollows(expectedVersion);
        return writeCredential("update credential ", updated,
                (tables, tx) -> tables.compareAndSet(tx, updated, expectedVersion));
    }

    /** Compare-and-set, history append and lease release in one transaction: all three or none. */
    @Override
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner) {
        Objects.requireNonNull(updated, "updated").checkFollows(expectedVersion);
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(owner, "owner");
        return transaction("commit the refresh of credential " + updated.id(), (tables, tx) -> {
            if (!tables.compareAndSet(tx, updated, expectedVersion)) {
                return false;
            }
            credentialWritten(tx, updated);
            tables.appendHistory(tx, event);
            tables.releaseLease(tx, updated.id(), owner);
            return true;
        });
    }

    /**
     * Deletes the credential row; its history stays.
     *
     * @param id the credential
     * @return false when there was none
     */
    @Override
    public boolean delete(CredentialId id) {
        Objects.requireNonNull(id, "id");
        return write("delete credential " + id, (tables, tx) -> tables.delete(tx, id));
    }

    @Override
    public void releaseLease(CredentialId id, String owner) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(owner, "owner");
        write("release the lease of credential " + id, (tables, tx) -> {
            tables.releaseLease(tx, id, owner);
            return null;
        });
    }

    @Override
    public void appendHistory(RefreshEvent event) {
        Objects.requireNonNull(event, "event");
        write("append history of credential " + event.id(), (tables, tx) -> {
            tables.appendHistory(tx, event);
            return null;
        });
    }

    /**
     * @param id    the credential
     * @param since the earliest time to include
     * @param limit the most events to return; 0 gives an empty list
     * @return the newest {@code limit} events at or after {@code since}, oldest first (events with
     *         the same time in the order they were appended)
     * @throws IllegalArgumentException when {@code limit} is negative
     */
    @Override
    public List<RefreshEvent> history(CredentialId id, Instant since, int limit) {
        RefreshEvent.checkHistoryQuery(id, since, limit);
        return read("read history of credential " + id, (tables, handle) -> tables.history(handle, id, since, limit));
    }

    /**
     * @param consumer the consumer
     * @return false when the name is taken
     */
    @Override
    public boolean insertConsumer(Consumer consumer) {
        Objects.requireNonNull(consumer, "consumer");
        return write("insert consumer " + consumer.name(), (tables, tx) -> tables.insertConsumer(tx, consumer));
    }

    @Override
    public boolean setConsumerMac(String name, String tokenHash, String mac) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tokenHash, "tokenHash");
        Objects.requireNonNull(mac, "mac");
        return write("authenticate consumer " + name, (tables, tx) -> tables.setConsumerMac(tx, name, tokenHash, mac));
    }

    @Override
    public Optional<Consumer> consumerByTokenHash(String tokenHash) {
        Objects.requireNonNull(tokenHash, "tokenHash");
        return read("find a consumer", (tables, handle) -> tables.consumerByTokenHash(handle, tokenHash));
    }

    @Override
    public List<Consumer> consumers() {
        return read("list consumers", Tables::consumers);
    }

    @Override
    public boolean deleteConsumer(String name) {
        Objects.requireNonNull(name, "name");
        return write("delete consumer " + name, (tables, tx) -> tables.deleteConsumer(tx, name));
    }

    @Override
    public boolean putAccountSecret(AccountSecret secret) {
        Objects.requireNonNull(secret, "secret");
        return write("store the " + secret.kind() + " secret of " + secret.credential(),
                (tables, tx) -> tables.putAccountSecret(tx, secret));
    }

    @Override
    public Optional<AccountSecret> accountSecret(CredentialId credential, String kind) {
        Objects.requireNonNull(credential, "credential");
        Objects.requireNonNull(kind, "kind");
        return read("read the " + kind + " secret of " + credential,
                (tables, handle) -> tables.accountSecret(handle, credential, kind));
    }

    @Override
    public Optional<AccountSecret> accountSecretByLookupHash(String kind, String lookupHash) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(lookupHash, "lookupHash");
        return read("find a " + kind + " secret", (tables, handle) -> tables.accountSecretByLookupHash(handle, kind, lookupHash));
    }

    @Override
    public List<AccountSecret> accountSecrets() {
        return read("list account secrets", Tables::accountSecrets);
    }

    @Override
    public boolean deleteAccountSecret(CredentialId credential, String kind) {
        Objects.requireNonNull(credential, "credential");
        Objects.requireNonNull(kind, "kind");
        return write("delete the " + kind + " secret of " + credential,
                (tables, tx) -> tables.deleteAccountSecret(tx, credential, kind));
    }
}
