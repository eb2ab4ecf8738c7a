package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.store.Tally;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Update;

/**
 * The statements both SQL stores run on their tables, each on a handle the store lends (in
 * its transaction, if it has one open). Every coordination step is one conditional statement.
 * Translating failures is the store's job.
 */
public final class Tables {

    private final Dialect dialect;
    private final String credentials;
    private final String history;
    private final String consumers;
    private final CredentialRows credentialRows;
    private final HistoryRows historyRows;
    private final ConsumerRows consumerRows;
    private final String accountSecrets;
    private final AccountSecretRows accountSecretRows;

    /** @param dialect the store's differences */
    public Tables(Dialect dialect) {
        this.dialect = Objects.requireNonNull(dialect, "dialect");
        this.credentials = dialect.table("credentials");
        this.history = dialect.table("refresh_history");
        this.consumers = dialect.table("consumers");
        this.credentialRows = new CredentialRows(dialect);
        this.historyRows = new HistoryRows(dialect);
        this.consumerRows = new ConsumerRows(dialect);
        this.accountSecrets = dialect.table("account_secrets");
        this.accountSecretRows = new AccountSecretRows(dialect);
    }

    /** @return the credentials table as statements name it */
    public String credentials() {
        return credentials;
    }

    /**
     * @param handle a handle
     * @param id     the credential
     * @return the credential, or empty when there is none
     */
    public Optional<StoredCredential> get(Handle handle, CredentialId id) {
        return credentialRows.select(handle, credentials, "WHERE id = :id", Map.of("id", id.toString())).findOne();
    }

    /**
     * @param handle a handle
     * @return every credential, by id
     */
    public List<StoredCredential> list(Handle handle) {
        return credentialRows.select(handle, credentials, "ORDER BY " + dialect.byteOrder("id"), Map.of()).list();
    }

    /**
     * @param handle a handle
     * @param after  the last id of the previous page, or empty for the first
     * @param limit  the most rows
     * @return the next credentials by id, as {@link #list} orders them
     */
    public List<StoredCredential> page(Handle handle, Optional<CredentialId> after, int limit) {
        String order = "ORDER BY " + dialect.byteOrder("id") + " LIMIT :limit";
        return after.isEmpty()
                ? credentialRows.select(handle, credentials, order, Map.of("limit", limit)).list()
                : credentialRows.select(handle, credentials, "WHERE " + dialect.byteOrder("id") + " > :after " + order,
                        Map.of("after", after.get().toString(), "limit", limit)).list();
    }

    /**
     * One {@code SELECT status, count(*), min(access_expires_at) ... GROUP BY status}: no sealed
     * secret is read.
     *
     * @param handle a handle
     * @return the credentials counted by status, with the soonest access expiry of an active one
     */
    public Tally.Counts tally(Handle handle) {
        Map<CredentialStatus, Long> counts = new EnumMap<>(CredentialStatus.class);
        List<Instant> soonest = new ArrayList<>(1);
        handle.createQuery("SELECT status, count(*) AS credentials, min(access_expires_at) AS soonest FROM "
                        + credentials + " GROUP BY status")
                .map((rows, context) -> {
                    CredentialStatus status = CredentialStatus.fromWireName(rows.getString("status"));
                    counts.put(status, rows.getLong("credentials"));
                    long millis = rows.getLong("soonest");
                    if (status == CredentialStatus.ACTIVE && !rows.wasNull()) {
                        soonest.add(Instant.ofEpochMilli(millis));
                    }
                    return status;
                })
                .list();
        return new Tally.Counts(counts, soonest.stream().findFirst());
    }

    /**
     * @param handle     a handle
     * @param credential the credential
     * @return false when a credential with that id already exists (nothing is written)
     */
    public boolean insert(Handle handle, StoredCredential credential) {
        return credentialRows.insert(handle, credentials, credential, " ON CONFLICT (id) DO NOTHING").execute() == 1;
    }

    /**
     * One {@code UPDATE ... WHERE id = ? AND version = ?}; the lease columns are left as they are.
     *
     * @param handle          a handle
     * @param updated         the new state; its version must be {@code expectedVersion + 1}
     * @param expectedVersion the version the caller read
     * @return true when written
     */
    public boolean compareAndSet(Handle handle, StoredCredential updated, long expectedVersion) {
        Update update = credentialRows.bind(handle.createUpdate("UPDATE " + credentials + " SET "
                + credentialRows.assignments() + " WHERE id = :id AND version = :expected_version"), updated);
        return update.bind("expected_version", expectedVersion).execute() == 1;
    }

    /**
     * @param handle a handle
     * @param id     the credential; its history stays
     * @return false when there was none
     */
    public boolean delete(Handle handle, CredentialId id) {
        return handle.createUpdate("DELETE FROM " + credentials + " WHERE id = :id")
                .bind("id", id.toString())
                .execute() == 1;
    }

    /**
     * @param handle a handle
     * @param id     the credential
     * @param owner  the lease is released only when this owner holds it
     */
    public void releaseLease(Handle handle, CredentialId id, String owner) {
        handle.createUpdate("UPDATE " + credentials + " SET lease_owner = NULL, lease_until = NULL"
                        + " WHERE id = :id AND lease_owner = :owner")
                .bind("id", id.toString())
                .bind("owner", owner)
                .execute();
    }

