package dev.tokenkeeper.bench.stores;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.bench.pipeline.Alternation;
import dev.tokenkeeper.bench.pipeline.ForcedRefreshes;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.rig.Installed;
import dev.tokenkeeper.bench.rig.PipelineRig;
import dev.tokenkeeper.bench.upstream.InstantUpstream;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Measurement 6: refreshes per second through the real pipeline (lease, decrypt, upstream call,
 * encrypt, durable commit, history, release) on a local PostgreSQL 15 with its durability settings
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
        MasterKey key = MasterKey.generate(new SecureRandom());
        SecretSealer sealer = new SecretSealer(Keyring.of(key));
        try (PostgresCluster postgres = PostgresCluster.start();
             InstantUpstream upstream = InstantUpstream.start(concurrency + 2, Duration.ZERO, 3600)) {
            Path sqliteState = Files.createDirectories(work.resolve("stores-sqlite"));
            Path postgresState = Files.createDirectories(work.resolve("stores-postgres"));
            Map<String, String> common = new HashMap<>();
            common.put("TOKENKEEPER_PROVIDER_CONCURRENCY", Integer.toString(concurrency));
            Map<String, String> sqliteExtra = new HashMap<>(common);
            sqliteExtra.put("TOKENKEEPER_SQLITE_SYNCHRONOUS", "FULL");
            Map<String, String> postgresExtra = new HashMap<>(common);
            postgresExtra.putAll(postgres.settings("bench"));
            Settings sqliteSettings = PipelineRig.settings(sqliteState, upstream.tokenUrl(), sqliteExtra);
            Settings postgresSettings = PipelineRig.settings(postgresState, upstream.tokenUrl(), postgresExtra);
            try (PipelineRig sqlite = PipelineRig.open(sqliteSettings, sqliteState, Installed.store("sqlite"), key, false);
                 PipelineRig pg = PipelineRig.open(postgresSettings, postgresState, Installed.store("postgres"), key, false)) {
                Instant now = Instant.now();
                List<CredentialId> ids = new ArrayList<>();
                for (TokenStore store : List.of(sqlite.store(), pg.store())) {
                    ids = Credentials.insert(store, n, i -> Credentials.gazelle(i, sealer, now, now.plus(Duration.ofHours(1))));
                }
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
