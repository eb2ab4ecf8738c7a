package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak: the daemon for {@code -Dsoak.minutes} (30) with 1,000 short-lived credentials, a flaky
 * upstream and a {@code kill -9} every {@code -Dsoak.killEverySeconds} (120), ending with a table.
 * Run it with {@code ./mvnw -q install -DskipTests && ./mvnw -pl dist verify -Psoak}.
 */
@Tag("soak")
class SoakTest {

    /**
     * Stops the daemon however the test ends. Only the admin token is searched for in its output: the
     * imitation's tens of thousands of tokens against every run's log would take minutes.
     */
    @RegisterExtension
    final Fleet fleet = new Fleet();

    @Test
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
                boolean explained = KillLoopTest.killedInTheWindow(spent, presentedTimes.get(r), kills);
                if (explained) {
                    lostInWindow++;
                } else {
                    lostOutside++;
                    Instant nearest = kills.stream().min(java.util.Comparator.comparing(
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
