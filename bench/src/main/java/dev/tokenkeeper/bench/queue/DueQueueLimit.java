package dev.tokenkeeper.bench.queue;

import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.report.Samples;
import dev.tokenkeeper.bench.stores.PostgresCluster;

import java.util.ArrayList;
import java.util.List;

/**
 * Measurement 9 (issue 26), its baseline: how many claim-and-commit cycles per second this machine's
 * PostgreSQL 15 carries with bare SQL ({@link ClaimLoop}), with the workers of one daemon and of four
 * ({@code threads} and four times that), each row committed exactly once.
 */
public final class DueQueueLimit {

    private DueQueueLimit() {
    }

    /**
     * @param table   where the figures go
     * @param rows    rows due at once
     * @param threads one daemon's refresh workers
     * @param runs    runs of each figure
     * @throws Exception when the database fails
     */
    public static void run(ResultTable table, int rows, int threads, int runs) throws Exception {
        try (PostgresCluster postgres = PostgresCluster.start()) {
            ClaimLoop loop = new ClaimLoop(postgres.jdbcUrl(), "due_bench");
            for (int daemons : new int[] {1, 4}) {
                int workers = daemons * threads;
                List<Double> rates = new ArrayList<>();
                long twice = 0;
                long missed = 0;
                for (int run = 1; run <= runs; run++) {
                    ClaimLoop.Result result = loop.run(rows, workers, 32);
                    rates.add(result.perSecond());
                    twice += result.twice();
                    missed += result.missed();
                    System.out.printf("    [9] %d workers, run %d: %,d rows in %.1f s, %.0f/s, twice %d, missed %d%n",
                            workers, run, result.rows(), result.seconds(), result.perSecond(), result.twice(), result.missed());
                }
                table.add(new ResultTable.Row("9", "bare claim + commit loop, " + rows + " rows due, " + workers
                        + " connections (" + daemons + (daemons == 1 ? " daemon's" : " daemons'") + " workers), batches of 32",
                        ResultTable.fmt(Samples.median(rates)) + "/s", "", "",
                        ResultTable.goal(twice == 0 && missed == 0, "each row exactly once")));
            }
        }
    }
}
