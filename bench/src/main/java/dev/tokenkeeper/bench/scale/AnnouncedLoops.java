package dev.tokenkeeper.bench.scale;

import dev.tokenkeeper.bench.queue.ClaimLoop;
import dev.tokenkeeper.bench.report.ResultTable;

import java.util.Arrays;

/**
 * Measurement 10, part {@code announce}: what announcing each commit costs the database, apart from
 * the daemons. The bare claim + commit loop runs three times on the same cluster with the daemons'
 * workers as connections: with no trigger; with schema version 5's trigger ({@code pg_notify} per
 * row, so every commit takes PostgreSQL's one notification-queue lock); and with schema version 6's
 * (a row appended to a changes table in the committing transaction). The last two as ratios of the first.
 *
 * @param table    where the figures go
 * @param jdbcUrl  the cluster
 * @param settings sizes (rows: {@code scale.storm}; connections: daemons × threads)
 */
record AnnouncedLoops(ResultTable table, String jdbcUrl, ScaleSettings settings) {

    private static final String LOOP = "scale_announce_loop";

    /** Schema version 1's trigger, as it was until version 6. */
    private static final String NOTIFY_PER_ROW = "CREATE OR REPLACE FUNCTION " + LOOP + "_notify() RETURNS trigger"
            + " LANGUAGE plpgsql AS $fn$ BEGIN PERFORM pg_notify('" + LOOP + "_changes', new.id); RETURN NULL; END $fn$;"
            + " CREATE TRIGGER announce AFTER INSERT OR DELETE OR UPDATE OF version ON " + LOOP
            + " FOR EACH ROW EXECUTE FUNCTION " + LOOP + "_notify()";

    /** Schema version 6's table and trigger (store-postgres's schema-6.sql on this loop's table). */
    private static final String CHANGES_ROW = "DROP TABLE IF EXISTS " + LOOP + "_changes;"
            + " CREATE TABLE " + LOOP + "_changes (seq bigserial PRIMARY KEY, xid xid8 NOT NULL DEFAULT pg_current_xact_id(),"
            + " id text NOT NULL, origin text, at timestamptz NOT NULL DEFAULT now());"
            + " CREATE INDEX ON " + LOOP + "_changes (xid);"
            + " CREATE OR REPLACE FUNCTION " + LOOP + "_row() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN"
            + " INSERT INTO " + LOOP + "_changes (id, origin) VALUES (new.id, nullif(current_setting('tokenkeeper.origin', true), ''));"
            + " RETURN NULL; END $fn$;"
            + " CREATE TRIGGER announce AFTER INSERT OR DELETE OR UPDATE OF version ON " + LOOP
            + " FOR EACH ROW EXECUTE FUNCTION " + LOOP + "_row()";

    /**
     * Runs the three loops, alternating {@code rounds} times, and adds the medians' rows.
     *
     * @throws Exception when the database fails
     */
    void run(int rounds) throws Exception {
        int workers = settings.loops().stream().mapToInt(Integer::intValue).max().orElse(32);
        double[] none = new double[rounds];
        double[] notify = new double[rounds];
        double[] changes = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            none[round] = loop("no trigger", "", workers);
            notify[round] = loop("pg_notify per row (schema 5)", NOTIFY_PER_ROW, workers);
            changes[round] = loop("changes row (schema 6)", CHANGES_ROW, workers);
        }
        double bare = median(none);
        String label = String.format("bare claim + commit loop, %,d rows, %d connections, load %.1f", settings.storm(),
                workers, ScaleMeasurement.load());
        table.add(new ResultTable.Row("10", label + ": each commit announced by pg_notify (schema 5)",
                ResultTable.fmt(median(notify)) + "/s", "no trigger " + ResultTable.fmt(bare) + "/s",
                ResultTable.fmt(median(notify) / bare), ""));
        table.add(new ResultTable.Row("10", label + ": each commit writes a changes row (schema 6)",
                ResultTable.fmt(median(changes)) + "/s", "no trigger " + ResultTable.fmt(bare) + "/s",
                ResultTable.fmt(median(changes) / bare), ""));
    }

    private double loop(String name, String announce, int workers) throws Exception {
        ClaimLoop.Result result = new ClaimLoop(jdbcUrl, LOOP, announce).run(settings.storm(), workers, 32);
        System.out.printf("    [10] bare loop, %s, %d connections: %,d rows in %.1f s, %.0f/s, twice %d, missed %d%n", name,
                workers, result.rows(), result.seconds(), result.perSecond(), result.twice(), result.missed());
        return result.perSecond();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
