package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Isolated;

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
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Continuous refreshes against rotating Gazelle and Vinted imitations (3-second tokens), with the
 * daemon killed ({@code kill -9}) at random moments and restarted on the same state each time.
 * A chain may only be lost by a kill between the upstream's answer and its commit: every reuse of
 * a spent refresh token seen at the imitations must have a kill between the moment that token was
 * spent and the moment it was presented again. {@code -Dtokenkeeper.kills=100} (the soak profile)
 * runs the long version; {@link #soak} (only with {@code -Psoak}) is the 30-minute run with 1,000
 * credentials, a flaky upstream and a kill every 2 minutes.
 */
@Tag("chaos")
@Isolated("kills at random wall-clock moments: the refreshes counted between them measure the daemon, not a neighbour")
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
        Random random = new Random(Long.getLong("tokenkeeper.seed", System.nanoTime()));
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
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("g" + i)).toString();
            assertEquals(201, daemon.call("PUT", "/api/v1/credentials/gazelle:g" + i, body).status());
            ids.add("gazelle:g" + i);
        }
        Map<String, String> sessions = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            String cookie = vinted.newSession();
            String body = DaemonProcess.JSON.createObjectNode().put("cookie", cookie).toString();
            assertEquals(201, daemon.call("PUT", "/api/v1/credentials/vinted:v" + i, body).status());
            ids.add("vinted:v" + i);
            sessions.put("vinted:v" + i, vinted.sessionId(cookie));
        }

        List<Instant> killTimes = new ArrayList<>();
        for (int k = 0; k < kills; k++) {
            if (k > 0) {
                daemon.start();
            }
            Thread.sleep(300 + random.nextInt(2200));
            killTimes.add(Instant.now());
            daemon.kill9();
        }
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
                if (!refreshed && !daemon.call("GET", "/api/v1/credentials/" + id, null).json().get("status").asText()
                        .equals("requires_configuration")) {
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
        System.out.printf("kill loop: kills=%d refresh-cycles=%d chains-lost-in-commit-window=%d "
                + "chains-lost-elsewhere=%d credentials-needing-a-human=%d refreshes-timed-out-upstream=%d%n",
                kills, cycles, lostInWindow, lostOutside, needsHuman, upstreamTimeouts);
        assertTrue(cycles >= kills, "refreshes kept happening between kills: " + cycles);
        assertEquals(0, lostOutside, "a chain was lost outside the answer-to-commit window");
        assertTrue(needsHuman <= lostInWindow, "only chains lost in the window need a human");
    }

    /**
     * Issue 11 point 4: against a Doorkeeper server (the old refresh token stays valid until the new
     * access token is used), the kill loop loses no chain at all: the daemon never uses a new access
     * token before its pair is committed, and a refresh whose answer a kill lost is resumed at the next
     * start with the old refresh token. 50 kills in the normal run, 100 with {@code -Psoak}
     * ({@code -Dtokenkeeper.doorkeeperKills}).
     */
    @Test
    void killedAtRandomMomentsAgainstDoorkeeperLosesNoChain() throws Exception {
        int kills = Integer.getInteger("tokenkeeper.doorkeeperKills", 50);
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
            assertEquals(201, daemon.call("PUT", "/api/v1/credentials/gazelle:d" + i, body).status());
            ids.add("gazelle:d" + i);
        }
        Instant began = Instant.now();
        for (int k = 0; k < kills; k++) {
            if (k > 0) {
                daemon.start();
            }
            Thread.sleep(100 + random.nextInt(1000));
            daemon.kill9();
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
        System.out.printf("kill loop (doorkeeper, seed %d): kills=%d in %d s refresh-cycles=%d chains-lost=%d "
                        + "refreshes-resumed-with-the-old-token=%d credentials-needing-a-human=%d%n", seed, kills,
                Duration.between(began, Instant.now()).toSeconds(), cycles, gazelle.reuseCount(),
                gazelle.graceRefreshCount(), needsHuman);
        assertTrue(cycles >= kills, "refreshes kept happening between kills: " + cycles);
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
