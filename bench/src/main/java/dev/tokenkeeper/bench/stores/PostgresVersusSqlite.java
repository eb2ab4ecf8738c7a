package dev.tokenkeeper.bench.stores;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.bench.pipeline.Alternation;
import dev.tokenkeeper.bench.pipeline.ForcedRefreshes;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.rig.InProcessDaemon;
import dev.tokenkeeper.bench.upstream.InstantUpstream;
import dev.tokenkeeper.daemon.assembly.Assembly;
import dev.tokenkeeper.daemon.assembly.Inputs;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Measurement 6: refreshes per second through the pipeline of the daemon's own assembly, built in
 * process (lease, decrypt, upstream call, encrypt, durable commit, history, release) on a local PostgreSQL 15 with its durability settings
 * (fsync on, synchronous_commit on), next to the same pipeline on SQLite ({@code synchronous=FULL},
 * the default) in the same run, alternating runs. Both stores flush every commit to disk.
 */
public final class PostgresVersusSqlite {

    private PostgresVersusSqlite() {
    }

    /**
     * @param table       where the figures go
     * @param work        a scratch folder
     * @param n           credentials
     * @param concurrency worker threads
     * @param runs        measured runs of each side
     * @throws Exception when a rig fails
     */
    public static void run(ResultTable table, Path work, int n, int concurrency, int runs) throws Exception {
        try (PostgresCluster postgres = PostgresCluster.start();
             InstantUpstream upstream = InstantUpstream.start(Duration.ZERO, 3600)) {
            Map<String, String> sqliteSettings = Map.of("TOKENKEEPER_PROVIDER_CONCURRENCY", Integer.toString(concurrency),
                    "TOKENKEEPER_SQLITE_SYNCHRONOUS", "FULL");
            Map<String, String> postgresSettings = new HashMap<>(postgres.settings("bench"));
            postgresSettings.put("TOKENKEEPER_PROVIDER_CONCURRENCY", Integer.toString(concurrency));
            postgresSettings.put("TOKENKEEPER_STORE", "postgres");
            try (Assembly sqlite = InProcessDaemon.build(work.resolve("stores-sqlite"), upstream.tokenUrl(), sqliteSettings,
                    Inputs.found()).start();
                 Assembly pg = InProcessDaemon.build(work.resolve("stores-postgres"), upstream.tokenUrl(), postgresSettings,
                         Inputs.found()).start()) {
                Instant now = Instant.now();
                List<CredentialId> ids = Credentials.insert(sqlite.store(), n,
                        i -> Credentials.gazelle(i, sqlite.sealer(), now, now.plus(Duration.ofHours(1))));
                Credentials.insert(pg.store(), n, i -> Credentials.gazelle(i, pg.sealer(), now, now.plus(Duration.ofHours(1))));
                ForcedRefreshes onSqlite = new ForcedRefreshes(sqlite.pipeline(), ids);
                ForcedRefreshes onPostgres = new ForcedRefreshes(pg.pipeline(), ids);
                Alternation rates = Alternation.measure(n, concurrency, runs, onPostgres, onSqlite, () -> {
                    onPostgres.resetCount();
                    onSqlite.resetCount();
                }, "    [6] run %d: PostgreSQL %.0f/s, SQLite FULL %.0f/s%n");
                double pgRate = rates.firstMedian();
                double sqliteRate = rates.secondMedian();
                table.add(new ResultTable.Row("6", "refresh pipeline, PostgreSQL 15 on 127.0.0.1 (fsync on), " + n
                        + " credentials, " + concurrency + " threads" + onPostgres.missedNote() + onSqlite.missedNote(),
                        ResultTable.fmt(pgRate) + " refreshes/s",
                        "SQLite synchronous=FULL " + ResultTable.fmt(sqliteRate) + " refreshes/s",
                        ResultTable.fmt(pgRate / sqliteRate), "shown for choosing a store; no goal"));
            }
        }
    }
}