    /**
     * @param handle a handle
     * @param event  the event to append
     */
    public void appendHistory(Handle handle, RefreshEvent event) {
        historyRows.insert(handle, history, event, "").execute();
    }

    /**
     * @param handle a handle
     * @param id     the credential
     * @param since  the earliest time to include
     * @param limit  the most events to return, more than 0
     * @return the newest {@code limit} events at or after {@code since}, oldest first (events with
     *         the same time in the order they were appended)
     */
    public List<RefreshEvent> history(Handle handle, CredentialId id, Instant since, int limit) {
        List<RefreshEvent> newestFirst = new ArrayList<>(historyRows.select(handle, history,
                "WHERE credential_id = :id AND at >= :since ORDER BY at DESC, " + dialect.historySequence()
                        + " DESC LIMIT :limit", Map.of("id", id.toString(), "since", since.toEpochMilli(), "limit", limit))
                .list());
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    /**
     * @param handle   a handle
     * @param consumer the consumer
     * @return false when the name (or the token's hash) is taken
     */
    public boolean insertConsumer(Handle handle, Consumer consumer) {
        return consumerRows.insert(handle, consumers, consumer, " ON CONFLICT DO NOTHING").execute() == 1;
    }

    /**
     * @param handle    a handle
     * @param name      the consumer
     * @param tokenHash the hash the tag was made for; another row is left alone
     * @param mac       the tag
     * @return false when no such row
     */
    public boolean setConsumerMac(Handle handle, String name, String tokenHash, String mac) {
        return handle.createUpdate("UPDATE " + consumers + " SET mac = :mac WHERE name = :name AND token_hash = :hash")
                .bind("mac", mac)
                .bind("name", name)
                .bind("hash", tokenHash)
                .execute() == 1;
    }

    /**
     * @param handle    a handle
     * @param tokenHash the hash of a presented token
     * @return the consumer with that hash, or empty
     */
    public Optional<Consumer> consumerByTokenHash(Handle handle, String tokenHash) {
        return consumerRows.select(handle, consumers, "WHERE token_hash = :hash", Map.of("hash", tokenHash)).findOne();
    }

    /**
     * @param handle a handle
     * @return every consumer, by name
     */
    public List<Consumer> consumers(Handle handle) {
        return consumerRows.select(handle, consumers, "ORDER BY " + dialect.byteOrder("name"), Map.of()).list();
    }

    /**
     * @param handle a handle
     * @param name   the consumer
     * @return false when there was none
     */
    public boolean deleteConsumer(Handle handle, String name) {
        return handle.createUpdate("DELETE FROM " + consumers + " WHERE name = :name")
                .bind("name", name)
                .execute() == 1;
    }

    /**
     * Inserts or replaces the row of the secret's credential and kind, in the caller's transaction.
     *
     * @param handle a handle in a transaction
     * @param secret the row
     * @return false when another credential's row of that kind has the same lookup hash
     */
    public boolean putAccountSecret(Handle handle, AccountSecret secret) {
        boolean taken = handle.createQuery("SELECT count(*) FROM " + accountSecrets
                        + " WHERE kind = :kind AND lookup_hash = :hash AND credential_id <> :id")
                .bind("kind", secret.kind()).bind("hash", secret.lookupHash()).bind("id", secret.credential().toString())
                .mapTo(Long.class).one() > 0;
        if (taken) {
            return false;
        }
        return accountSecretRows.insert(handle, accountSecrets, secret, " ON CONFLICT (credential_id, kind) DO UPDATE SET"
                + " lookup_hash = excluded.lookup_hash, sealed_secret = excluded.sealed_secret,"
                + " created_at = excluded.created_at, mac = excluded.mac").execute() == 1;
    }

    /**
     * @param handle     a handle
     * @param credential the credential
     * @param kind       the kind
     * @return its row of that kind, or empty
     */
    public Optional<AccountSecret> accountSecret(Handle handle, CredentialId credential, String kind) {
        return accountSecretRows.select(handle, accountSecrets, "WHERE credential_id = :id AND kind = :kind",
                Map.of("id", credential.toString(), "kind", kind)).findOne();
    }

    /**
     * @param handle     a handle
     * @param kind       the kind
     * @param lookupHash the hash
     * @return the row of that kind with that hash, or empty
     */
    public Optional<AccountSecret> accountSecretByLookupHash(Handle handle, String kind, String lookupHash) {
        return accountSecretRows.select(handle, accountSecrets, "WHERE kind = :kind AND lookup_hash = :hash",
                Map.of("kind", kind, "hash", lookupHash)).findOne();
    }

    /**
     * @param handle a handle
     * @return every row, by credential id and kind
     */
    public List<AccountSecret> accountSecrets(Handle handle) {
        return accountSecretRows.select(handle, accountSecrets, "ORDER BY " + dialect.byteOrder("credential_id") + ", "
                + dialect.byteOrder("kind"), Map.of()).list();
    }

    /**
     * @param handle     a handle
     * @param credential the credential
     * @param kind       the kind
     * @return false when there was none
     */
    public boolean deleteAccountSecret(Handle handle, CredentialId credential, String kind) {
        return handle.createUpdate("DELETE FROM " + accountSecrets + " WHERE credential_id = :id AND kind = :kind")
                .bind("id", credential.toString())
                .bind("kind", kind)
                .execute() == 1;
    }
}
