package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.store.jdbc.CredentialRows;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The due queue's statements on the credentials table (schema version 5): each one statement, so
 * that a claim, a commit with its history and next due time (or a group of them), and a release each
 * cost one round trip.
 * {@code next_due} is epoch milliseconds of the daemons' clock, 0 for a row not planned yet and
 * {@code NULL} for one kept out of claims; the lease is judged by the server's clock as
 * {@link PostgresTokenStore#tryLease} judges it.
 */
final class DueRows {

    /** A lease free, or ended by the server's clock shifted by {@code :shift} (less a grace of {@code :grace}). */
    static final String LEASE_FREE = "(lease_owner IS NULL OR lease_until IS NULL"
            + " OR lease_until <= now() + make_interval(secs => (:shift + :grace)::float8 / 1000))";
    /** The end of a lease of {@code :lease} milliseconds from the server's now shifted by {@code :shift}. */
    static final String LEASE_END = "now() + make_interval(secs => (:shift + :lease)::float8 / 1000)";

    private final String credentials;
    private final CredentialRows rows;
    /** Built once: a storm runs it for every refresh. */
    private final String claimStatement;
    private final String groupStatement;

    /**
     * @param credentials the credentials table as statements name it
     * @param history     the history table as statements name it
     * @param rows        the credential rows' mapping
     */
    DueRows(String credentials, String history, CredentialRows rows) {
        this.credentials = credentials;
        this.rows = rows;
        // A claimed row is due again when its lease ends (should its claimer never commit or release it), so the rows
        // being refreshed leave the head of the due index: a claim in a storm of four daemons walked ~400 leased rows
        // before the free ones. A row never planned (0) stays unplanned. The claim answers the due time it had.
        this.claimStatement = "WITH picked AS (SELECT id, next_due FROM " + credentials + " WHERE next_due <= :now AND "
                + LEASE_FREE + " ORDER BY next_due LIMIT :limit FOR UPDATE SKIP LOCKED)"
                + " UPDATE " + credentials + " c SET lease_owner = :owner, lease_until = " + LEASE_END
                + ", next_due = CASE WHEN p.next_due = 0 THEN 0 ELSE :until END"
                + " FROM picked p WHERE c.id = p.id RETURNING c.*, p.next_due AS claimed_due";
        // Commits as one statement over arrays, one element per commit (a lone commit is a group of one):
        // one round trip and one transaction for a group, each row behind its own version check.
        this.groupStatement = "WITH input AS (SELECT * FROM unnest(?::text[], ?::text[], ?::bytea[], ?::int8[],"
                + " ?::int8[], ?::int8[], ?::int8[], ?::int8[], ?::text[], ?::int8[], ?::int8[], ?::int8[], ?::text[],"
                + " ?::int8[], ?::text[], ?::text[], ?::int8[], ?::int8[]) AS i(id, status, sealed_secret, issued_at,"
                + " access_expires_at, refresh_expires_at, version, last_refresh_at, last_error, updated_at, expected,"
                + " next_due, owner, event_at, event_outcome, event_detail, event_duration, event_version)),"
                + " updated AS (UPDATE " + credentials + " c SET status = i.status, sealed_secret = i.sealed_secret,"
                + " issued_at = i.issued_at, access_expires_at = i.access_expires_at,"
                + " refresh_expires_at = i.refresh_expires_at, version = i.version, last_refresh_at = i.last_refresh_at,"
                + " last_error = i.last_error, updated_at = i.updated_at,"
                + " lease_owner = CASE WHEN c.lease_owner = i.owner THEN NULL ELSE c.lease_owner END,"
                + " lease_until = CASE WHEN c.lease_owner = i.owner THEN NULL ELSE c.lease_until END,"
                + " next_due = i.next_due, due_retry = false"
                + " FROM input i WHERE c.id = i.id AND c.version = i.expected RETURNING c.id),"
                + " history AS (INSERT INTO " + history + " (credential_id, at, outcome, detail, duration_ms, version)"
                + " SELECT i.id, i.event_at, i.event_outcome, i.event_detail, i.event_duration, i.event_version"
                + " FROM input i JOIN updated u ON u.id = i.id)"
                + " SELECT id FROM updated";
    }

    /**
     * @param shift server-time shift of the caller's clock, milliseconds
     * @param lease the claims' lease length, milliseconds
     * @param until the claims' lease end by the caller's clock: when a claimed row is due again
     * @return the claimed rows, earliest due first, each with the due time it had
     */
    List<DueWork.Claim> claim(Handle handle, String owner, Instant now, long shift, long lease, Instant until, int limit) {
        return handle.createQuery(claimStatement)
                .bind("owner", owner).bind("now", now.toEpochMilli()).bind("shift", shift).bind("lease", lease)
                .bind("until", Math.max(1, until.toEpochMilli()))
                .bind("grace", PostgresTokenStore.LEASE_GRACE_MILLIS).bind("limit", limit)
                .map((set, context) -> {
                    long due = set.getLong("claimed_due");
                    return new DueWork.Claim(rows.map(set, context),
                            due == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(due)), set.getBoolean("due_retry"));
                })
                .list()
                // RETURNING keeps no order: the claim's order is the due order.
                .stream().sorted(Comparator.comparing(claim -> claim.due().orElse(Instant.MIN)))
                .toList();
    }

    /**
     * A refresh's commit, as {@link DueWork#commitRefresh} takes it.
     *
     * @param updated         the new state
     * @param expectedVersion the version the caller read
     * @param event           the history event
     * @param owner           the lease holder
     * @param nextDue         when it is next due
     */
    record Commit(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner,
                  Optional<Instant> nextDue) {

        boolean write(DueRows due, Handle handle) {
            return due.commitAll(handle, List.of(this)).get(0);
        }
    }

    /**
     * The compare-and-set, the lease's release (when {@code owner} holds it), the next due time and
     * the history event in one statement: {@link #commitAll} of one.
     *
     * @return true when the compare-and-set succeeded
     */
    boolean commit(Handle handle, StoredCredential updated, long expectedVersion, RefreshEvent event, String owner,
                   Optional<Instant> nextDue) {
        return commitAll(handle, List.of(new Commit(updated, expectedVersion, event, owner, nextDue))).get(0);
    }

    /**
     * Commits in one statement, each its own compare-and-set, lease release (when its owner holds the
     * lease), next due time and history event, committed together or not at all.
     *
     * @param group commits of distinct credentials
     * @return for each commit in order, whether its compare-and-set succeeded
     * @throws IllegalArgumentException when two commits are of the same credential (a statement
     *                                  updates a row once: write such a group one by one)
     */
    List<Boolean> commitAll(Handle handle, List<Commit> group) {
        int n = group.size();
        String[] ids = new String[n];
        String[] statuses = new String[n];
        byte[][] secrets = new byte[n][];
        Long[] issued = new Long[n];
        Long[] access = new Long[n];
        Long[] refresh = new Long[n];
        Long[] versions = new Long[n];
        Long[] lastRefresh = new Long[n];
        String[] lastError = new String[n];
        Long[] updatedAt = new Long[n];
        Long[] expected = new Long[n];
        Long[] nextDue = new Long[n];
        String[] owners = new String[n];
        Long[] eventAt = new Long[n];
        String[] outcomes = new String[n];
        String[] details = new String[n];
        Long[] durations = new Long[n];
        Long[] eventVersions = new Long[n];
        Set<String> distinct = new HashSet<>();
        for (int i = 0; i < n; i++) {
            Commit commit = group.get(i);
            StoredCredential row = commit.updated();
            RefreshEvent event = commit.event();
            ids[i] = row.id().toString();
            if (!distinct.add(ids[i])) {
                throw new IllegalArgumentException("two commits of one credential in a group");
            }
            statuses[i] = row.status().wireName();
            secrets[i] = row.secret().bytes();
            issued[i] = row.issuedAt().toEpochMilli();
            access[i] = row.accessExpiresAt().map(Instant::toEpochMilli).orElse(null);
            refresh[i] = row.refreshExpiresAt().map(Instant::toEpochMilli).orElse(null);
            versions[i] = row.version();
            lastRefresh[i] = row.lastRefreshAt().map(Instant::toEpochMilli).orElse(null);
            lastError[i] = row.lastError().orElse(null);
            updatedAt[i] = row.updatedAt().toEpochMilli();
            expected[i] = commit.expectedVersion();
            nextDue[i] = millis(commit.nextDue());
            owners[i] = commit.owner();
            eventAt[i] = event.at().toEpochMilli();
            outcomes[i] = event.outcome().wireName();
            details[i] = event.detail();
            durations[i] = event.duration().toMillis();
            eventVersions[i] = event.version();
        }
        Set<String> written = new HashSet<>();
        Connection connection = handle.getConnection();
        try (PreparedStatement statement = connection.prepareStatement(groupStatement)) {
            Object[][] columns = {ids, statuses, secrets, issued, access, refresh, versions, lastRefresh, lastError,
                    updatedAt, expected, nextDue, owners, eventAt, outcomes, details, durations, eventVersions};
            String[] types = {"text", "text", "bytea", "int8", "int8", "int8", "int8", "int8", "text", "int8", "int8",
                    "int8", "text", "int8", "text", "text", "int8", "int8"};
            for (int c = 0; c < columns.length; c++) {
                statement.setArray(c + 1, connection.createArrayOf(types[c], columns[c]));
            }
            try (ResultSet answer = statement.executeQuery()) {
                while (answer.next()) {
                    written.add(answer.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new UnableToExecuteStatementException(e, null);
        }
        List<Boolean> outcome = new ArrayList<>(n);
        for (String id : ids) {
            outcome.add(written.contains(id));
        }
        return outcome;
    }

    /** Releases {@code owner}'s lease and writes the next due time, when it holds the lease or nobody does. */
    void release(Handle handle, CredentialId id, String owner, Optional<Instant> nextDue, boolean retry) {
        handle.createUpdate("UPDATE " + credentials + " SET lease_owner = NULL, lease_until = NULL,"
                        + " next_due = :next_due, due_retry = :retry WHERE id = :id AND (lease_owner = :owner OR lease_owner IS NULL)")
                .bind("next_due", millis(nextDue)).bind("retry", retry).bind("id", id.toString()).bind("owner", owner)
                .execute();
    }

    /** @return the credentials whose lease row names {@code owner}, ended or not */
    List<CredentialId> leasedBy(Handle handle, String owner) {
        return handle.createQuery("SELECT id FROM " + credentials + " WHERE lease_owner = :owner")
                .bind("owner", owner).map((set, context) -> CredentialId.parse(set.getString("id"))).list();
    }

    /** Writes the next due time, whoever holds the lease. */
    void plan(Handle handle, CredentialId id, Optional<Instant> nextDue, boolean retry) {
        handle.createUpdate("UPDATE " + credentials + " SET next_due = :next_due, due_retry = :retry WHERE id = :id")
                .bind("next_due", millis(nextDue)).bind("retry", retry).bind("id", id.toString())
                .execute();
    }

    /** @return the planned time; empty when unplanned, kept out of claims or missing */
    Optional<Instant> nextDue(Handle handle, CredentialId id) {
        return handle.createQuery("SELECT next_due FROM " + credentials + " WHERE id = :id AND next_due > 0")
                .bind("id", id.toString()).mapTo(Long.class).findOne().map(Instant::ofEpochMilli);
    }

    /** @return the planned times of those of {@code ids} that are planned, in one query */
    Map<CredentialId, Instant> nextDue(Handle handle, Collection<CredentialId> ids) {
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<CredentialId, Instant> due = new HashMap<>();
        handle.createQuery("SELECT id, next_due FROM " + credentials + " WHERE id = ANY(:ids) AND next_due > 0")
                .bindArray("ids", String.class, ids.stream().map(CredentialId::toString).toList())
                .map((set, context) -> Map.entry(CredentialId.parse(set.getString("id")),
                        Instant.ofEpochMilli(set.getLong("next_due"))))
                .forEach(entry -> due.put(entry.getKey(), entry.getValue()));
        return due;
    }

    /** @return the earliest planned time of a row whose lease is free or ended ({@link Instant#MIN} for an unplanned one) */
    Optional<Instant> earliest(Handle handle, long shift) {
        return handle.createQuery("SELECT next_due FROM " + credentials + " WHERE next_due IS NOT NULL AND " + LEASE_FREE
                        + " ORDER BY next_due LIMIT 1")
                .bind("shift", shift).bind("grace", PostgresTokenStore.LEASE_GRACE_MILLIS)
                .mapTo(Long.class).findOne().map(DueRows::instant);
    }

    private static Instant instant(long millis) {
        return millis == 0 ? Instant.MIN : Instant.ofEpochMilli(millis);
    }

    private static Long millis(Optional<Instant> nextDue) {
        // A planned time of 0 would read as "not planned yet"; nothing is planned at the epoch.
        return nextDue.map(at -> Math.max(1, at.toEpochMilli())).orElse(null);
    }
}
