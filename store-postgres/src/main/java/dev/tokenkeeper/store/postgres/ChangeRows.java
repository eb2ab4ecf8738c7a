package dev.tokenkeeper.store.postgres;

import dev.tokenkeeper.api.CredentialId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The statements on the changes table (schema version 6), on the listening connection (autocommit).
 * Rows are read by transaction id, not by {@code seq}: a lower {@code seq} can commit after a higher
 * one, so "after the last seq" would skip it. Each read takes its snapshot's xmin as the new
 * watermark (every transaction below it has ended) and reads the rows with previous watermark
 * {@code <=} xid {@code <} new watermark, so nothing is missed and nothing is read twice.
 * Transaction ids travel as decimal text (the driver has no {@code xid8} type).
 */
final class ChangeRows {

    /** More changed credentials than this in one read are announced as "everything". */
    static final int MOST_IDS = 10_000;

    private final String channel;
    private final String changes;
    private final String horizon;
    private final String origin;

    /**
     * @param schema the schema
     * @param origin this store's name in the rows it writes ({@code tokenkeeper.origin}); its own rows are not read
     */
    ChangeRows(String schema, String origin) {
        this.channel = schema + "_changes";
        this.changes = schema + ".changes";
        this.horizon = schema + ".changes_horizon";
        this.origin = origin;
    }

    /** @return the channel the schema's changes are notified on, {@code <schema>_changes} (as the triggers send them) */
    String channel() {
        return channel;
    }

    /**
     * What one read found.
     *
     * @param watermark the next read's lower bound
     * @param ids       the changed credentials (other stores' changes), at most {@link #MOST_IDS}
     * @param missed    rows were pruned before this listener read them, or there were more than
     *                  {@link #MOST_IDS}: the caller announces everything
     */
    record Read(long watermark, Set<CredentialId> ids, boolean missed) {
    }

    /** @return the xmin of a snapshot taken now: every transaction below it has ended */
    long watermark(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")) {
            row.next();
            return Long.parseLong(row.getString(1));
        }
    }

    /**
     * Reads the changes of the transactions that ended since {@code from} was taken.
     *
     * @param from the previous watermark
     * @return the new watermark and what changed
     */
    Read since(Connection connection, long from) throws SQLException {
        long to = watermark(connection);
        if (to <= from) {
            return new Read(from, Set.of(), false);
        }
        // The horizon is read in the same statement (snapshot) as the rows: a prune that committed
        // before the rows were read shows in it. The ids come as one comma-separated text (an id has no
        // comma): a text array is parsed element by element, quotes and escapes, by the driver, and a
        // listener with three other daemons in a due storm reads three ids per refresh of the fleet.
        try (PreparedStatement read = connection.prepareStatement("SELECT below::text, (SELECT string_agg(id, ',')"
                + " FROM (SELECT DISTINCT id FROM " + changes + " WHERE xid >= ?::text::xid8 AND xid < ?::text::xid8"
                + " AND origin IS DISTINCT FROM ? LIMIT " + (MOST_IDS + 1) + ") AS changed) FROM " + horizon)) {
            read.setString(1, Long.toString(from));
            read.setString(2, Long.toString(to));
            read.setString(3, origin);
            try (ResultSet row = read.executeQuery()) {
                row.next();
                long below = Long.parseLong(row.getString(1));
                Set<CredentialId> ids = new LinkedHashSet<>();
                int named = ids(row.getString(2), ids);
                return new Read(to, ids, below > from || named > MOST_IDS);
            }
        }
    }

    /**
     * Reads, ahead of the watermark, the committed changes whose rows come after {@code afterSeq}: for
     * when a long transaction holds the watermark back. The watermark's own read finds them again later.
     *
     * @return the highest {@code seq} read (or {@code afterSeq}) and the changed credentials
     */
    Ahead ahead(Connection connection, long from, long afterSeq) throws SQLException {
        try (PreparedStatement read = connection.prepareStatement("SELECT seq, id FROM " + changes
                + " WHERE xid >= ?::text::xid8 AND seq > ? AND origin IS DISTINCT FROM ? ORDER BY seq LIMIT " + (MOST_IDS + 1))) {
            read.setString(1, Long.toString(from));
            read.setLong(2, afterSeq);
            read.setString(3, origin);
            long last = afterSeq;
            Set<CredentialId> ids = new LinkedHashSet<>();
            try (ResultSet rows = read.executeQuery()) {
                while (rows.next()) {
                    last = rows.getLong(1);
                    parse(rows.getString(2), ids);
                }
            }
            return new Ahead(last, ids);
        }
    }

    /**
     * @param lastSeq the highest {@code seq} read
     * @param ids     the changed credentials; more than {@link #MOST_IDS} means "everything"
     */
    record Ahead(long lastSeq, Set<CredentialId> ids) {
    }

    /**
     * Deletes the rows of transactions below {@code below}, after moving the horizon there (one
     * statement; a store that pruned further meanwhile makes it a no-op).
     *
     * @return the rows deleted
     */
    int prune(Connection connection, long below) throws SQLException {
        try (PreparedStatement prune = connection.prepareStatement("WITH moved AS (UPDATE " + horizon
                + " SET below = ?::text::xid8 WHERE below < ?::text::xid8 RETURNING below)"
                + " DELETE FROM " + changes + " WHERE xid < (SELECT below FROM moved)")) {
            prune.setString(1, Long.toString(below));
            prune.setString(2, Long.toString(below));
            return prune.executeUpdate();
        }
    }

    /** @return how many ids the comma-separated text named (null: none), each that names a credential added to {@code into} */
    private static int ids(String joined, Set<CredentialId> into) {
        if (joined == null) {
            return 0;
        }
        int named = 0;
        int from = 0;
        while (true) {
            int comma = joined.indexOf(',', from);
            parse(joined.substring(from, comma < 0 ? joined.length() : comma), into);
            named++;
            if (comma < 0) {
                return named;
            }
            from = comma + 1;
        }
    }

    private static void parse(String id, Set<CredentialId> into) {
        try {
            into.add(CredentialId.parse(id));
        } catch (IllegalArgumentException e) {
            // A row written by hand that names no credential: nothing to re-read.
        }
    }
}
