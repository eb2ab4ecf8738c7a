package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Continuous refreshes against rotating Gazelle and Vinted imitations (3-second tokens), with the
 * daemon killed ({@code kill -9}) at random moments and restarted on the same state each time.
 * A chain may only be lost by a kill between the upstream's answer and its commit: every reuse of
 * a spent refresh token seen at the imitations must have a kill between the moment that token was
 * spent and the moment it was presented again. Each kill comes after the restarted daemon committed
 * a refresh ({@link Kills}), so the loop holds on a busy machine and runs beside other classes.
 * {@code -Dtokenkeeper.kills=100} (the soak profile) runs the long version; {@link #soak} (only with
 * {@code -Psoak}) is the 30-minute run with 1,000 credentials, a flaky upstream and a kill every
 * 2 minutes. The two loops run at once (each has its fleet, imitations and state folder): each kill
 * waits for its daemon's commit, not for the machine, and the class was the longest lane of the module.
 */
@Tag("chaos")
@Execution(ExecutionMode.CONCURRENT)
class KillLoopTest {

    /**
     * A request still in flight when the daemon died is answered (and its token spent) after the
     * kill: that too is "the upstream answered, the answer was never committed". Bounded by the
     * upstream timeout the tests set.
     */
    static final Duration IN_FLIGHT = Duration.ofSeconds(5);

    /**
     * Whether a kill explains a lost chain. The loss is causal, not a matter of milliseconds: the
     * process that sent the refresh (still running when the token was spent, or killed with the
     * request in flight) must have died before the spent token was presented again. A daemon that
     * lived from the spend to the reuse lost the new pair by itself, which is a bug however short the
     * gap. (A fixed "within 1 s of the spend" window was tried first and failed at a load average
     * of 28, where a commit may wait longer than that for the CPU.)
     *
     * @param spent          when the upstream spent the refresh token that was later presented again
     * @param presentedAgain when it was presented again
     * @param kills          when the daemon was killed
     * @return true when a kill explains the loss
     */
    static boolean killedInTheWindow(Instant spent, Instant presentedAgain, List<Instant> kills) {
        return kills.stream().anyMatch(kill -> kill.isAfter(spent.minus(IN_FLIGHT)) && kill.isBefore(presentedAgain));
    }

    @RegisterExtension
    final Fleet fleet = new Fleet();

    @Test
    void killedAtRandomMomentsLosesNoChainOutsideTheCommitWindow() throws Exception {
        int kills = Integer.getInteger("tokenkeeper.kills", 12);
        long seed = Long.getLong("tokenkeeper.seed", System.nanoTime());
        Random random = new Random(seed);
        FakeGazelle gazelle = fleet.upstream(FakeGazelle.start().accessLifetime(Duration.ofSeconds(3)));
        FakeVinted vinted = fleet.upstream(FakeVinted.builder().accessTokenLifetime(Duration.ofSeconds(3))
                .refreshTokenLifetime(Duration.ofHours(1)).burstLimit(1_000_000, Duration.ofMinutes(5)).start());
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("VINTED_BASE_URL", vinted.baseUrl());
        env.put("VINTED_MAX_REQUESTS_PER_5_MIN", "1000000");
        env.put("TOKENKEEPER_LEASE_SECONDS", "2");
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "5");
        DaemonProcess daemon = fleet.start(env);
        List<String> ids = List.of("gazelle:g0", "gazelle:g1", "gazelle:g2", "gazelle:g3", "vinted:v0", "vinted:v1");
        Map<String, String> sessions = new HashMap<>();
        for (String id : ids) {
            DaemonProcess.Response imported = importChain(daemon, gazelle, vinted, id, sessions);
            assertEquals(201, imported.status(), id + ": " + imported.body());
        }

