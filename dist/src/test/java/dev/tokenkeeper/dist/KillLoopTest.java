package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Isolated;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.awaitility.Awaitility.await;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Continuous refreshes against rotating Gazelle and Vinted imitations (3-second tokens), with the
 * daemon killed ({@code kill -9}) at random moments and restarted on the same state each time.
 * A chain may only be lost by a kill between the upstream's answer and its commit: every reuse of
 * a spent refresh token seen at the imitations must have a kill between the moment that token was
 * spent and the moment it was presented again. {@code -Dtokenkeeper.kills=100} (the soak profile)
 * runs the long version.
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
}
