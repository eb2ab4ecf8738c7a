package dev.tokenkeeper.bench.scale;

import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.report.Samples;
import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.bench.startup.DaemonLauncher;
import dev.tokenkeeper.bench.stores.PostgresCluster;
import dev.tokenkeeper.bench.upstream.InstantUpstream;
import dev.tokenkeeper.daemon.crypto.SecretSealer;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measurement 10, the due storm (issue 26, must-shows 2 and 3): the daemons started on an empty
 * schema and warmed up by a first storm of {@code warm} refreshes each (not measured), then {@code storm}
 * credentials filled in, falling due evenly within {@code window} from
 * {@code lead} after the fill began (each issued 120 s before it is due and expiring 40 s after, with
 * a 40 s margin and no jitter, so the planner's due time is the one written), refreshed by the
 * daemons against an instant upstream that counts refreshes per credential and every refresh token
 * presented twice. Figures: exactly once (upstream and store), lateness (first refresh − due time),
 * refreshes/s from the first refresh to the last against the bare claim + commit loop of the same
 * run. With {@code kill}, the last daemon is killed with {@code SIGKILL} when a third of the storm is
 * refreshed: the rows it held leases on then are followed until the others refresh them.
 *
 * @param table        where the figures go
 * @param work         scratch folder
 * @param distribution the assembled distribution
 * @param settings     sizes
 * @param postgres     the cluster
 * @param sealer       the sealer with the daemons' master key
 * @param environment  every daemon's environment but the schema and the upstream
 */
record DueStorm(ResultTable table, Path work, Path distribution, ScaleSettings settings, PostgresCluster postgres,
                SecretSealer sealer, Map<String, String> environment) {

    private static final Duration ISSUED_BEFORE_DUE = Duration.ofSeconds(120);
    /** The margin the daemons are given ({@code TOKENKEEPER_REFRESH_MARGIN_SECONDS}), so due = expiry − 40 s. */
    static final Duration MARGIN = Duration.ofSeconds(40);

    /**
     * @param daemons  how many daemons
     * @param kill     whether to kill one in the middle
     * @param baseline the bare loop's best run, same round
     * @param round    which round this is and of how many, for the figures' labels ("" for a single round)
     * @return refreshes per second, first refresh to last
     * @throws Exception when the rig fails outside what is measured
     */
    double run(int daemons, boolean kill, LoopBaseline baseline, String round) throws Exception {
        int threads = settings.threads();
        String schema = "storm" + daemons + (kill ? "kill" : "");
        int n = settings.storm();
        settle();
        BulkFill fill = BulkFill.prepare(postgres, schema, sealer, work.resolve(schema + "-migrate"));
        long windowMillis = settings.window().toMillis();
        String label = String.format("%,d due within %d s, %d daemon%s × %d workers%s", n, settings.window().toSeconds(),
                daemons, daemons == 1 ? "" : "s", threads, kill ? ", one killed (kill -9) a third of the way" : "") + round;
        double rate;
        try (InstantUpstream upstream = InstantUpstream.start(Duration.ZERO, 3600)) {
            Map<String, String> env = new HashMap<>(environment);
            env.putAll(postgres.settings(schema));
            env.put("GAZELLE_OAUTH_TOKEN_URL", upstream.tokenUrl().toString());
            double load = ScaleMeasurement.load();
            // The daemons start on the empty schema, then the rows come: as an import would, they are
            // announced to the running daemons, and the due times do not depend on how long starts take.
            try (DaemonFleet fleet = DaemonFleet.start(work, schema, distribution, env, daemons, settings.startWithin())) {
                int warm = warmUp(fill, upstream, schema, n, daemons * settings.warm());
                Instant first = Instant.now().plus(settings.lead());
                double fillSeconds = fill.fill(0, n, i -> {
                    Instant due = first.plusMillis(windowMillis * i / n);
                    return new BulkFill.Timing(due.minus(ISSUED_BEFORE_DUE), due.plus(MARGIN), due);
                });
                // Analysed as the bare loop analyses its fill: until autovacuum gets to it (within its minute's nap, by
                // chance during the storm or not) the planner would judge the claims by the statistics of the table
                // before the fill, and one such storm ran at a third of its rate, a database core busy, until then.
                execute("ANALYZE " + schema + ".credentials");
                double slack = Duration.between(Instant.now(), first).toMillis() / 1000.0;
                System.out.printf("    [10] %s: filled in %.1f s, %.1f s before the first due time%n", label,
                        fillSeconds, slack);
                Instant deadline = first.plus(settings.window()).plus(settings.drain());
                Kill killed = null;
                if (kill) {
                    waitFor(upstream, warm + n / 3, deadline);
                    killed = kill(fleet, daemons - 1, schema);
                }
                DatabaseCpu cpu = waitFor(upstream, warm, warm + n, deadline);
                // A killed daemon's refreshes reach the upstream but not the store: the storm is over
                // when every row is committed too (another daemon redoes those after the lease).
                waitForCommits(schema, warm + n, deadline);
                // Late extra refreshes (a second daemon, a retried commit) still count.
                Thread.sleep(2_000);
                rate = report(label + String.format(", load %.1f→%.1f", load, ScaleMeasurement.load()), upstream, schema, first,
                        baseline, slack, killed, warm, cpu);
            }
        }
        // Its dead rows would otherwise be vacuumed during the next storm, on the same two cores.
        execute("DROP SCHEMA " + schema + " CASCADE");
        return rate;
    }

    /**
     * Each storm starts from the same database state: nothing left to vacuum from the one before (its schema
     * is dropped) and no checkpoint owed for its writes.
     */
    private void settle() throws Exception {
        execute("CHECKPOINT");
    }

    private void execute(String statement) throws Exception {
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl()); Statement sql = connection.createStatement()) {
            sql.execute(statement);
        }
    }

    /**
     * Credentials {@code storm} to {@code storm + count - 1}, due at once, refreshed and committed before the
     * measured storm's fill: the daemons' refresh path compiled, as in a daemon that has run for a while.
     *
     * @return how many were refreshed (they stay in the table, refreshed, not due again within the run)
     */
    private int warmUp(BulkFill fill, InstantUpstream upstream, String schema, int storm, int count) throws Exception {
        if (count < 1) {
            return 0;
        }
        Instant due = Instant.now();
        long started = System.nanoTime();
        fill.fill(storm, storm + count, i -> new BulkFill.Timing(due.minus(ISSUED_BEFORE_DUE), due.plus(MARGIN), due));
        Instant deadline = due.plus(settings.drain());
        waitFor(upstream, count, deadline);
        waitForCommits(schema, count, deadline);
        System.out.printf("    [10] warm-up: %,d refreshed in %.1f s%n", count, (System.nanoTime() - started) / 1e9);
        return count;
    }

    /** The killed daemon: when, and the rows it held a lease on then with when each lease ran out (epoch millis). */
    private record Kill(long pid, long atMillis, Map<Integer, Long> leaseEnds) {
        Set<Integer> leased() {
            return leaseEnds.keySet();
        }
    }

    /**
     * How soon after a dead daemon's lease runs out another daemon refreshes the row: the claim that finds it
     * (claims go out continually in a storm, at the latest at the next tick, every second) and the refreshes
     * queued ahead of it on the worker that runs it.
     */
    private static final long TAKEOVER_MILLIS = 1_000;

    private Kill kill(DaemonFleet fleet, int index, String schema) throws Exception {
        DaemonLauncher victim = fleet.daemons().get(index);
        long pid = victim.pid();
        Map<Integer, Long> leaseEnds = new HashMap<>();
        long at;
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl());
             PreparedStatement held = connection.prepareStatement("SELECT account, (extract(epoch FROM lease_until) * 1000)::bigint"
                     + " FROM " + schema + ".credentials WHERE lease_owner LIKE ? AND lease_until > now()")) {
            // Its owner is host/pid/nonce. Killed first, then read: what it held at death.
            victim.kill();
            at = System.currentTimeMillis();
            held.setString(1, "%/" + pid + "/%");
            try (ResultSet rows = held.executeQuery()) {
                while (rows.next()) {
                    leaseEnds.put(Integer.parseInt(rows.getString(1).substring("bench".length())), rows.getLong(2));
                }
            }
        }
        System.out.printf("    [10] killed daemon %d (pid %d) holding %d leases%n", index, pid, leaseEnds.size());
        return new Kill(pid, at, leaseEnds);
    }

    private static void waitFor(InstantUpstream upstream, int refreshed, Instant deadline) throws InterruptedException {
        while (upstream.refreshesByKey().size() < refreshed && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
    }

    /**
     * The database's CPU while the storm's refreshes arrive upstream: from the first one to the last.
     *
     * @param nanos     CPU the server's processes used (-1: not measured)
     * @param refreshes the refreshes that arrived meanwhile
     */
    private record DatabaseCpu(long nanos, int refreshes) {
        double microsPerRefresh() {
            return nanos < 0 || refreshes == 0 ? Double.NaN : nanos / 1_000.0 / refreshes;
        }
    }

    /** {@link #waitFor}, measuring the database's CPU from the first refresh after {@code before} on. */
    private DatabaseCpu waitFor(InstantUpstream upstream, int before, int refreshed, Instant deadline) throws InterruptedException {
        while (upstream.refreshesByKey().size() <= before && Instant.now().isBefore(deadline)) {
            Thread.sleep(5);
        }
        long start = postgres.cpuNanos();
        int startCount = upstream.refreshesByKey().size();
        waitFor(upstream, refreshed, deadline);
        long end = postgres.cpuNanos();
        return new DatabaseCpu(start < 0 || end < 0 ? -1 : end - start, upstream.refreshesByKey().size() - startCount);
    }

    /** How many of the storm's credentials first reached the upstream in each second from the first one on. */
    private static String perSecond(InstantUpstream upstream, int n, long firstArrival) {
        int[] seconds = new int[0];
        for (int i = 0; i < n; i++) {
            Long arrived = upstream.firstArrivalMillis().get(Credentials.refreshKey(i));
            if (arrived != null) {
                int second = (int) ((arrived - firstArrival) / 1000);
                if (second >= seconds.length) {
                    seconds = Arrays.copyOf(seconds, second + 1);
                }
                seconds[second]++;
            }
        }
        return Arrays.toString(seconds);
    }

    private void waitForCommits(String schema, int n, Instant deadline) throws Exception {
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl());
             PreparedStatement committed = connection.prepareStatement("SELECT count(*) FROM " + schema
                     + ".credentials WHERE version > 1")) {
            while (Instant.now().isBefore(deadline)) {
                try (ResultSet count = committed.executeQuery()) {
                    count.next();
                    if (count.getLong(1) >= n) {
                        return;
                    }
                }
                Thread.sleep(500);
            }
        }
    }

    private double report(String label, InstantUpstream upstream, String schema, Instant first, LoopBaseline loop,
                          double slack, Kill killed, int warm, DatabaseCpu cpu) throws Exception {
        double baseline = loop.perSecond();
        int n = settings.storm();
        long windowMillis = settings.window().toMillis();
        long[] lateness = new long[n];
        int refreshed = 0;
        int twice = 0;
        long firstArrival = Long.MAX_VALUE;
        long lastArrival = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            String key = Credentials.refreshKey(i);
            AtomicInteger count = upstream.refreshesByKey().get(key);
            if (count == null) {
                continue;
            }
            twice += count.get() > 1 ? 1 : 0;
            long arrived = upstream.firstArrivalMillis().get(key);
            lateness[refreshed++] = arrived - (first.toEpochMilli() + windowMillis * i / n);
            firstArrival = Math.min(firstArrival, arrived);
            lastArrival = Math.max(lastArrival, upstream.lastArrivalMillis().get(key));
        }
        long[] late = Arrays.copyOf(lateness, refreshed);
        System.out.printf("    [10] %s: refreshes per second from the first: %s%n", label, perSecond(upstream, n, firstArrival));
        Arrays.sort(late);
        long committed;
        long committedTwice;
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl()); Statement sql = connection.createStatement();
             ResultSet counts = sql.executeQuery("SELECT count(*) FILTER (WHERE version > 1), count(*) FILTER (WHERE version > 2)"
                     + " FROM " + schema + ".credentials")) {
            counts.next();
            committed = counts.getLong(1) - warm;
            committedTwice = counts.getLong(2);
        }
        double seconds = Math.max(1, lastArrival - firstArrival) / 1000.0;
        double rate = refreshed / seconds;
        System.out.printf("    [10] %s: %,d/%,d refreshed (%,d committed, %d committed twice), %d refreshed twice,"
                        + " %d refresh tokens presented twice; lateness p50 %d ms p99 %d ms max %d ms; %.0f/s over %.1f s, peak %d/s%n",
                label, refreshed, n, committed, committedTwice, twice, upstream.presentedTwice(),
                (long) Samples.percentile(late, 0.5), (long) Samples.percentile(late, 0.99),
                refreshed == 0 ? 0 : late[refreshed - 1], rate, seconds, upstream.peakPerSecond());
        // A refresh token the killed daemon had sent, presented again by the next owner of its row: the
        // crash window every design that calls the upstream before it commits has (a Doorkeeper-like upstream
        // accepts it in its grace), counted apart from a double spend by live daemons.
        int killWindow = killed == null ? 0 : killWindow(upstream, killed);
        long spentTwice = upstream.presentedTwice() - killWindow;
        boolean once = refreshed == n && committed == n && twice == killWindow && committedTwice == 0 && spentTwice == 0;
        table.add(new ResultTable.Row("10", "storm: " + label + " — refreshed (upstream) / committed (store)",
                String.format("%,d / %,d; %d refreshed twice, %d committed twice, %d refresh tokens presented twice%s%s",
                        refreshed, committed, twice, committedTwice, spentTwice,
                        killed == null ? "" : String.format(" (besides %d kill-window presentations)", killWindow),
                        slack < 0 ? String.format("; filled %.0f s after the first due time", -slack) : ""),
                "", "", ResultTable.goal(once, "every one exactly once")));
        table.add(new ResultTable.Row("10", "storm lateness p50 / p99 / max (first refresh − due), " + label,
                String.format("%s / %s / %s s", ResultTable.fmt(Samples.percentile(late, 0.5) / 1000.0),
                        ResultTable.fmt(Samples.percentile(late, 0.99) / 1000.0),
                        ResultTable.fmt(refreshed == 0 ? Double.NaN : late[refreshed - 1] / 1000.0)), "", "", ""));
        table.add(new ResultTable.Row("10", "storm refreshes/s (first to last refresh; peak 1 s), " + label,
                String.format("%s/s over %.0f s (peak %,d/s)", ResultTable.fmt(rate), seconds, upstream.peakPerSecond()),
                "bare claim + commit loop " + ResultTable.fmt(baseline) + "/s", ResultTable.fmt(rate / baseline),
                ResultTable.goal(rate / baseline >= 0.5, "≥ 0.5× (offered " + ResultTable.fmt(n / (windowMillis / 1000.0)) + "/s)")));
        if (killed == null) {
            // On two shared cores the rate above is the daemons' own CPU as much as the database's: this is the
            // database's share alone, against the bare loop's (group commits make a refresh cheaper than a loop row).
            double database = cpu.microsPerRefresh();
            System.out.printf("    [10] %s: database CPU %.0f µs per refresh (bare loop %.0f µs per row)%n", label, database,
                    loop.databaseMicrosPerRow());
            table.add(new ResultTable.Row("10", "storm database CPU per refresh (PostgreSQL's processes), " + label,
                    ResultTable.fmt(database) + " µs", "bare loop " + ResultTable.fmt(loop.databaseMicrosPerRow())
                    + " µs per row", ResultTable.fmt(database / loop.databaseMicrosPerRow()), ""));
        } else {
            reportKill(upstream, killed, schema);
        }
        return rate;
    }

    /** @return the killed daemon's leased rows whose refresh token it had presented and another daemon presented again */
    private static int killWindow(InstantUpstream upstream, Kill killed) {
        int again = 0;
        for (int i : killed.leased()) {
            String key = Credentials.refreshKey(i);
            Long firstSeen = upstream.firstArrivalMillis().get(key);
            AtomicInteger count = upstream.refreshesByKey().get(key);
            again += firstSeen != null && firstSeen < killed.atMillis() && count != null && count.get() > 1 ? 1 : 0;
        }
        return again;
    }

    private void reportKill(InstantUpstream upstream, Kill killed, String schema) throws Exception {
        long worst = 0;
        long worstAfterLease = 0;
        List<Integer> onlyBefore = new ArrayList<>();
        int never = 0;
        int presentedBefore = 0;
        for (int i : killed.leased()) {
            Long last = upstream.lastArrivalMillis().get(Credentials.refreshKey(i));
            Long firstSeen = upstream.firstArrivalMillis().get(Credentials.refreshKey(i));
            presentedBefore += firstSeen != null && firstSeen < killed.atMillis() ? 1 : 0;
            if (last == null) {
                never++;
            } else if (last < killed.atMillis()) {
                onlyBefore.add(i);
            } else {
                worst = Math.max(worst, last - killed.atMillis());
                worstAfterLease = Math.max(worstAfterLease, last - killed.leaseEnds().get(i));
            }
        }
        // A commit the killed daemon had sent may land after the read of its leases: refreshed once, by it.
        int committedByIt = committed(schema, onlyBefore);
        int lost = onlyBefore.size() - committedByIt;
        long lease = settings.lease().toMillis();
        System.out.printf("    [10] kill: %d leased rows, %d of them already presented upstream by the killed daemon; taken over"
                        + " within %d ms of the kill, %d ms of the lease's end (lease %d ms); %d committed by the killed daemon's"
                        + " last statement, %d refreshed only before the kill and not committed, %d never%n",
                killed.leased().size(), presentedBefore, worst, worstAfterLease, lease, committedByIt, lost, never);
        table.add(new ResultTable.Row("10", String.format("kill -9 mid-storm: the killed daemon's %d leased credentials"
                        + " refreshed by the others after (max)", killed.leased().size()),
                String.format("%s s after the kill, %s s after its lease ran out; %d of them presented upstream by the killed"
                                + " daemon before it died, %d of those presented again by the next owner (kill window); %d refresh"
                                + " tokens spent twice besides%s%s%s", ResultTable.fmt(worst / 1000.0),
                        ResultTable.fmt(worstAfterLease / 1000.0), presentedBefore, killWindow(upstream, killed),
                        upstream.presentedTwice() - killWindow(upstream, killed), never > 0 ? "; " + never + " never" : "",
                        committedByIt > 0 ? "; " + committedByIt + " committed by the killed daemon's last statement" : "",
                        lost > 0 ? "; " + lost + " refreshed only before the kill and not committed" : ""),
                "lease " + settings.lease().toSeconds() + " s", ResultTable.fmt((double) worst / lease),
                ResultTable.goal(never == 0 && lost == 0 && worstAfterLease <= TAKEOVER_MILLIS
                                && upstream.presentedTwice() == killWindow(upstream, killed),
                        "each within " + TAKEOVER_MILLIS / 1000 + " s of its lease's end (so within one lease and "
                                + TAKEOVER_MILLIS / 1000 + " s of the kill), 0 refresh tokens spent twice")));
    }

    /** @return how many of the accounts' rows were committed (refreshed once: version 2 and above) */
    private int committed(String schema, List<Integer> accounts) throws Exception {
        if (accounts.isEmpty()) {
            return 0;
        }
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl());
             PreparedStatement versions = connection.prepareStatement("SELECT count(*) FROM " + schema
                     + ".credentials WHERE account = ANY(?) AND version > 1")) {
            versions.setArray(1, connection.createArrayOf("text",
                    accounts.stream().map(i -> "bench" + i).toArray()));
            try (ResultSet count = versions.executeQuery()) {
                count.next();
                return count.getInt(1);
            }
        }
    }
}