        // A chain lost in the window needs a human: imported again (a new chain), so that the loop keeps
        // six chains to refresh and to lose, however many kills it runs (100 in the soak lost all six).
        int importedAgain = 0;
        Kills schedule = new Kills(random, Duration.ofMillis(1_000));
        for (int k = 0; k < kills; k++) {
            if (k > 0) {
                daemon.start();
            }
            boolean imported = false;
            for (String id : ids) {
                if (status(daemon, id).equals("requires_configuration")) {
                    importChain(daemon, gazelle, vinted, id, sessions);
                    importedAgain++;
                    imported = true;
                }
            }
            if (imported) {
                // An import sets the same time as a refresh: only a commit after it counts.
                schedule.countCommitsFrom(Instant.now());
            }
            schedule.killAfterACommit(daemon);
        }
        List<Instant> killTimes = schedule.times();
        daemon.start();
        // Until each chain was refreshed twice after the last start (once could be a request the killed
        // process sent, answered after the kill) or was lost: a lost chain shows at the new process's
        // first refresh, which presents the spent token. Was a fixed 8 s wait.
        Map<String, Integer> chainsAtLastStart = gazelle.refreshesPerChain();
        Map<String, Integer> sessionsAtLastStart = vinted.refreshesPerSession();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            for (String id : ids) {
                boolean refreshed = id.startsWith("gazelle:")
                        ? gazelle.refreshesPerChain().getOrDefault(id.substring(8), 0)
                                >= chainsAtLastStart.getOrDefault(id.substring(8), 0) + 2
                        : vinted.refreshesPerSession().getOrDefault(sessions.get(id), 0)
                                >= sessionsAtLastStart.getOrDefault(sessions.get(id), 0) + 2;
                if (!refreshed && !status(daemon, id).equals("requires_configuration")) {
                    return false;
                }
            }
            return true;
        });

        int lostInWindow = 0;
        int lostOutside = 0;
        List<Instant> spentTimes = new ArrayList<>(gazelle.reusedTokenSpentTimes());
        spentTimes.addAll(vinted.reusedTokenSpentTimes());
        List<Instant> presentedTimes = new ArrayList<>(gazelle.reusedTokenPresentedTimes());
        presentedTimes.addAll(vinted.reusedTokenPresentedTimes());
        for (int r = 0; r < spentTimes.size(); r++) {
            boolean explained = killedInTheWindow(spentTimes.get(r), presentedTimes.get(r), killTimes);
            if (explained) {
                lostInWindow++;
            } else {
                lostOutside++;
            }
        }
        int needsHuman = 0;
        for (String id : ids) {
            JsonNode credential = daemon.call("GET", "/api/v1/credentials/" + id, null).json();
            if (credential.get("status").asText().equals("requires_configuration")) {
                needsHuman++;
            } else {
                assertEquals("active", credential.get("status").asText(), credential.toString());
            }
        }
        int cycles = gazelle.refreshRequestCount() + vinted.refreshCount();
        // An answer the daemon stopped waiting for is lost like one a kill lost (docs/crash-safety.md): counted apart.
        long upstreamTimeouts = daemon.output().lines().filter(line -> line.contains("refresh of ")
                && (line.contains("(TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS)") || line.contains("timed out"))).count();
        System.out.printf("kill loop (seed %d): kills=%d in %d s (%s) refresh-cycles=%d chains-lost-in-commit-window=%d "
                + "chains-lost-elsewhere=%d credentials-imported-again=%d credentials-needing-a-human-at-the-end=%d "
                + "refreshes-timed-out-upstream=%d%n",
                seed, kills, Duration.between(schedule.began(), Instant.now()).toSeconds(), schedule.summary(), cycles,
                lostInWindow, lostOutside, importedAgain, needsHuman, upstreamTimeouts);
        assertTrue(cycles >= kills, "each kill came after a committed refresh, which the upstream answered: " + cycles);
        assertEquals(0, lostOutside, "a chain was lost outside the answer-to-commit window");
        assertTrue(importedAgain + needsHuman <= lostInWindow, "only chains lost in the window need a human");
    }

    /**
     * Issue 11 point 4: against a Doorkeeper server (the old refresh token stays valid until the new
     * access token is used), the kill loop loses no chain at all: the daemon never uses a new access
     * token before its pair is committed, and a refresh whose answer a kill lost is resumed at the next
     * start with the old refresh token. 50 kills in the normal run, 100 with {@code -Psoak}
     * ({@code -Dtokenkeeper.doorkeeperKills}), in two loops at once that each kill their own daemon half of
     * them: a kill is one process's restart, which waits for the process far more than for the CPU, and one
     * loop of 50 was the module's longest lane (235 s).
     *
     * @param loop which of the two loops (each has its fleet, imitation and state folder)
     */
    @ParameterizedTest(name = "loop {0}")
    @ValueSource(ints = {1, 2})
    void killedAtRandomMomentsAgainstDoorkeeperLosesNoChain(int loop) throws Exception {
        int kills = Integer.getInteger("tokenkeeper.doorkeeperKills", 50) / 2;
        long seed = Long.getLong("tokenkeeper.seed", System.nanoTime());
        Random random = new Random(seed);
        FakeGazelle gazelle = fleet.upstream(FakeGazelle.start().accessLifetime(Duration.ofSeconds(3)).doorkeeper(true));
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("TOKENKEEPER_LEASE_SECONDS", "2");
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "5");
        DaemonProcess daemon = fleet.start(env);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("d" + i)).toString();
            DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:d" + i, body);
            assertEquals(201, imported.status(), imported.body());
            ids.add("gazelle:d" + i);
        }
        Kills schedule = new Kills(random, Duration.ofMillis(600));
        for (int k = 0; k < kills; k++) {
            if (k > 0) {
                daemon.start();
            }
            schedule.killAfterACommit(daemon);
        }
        daemon.start();
        Map<String, Integer> atLastStart = gazelle.refreshesPerChain();
        // Every chain keeps refreshing after the last start.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> gazelle.refreshesPerChain().entrySet().stream()
                        .allMatch(chain -> chain.getValue() > atLastStart.getOrDefault(chain.getKey(), 0)));
        int needsHuman = 0;
        for (String id : ids) {
            JsonNode credential = daemon.call("GET", "/api/v1/credentials/" + id, null).json();
            if (!credential.get("status").asText().equals("active")) {
                needsHuman++;
                System.out.println("not active: " + credential);
            }
        }
        int cycles = gazelle.refreshRequestCount();
        System.out.printf("kill loop (doorkeeper %d of 2, seed %d): kills=%d in %d s (%s) refresh-cycles=%d chains-lost=%d "
                        + "refreshes-resumed-with-the-old-token=%d credentials-needing-a-human=%d%n", loop, seed, kills,
                Duration.between(schedule.began(), Instant.now()).toSeconds(), schedule.summary(), cycles, gazelle.reuseCount(),
                gazelle.graceRefreshCount(), needsHuman);
        assertTrue(cycles >= kills, "each kill came after a committed refresh, which the upstream answered: " + cycles);
        assertEquals(0, gazelle.reuseCount(), "no chain lost: no refresh token was refused as spent");
        assertEquals(0, needsHuman, "every credential is active");
    }

    /**
     * The soak: the daemon for {@code -Dsoak.minutes} (30) with {@code -Dsoak.credentials} (1,000)
     * 60-second credentials, a flaky upstream and a {@code kill -9} every {@code -Dsoak.killEverySeconds}
     * (120), ending with a table in {@code target/soak-report.md}: no chain lost outside the commit
     * window, no file descriptor leak. Only with {@code -Psoak}. Its daemon's output is searched for
     * the admin token only: the imitation's tens of thousands of tokens against every run's log would
     * take minutes.
     */
    @Test
    @Tag("soak")
    void soak() throws Exception {
        int minutes = Integer.getInteger("soak.minutes", 30);
        int killEvery = Integer.getInteger("soak.killEverySeconds", 120);
        int credentials = Integer.getInteger("soak.credentials", 1000);
        Random random = new Random(42);
        try (FakeGazelle gazelle = FakeGazelle.start().accessLifetime(Duration.ofSeconds(60))) {
            Map<String, String> env = DaemonProcess.fastRefreshSettings();
            env.putAll(gazelle.settings());
            env.put("TOKENKEEPER_RETRY_MAX_SECONDS", "20");
            env.put("TOKENKEEPER_REFRESH_JITTER_SECONDS", "5");
            env.put("TOKENKEEPER_LEASE_SECONDS", "5");
            env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "5");
            DaemonProcess daemon = fleet.start(fleet.temp().resolve("state"), env);
            for (int i = 0; i < credentials; i++) {
                String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("s" + i)).toString();
                assertEquals(201, daemon.call("PUT", "/api/v1/credentials/gazelle:s" + i, body).status());
            }
            Instant end = Instant.now().plus(Duration.ofMinutes(minutes));
            Instant nextKill = Instant.now().plusSeconds(killEvery);
            Instant nextFault = Instant.now().plusSeconds(10);
            List<Instant> kills = new ArrayList<>();
            long peakRssKb = 0;
            long fdStart = -1;
            Instant segmentStart = Instant.now();
            List<FakeGazelle.Fault> faults = List.of(FakeGazelle.Fault.serviceUnavailable(), FakeGazelle.Fault.dropConnection(),
                    FakeGazelle.Fault.rateLimited(Duration.ofSeconds(2)), FakeGazelle.Fault.slow(Duration.ofMillis(500)),
                    FakeGazelle.Fault.malformedJson(), FakeGazelle.Fault.okWithoutToken());
            while (Instant.now().isBefore(end)) {
                long pid = daemon.process().pid();
                peakRssKb = Math.max(peakRssKb, rssKb(pid));
                if (fdStart < 0 && Duration.between(segmentStart, Instant.now()).toSeconds() >= 20) {
                    fdStart = fds(pid);
                }
                if (Instant.now().isAfter(nextFault)) {
                    gazelle.tokenFaultForNext(5, faults.get(random.nextInt(faults.size())));
                    nextFault = Instant.now().plusSeconds(10);
                }
                if (Instant.now().isAfter(nextKill) && Instant.now().plusSeconds(killEvery).isBefore(end)) {
                    kills.add(Instant.now());
                    daemon.kill9();
                    daemon.start();
                    segmentStart = Instant.now();
                    fdStart = -1;
                    nextKill = Instant.now().plusSeconds(killEvery);
                }
                Thread.sleep(2_000);
            }
            long fdEnd = fds(daemon.process().pid());
            int lostInWindow = 0;
            int lostOutside = 0;
            List<Instant> presentedTimes = gazelle.reusedTokenPresentedTimes();
            List<Instant> spentTimes = gazelle.reusedTokenSpentTimes();
            for (int r = 0; r < spentTimes.size(); r++) {
                Instant spent = spentTimes.get(r);
                boolean explained = killedInTheWindow(spent, presentedTimes.get(r), kills);
                if (explained) {
                    lostInWindow++;
                } else {
                    lostOutside++;
                    Instant nearest = kills.stream().min(Comparator.comparing(
                            kill -> Duration.between(kill, spent).abs())).orElse(null);
                    System.out.printf("chain lost outside the window: token spent at %s, nearest kill %s%n", spent,
                            nearest == null ? "none" : Duration.between(nearest, spent).toMillis() + " ms before it");
                }
            }
            Map<String, Integer> failuresByKind = new TreeMap<>();
            for (FakeGazelle.TokenRequest request : gazelle.tokenRequests()) {
                if (request.fault() != null && !(request.fault() instanceof FakeGazelle.Fault.Normal)) {
                    failuresByKind.merge(request.fault().getClass().getSimpleName(), 1, Integer::sum);
                }
            }
            daemon.stop();
            String table = String.join("\n",
                    "| soak | value |",
                    "| --- | --- |",
                    "| duration | " + minutes + " min |",
                    "| credentials | " + credentials + " (60 s tokens, rotating) |",
                    "| kills (kill -9) | " + kills.size() + " |",
                    "| refreshes at the upstream | " + gazelle.refreshRequestCount() + " |",
                    "| injected failures by kind | " + failuresByKind + " |",
                    "| chains lost in the answer-to-commit window | " + lostInWindow + " |",
                    "| chains lost elsewhere | " + lostOutside + " |",
                    "| peak RSS | " + peakRssKb / 1024 + " MiB |",
                    "| file descriptors, segment start / end | " + fdStart + " / " + fdEnd + " |");
            System.out.println(table);
            Files.writeString(Path.of("target", "soak-report.md"), table + "\n");
            assertEquals(0, lostOutside, "chains lost outside the commit window");
            assertTrue(fdStart < 0 || fdEnd <= fdStart + 20, "file descriptors leak: " + fdStart + " -> " + fdEnd);
        }
    }

    /**
     * Imports a new chain as {@code id} (a Gazelle token pair or a Vinted session), as a human does.
     *
     * @param sessions each Vinted credential's session at the imitation, updated here
     * @return the daemon's answer (no secret in it)
     */
    private static DaemonProcess.Response importChain(DaemonProcess daemon, FakeGazelle gazelle, FakeVinted vinted,
                                                      String id, Map<String, String> sessions)
            throws IOException, InterruptedException {
        String account = id.substring(id.indexOf(':') + 1);
        String body;
        if (id.startsWith("gazelle:")) {
            body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
        } else {
            String cookie = vinted.newSession();
            sessions.put(id, vinted.sessionId(cookie));
            body = DaemonProcess.JSON.createObjectNode().put("cookie", cookie).toString();
        }
        return daemon.call("PUT", "/api/v1/credentials/" + id, body);
    }

    private static String status(DaemonProcess daemon, String id) throws IOException, InterruptedException {
        return daemon.call("GET", "/api/v1/credentials/" + id, null).json().get("status").asText();
    }

    /**
     * The kill loops' schedule: a kill comes only after the running daemon (started after the previous
     * kill) committed a refresh, then at a random moment within {@code spread}, while other refreshes
     * are in flight. So every process killed had refreshed, however slow the machine: the refreshes
     * between kills measure the daemon, not the load. A commit counts from the moment the previous
     * process was gone (or the loop began): only the new process can have written it, and the refreshes
     * it commits while it starts (its credentials fell due while no daemon ran) count too, so the wait
     * does not add a refresh cycle to every restart. A daemon that commits nothing within
     * {@link #COMMIT_WAIT} fails the test, saying which kill it was waiting for.
     *
     * @param random  picks each kill's moment (seeded: the test prints the seed)
     * @param spread  how long after the commit a kill may come
     * @param began   when the loop began
     * @param times   when each kill came, in order
     * @param waits   for each kill, how long the wait for a commit took
     * @param from    from when a commit counts (the previous process gone, or a later import)
     */
    record Kills(Random random, Duration spread, Instant began, List<Instant> times, List<Duration> waits,
                 AtomicReference<Instant> from) {

        /** The longest a started daemon may take to commit a refresh of credentials that are due. */
        static final Duration COMMIT_WAIT = Duration.ofSeconds(30);

        Kills(Random random, Duration spread) {
            this(random, spread, Instant.now(), new ArrayList<>(), new ArrayList<>(), new AtomicReference<>());
            from.set(began);
        }

        /** Counts only commits after {@code moment} for the next kill (an import sets the same time as a refresh). */
        void countCommitsFrom(Instant moment) {
            from.set(moment);
        }

        /**
         * Waits (bounded) until {@code daemon} committed a refresh since the previous process was gone (or
         * the loop began, or {@link #countCommitsFrom}), then kills it at a random moment.
         */
        void killAfterACommit(DaemonProcess daemon) throws InterruptedException {
            Instant since = from.get();
            Instant waitBegan = Instant.now();
            try {
                await().atMost(COMMIT_WAIT).pollInterval(Duration.ofMillis(50))
                        .failFast("the daemon exited", () -> !daemon.process().isAlive())
                        .until(() -> committedSince(daemon, since));
            } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
                throw new AssertionError("kill " + (times.size() + 1) + ": the restarted daemon committed no refresh within "
                        + COMMIT_WAIT.toSeconds() + " s (its credentials refresh every few seconds)", e);
            }
            waits.add(Duration.between(waitBegan, Instant.now()));
            Thread.sleep(random.nextInt((int) spread.toMillis() + 1));
            times.add(Instant.now());
            daemon.kill9();
            if (daemon.process().isAlive()) {
                throw new AssertionError("kill " + times.size() + ": the daemon was still running 30 s after kill -9");
            }
            // Gone: whatever it committed has a time before this one.
            from.set(Instant.now());
        }

        /** @return the commit waits in words, for the test's figures */
        String summary() {
            long mean = waits.stream().mapToLong(Duration::toMillis).sum() / Math.max(1, waits.size());
            long longest = waits.stream().mapToLong(Duration::toMillis).max().orElse(0);
            return "each after a commit: waited " + mean + " ms on average, at most " + longest + " ms";
        }

        private static boolean committedSince(DaemonProcess daemon, Instant since) throws IOException, InterruptedException {
            for (JsonNode credential : daemon.call("GET", "/api/v1/credentials", null).json()) {
                JsonNode last = credential.path("lastRefreshAt");
                if (last.isTextual() && Instant.parse(last.asText()).isAfter(since)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static long fds(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        } catch (IOException e) {
            return -1;
        }
    }
}
