package dev.tokenkeeper.bench.storm;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.report.Samples;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.rig.InProcessDaemon;
import dev.tokenkeeper.bench.upstream.InstantUpstream;
import dev.tokenkeeper.daemon.assembly.Assembly;
import dev.tokenkeeper.daemon.assembly.Inputs;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.refresh.CredentialService;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Measurement 4: {@code n} credentials all due within ten seconds, refreshed by the daemon's own
 * Quartz scheduler through the pipeline (SQLite, default synchronous=FULL) with the provider gate at
 * concurrency 8 and a rate limit, against an imitation that takes {@code delay} per call. Checks the
 * peak concurrency and rate the imitation saw, that every credential was refreshed exactly once and
 * before it expired, and the p99 of in-process token reads during the storm against the same reads
 * before it.
 */
public final class RefreshStorm {

    private RefreshStorm() {
    }

    /**
     * @param table where the figures go
     * @param work  scratch folder
     * @param n     credentials
     * @param rate  the rate limit per second
     * @param delay the imitation's answer time
     * @throws Exception when the rig fails
     */
    public static void run(ResultTable table, Path work, int n, int rate, Duration delay) throws Exception {
        Path state = work.resolve("storm");
        try (InstantUpstream upstream = InstantUpstream.start(delay, 3600);
             Assembly daemon = InProcessDaemon.build(state, upstream.tokenUrl(), Map.of(
                     "TOKENKEEPER_PROVIDER_CONCURRENCY", "8",
                     "TOKENKEEPER_PROVIDER_RATE_PER_SECOND", Integer.toString(rate),
                     "TOKENKEEPER_REFRESH_THREADS", "16",
                     "TOKENKEEPER_REFRESH_MARGIN_SECONDS", "40",
                     "TOKENKEEPER_REFRESH_JITTER_SECONDS", "1"), Inputs.found())) {
            // Due times: start + 0..10 s; each expires 40 s after it is due.
            Instant start = Instant.now().plusSeconds(8);
            Map<CredentialId, Instant> expiry = new HashMap<>();
            SecretSealer sealer = daemon.sealer();
            Credentials.prefillSqlite(state, n + 1, i -> {
                if (i == n) {
                    // The credential the readers read: long-lived, never part of the storm.
                    Instant now = Instant.now();
                    return Credentials.gazelle(i, sealer, now, now.plus(Duration.ofDays(1)));
                }
                Instant due = start.plusMillis(10_000L * i / n);
                Instant expires = due.plusSeconds(40);
                expiry.put(Credentials.id(i), expires);
                return Credentials.gazelle(i, sealer, due.minusSeconds(120), expires);
            });
            daemon.start();
            CredentialId reader = Credentials.id(n);
            long[] idle = read(daemon.credentials(), reader, Duration.ofSeconds(3), null);
            AtomicBoolean stormOver = new AtomicBoolean();
            long[][] during = new long[1][];
            Thread readers = new Thread(() -> during[0] = read(daemon.credentials(), reader, Duration.ofSeconds(120), stormOver));
            readers.start();
            Instant lastExpiry = expiry.values().stream().max(Instant::compareTo).orElseThrow();
            while (upstream.refreshesByKey().size() < n && Instant.now().isBefore(lastExpiry.plusSeconds(5))) {
                Thread.sleep(100);
            }
            long stormSeconds = Duration.between(start, Instant.now()).toSeconds();
            stormOver.set(true);
            readers.join();
            int refreshed = 0;
            int late = 0;
            int twice = 0;
            for (int i = 0; i < n; i++) {
                Integer count = upstream.refreshesByKey().containsKey(Credentials.refreshKey(i))
                        ? upstream.refreshesByKey().get(Credentials.refreshKey(i)).get() : 0;
                if (count > 1) {
                    twice++;
                }
                StoredCredential now = daemon.store().get(Credentials.id(i)).orElseThrow();
                if (now.version() > 1) {
                    refreshed++;
                    if (now.lastRefreshAt().orElseThrow().isAfter(expiry.get(Credentials.id(i)))) {
                        late++;
                    }
                }
            }
            double idleP99 = Samples.percentile(idle, 0.99) / 1e6;
            double stormP99 = Samples.percentile(during[0], 0.99) / 1e6;
            System.out.printf("    [4] storm: %d/%d refreshed in ~%d s, %d after expiry, %d twice, peak concurrency %d, "
                            + "peak %d calls/s; token read p99 idle %.3f ms, storm %.3f ms%n", refreshed, n, stormSeconds,
                    late, twice, upstream.peakConcurrency(), upstream.peakPerSecond(), idleP99, stormP99);
            boolean ok = refreshed == n && late == 0 && twice == 0 && upstream.peakConcurrency() <= 8;
            table.add(new ResultTable.Row("4", String.format("storm: %,d due within 10 s, limit 8 / %d per s, upstream %d ms",
                            n, rate, delay.toMillis()),
                    String.format("%,d refreshed, %d late, %d twice; peak %d in flight, %d calls/s", refreshed, late, twice,
                            upstream.peakConcurrency(), upstream.peakPerSecond()),
                    "limit 8 in flight, " + rate + "/s", ResultTable.fmt(upstream.peakConcurrency() / 8.0) + " (in flight)",
                    ResultTable.goal(ok, "all once, before expiry, ≤ 8")));
            table.add(new ResultTable.Row("4", "token read p99 during the storm (in-process CredentialService.token)",
                    ResultTable.fmt(stormP99) + " ms", "same reads before the storm " + ResultTable.fmt(idleP99) + " ms",
                    ResultTable.fmt(stormP99 / idleP99), ResultTable.goal(stormP99 < 5, "p99 < 5 ms")));
        }
    }

    /** Two reader threads reading one token as fast as they can, 1 ms apart, until the time or the flag. */
    private static long[] read(CredentialService credentials, CredentialId id, Duration duration, AtomicBoolean stop) {
        long end = System.nanoTime() + duration.toNanos();
        long[][] perThread = new long[2][];
        int[] counts = new int[2];
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int me = t;
            threads[t] = new Thread(() -> {
                long[] lat = new long[8192];
                int k = 0;
                while (System.nanoTime() < end && (stop == null || !stop.get())) {
                    long t0 = System.nanoTime();
                    credentials.token(id, Duration.ofSeconds(60));
                    if (k == lat.length) {
                        lat = Arrays.copyOf(lat, k * 2);
                    }
                    lat[k++] = System.nanoTime() - t0;
                    LockSupport.parkNanos(1_000_000);
                }
                perThread[me] = lat;
                counts[me] = k;
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long[] all = new long[counts[0] + counts[1]];
        System.arraycopy(perThread[0], 0, all, 0, counts[0]);
        System.arraycopy(perThread[1], 0, all, counts[0], counts[1]);
        Arrays.sort(all);
        return all;
    }
}
