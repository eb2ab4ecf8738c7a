package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.vinted.FakeEndpoint;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 point 2: the refresh plan leaves room for the anti-bot pauses. At Vinted's real ratio a
 * 2-hour access token meets a 15-minute pause (8:1); here 40-second tokens meet a 5-second pause
 * ({@code VINTED_BLOCKED_BACKOFF_SECONDS}), with the smallest margin setting
 * ({@code TOKENKEEPER_REFRESH_MARGIN_SECONDS=1}) so that only the provider's declared timing can make
 * room. Two daemons run side by side: at one, the first try of each refresh token meets the anti-bot
 * 403; at the other, the first two tries in a row. Each has two sessions, and consumers poll each
 * session for a token valid at least one second ({@code minValidity=1}). Over at least four refresh
 * cycles per session, no consumer may ever get an error or a token the imitation no longer accepts,
 * and no two refresh requests may reach the imitation in one burst.
 */
class VintedTimingTest {

    private static final Duration ACCESS_LIFETIME = Duration.ofSeconds(40);
    private static final Duration BLOCKED_PAUSE = Duration.ofSeconds(5);
    private static final Duration SPACING = Duration.ofSeconds(15);
    private static final int CYCLES = 4;

    @TempDir
    Path temp;

    /** One daemon, its imitation and its two sessions. */
    private static final class Scenario implements AutoCloseable {
        final int blockedTries;
        final FakeVinted vinted;
        final DaemonProcess daemon;
        final List<String> sessions = new ArrayList<>();
        final List<String> lapses = new ArrayList<>();
        int polls;

        Scenario(int blockedTries, Path state) throws Exception {
            this.blockedTries = blockedTries;
            vinted = FakeVinted.builder().accessTokenLifetime(ACCESS_LIFETIME).refreshTokenLifetime(Duration.ofHours(1))
                    .burstLimit(100_000, Duration.ofMinutes(5)).start();
            vinted.blockFirstRefreshTries(blockedTries);
            Map<String, String> env = DaemonProcess.fastRefreshSettings();
            env.put("TOKENKEEPER_REFRESH_MARGIN_SECONDS", "1");
            env.remove("TOKENKEEPER_REFRESH_JITTER_SECONDS");
            env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "3");
            env.put("VINTED_BASE_URL", vinted.baseUrl());
            env.put("VINTED_MAX_REQUESTS_PER_5_MIN", "1000");
            env.put("VINTED_BLOCKED_BACKOFF_SECONDS", String.valueOf(BLOCKED_PAUSE.toSeconds()));
            env.put("VINTED_REFRESH_SPACING_SECONDS", String.valueOf(SPACING.toSeconds()));
            daemon = new DaemonProcess(state, env).start();
            for (int i = 0; i < 2; i++) {
                String cookies = vinted.newSession();
                sessions.add(cookies);
                String body = DaemonProcess.JSON.createObjectNode().put("cookie", cookies).toString();
                DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/vinted:s" + i, body);
                assertEquals(201, imported.status(), imported.body());
            }
        }

        /** Every session asked once, as a consumer with {@code --min-validity 1}. */
        void poll() throws Exception {
            for (int i = 0; i < sessions.size(); i++) {
                polls++;
                DaemonProcess.Response answer = daemon.call("GET", "/api/v1/credentials/vinted:s" + i + "/token?minValidity=1",
                        null);
                if (answer.status() != 200) {
                    lapses.add(Instant.now() + " s" + i + ": HTTP " + answer.status() + " " + answer.body());
                } else if (!vinted.isAccessTokenValid(answer.json().get("token").asText())) {
                    lapses.add(Instant.now() + " s" + i + ": a token the imitation no longer accepts");
                }
            }
        }

        boolean enoughCycles() {
            return sessions.stream().allMatch(cookies -> refreshes(cookies) >= CYCLES);
        }

        int refreshes(String cookies) {
            return vinted.refreshesPerSession().getOrDefault(vinted.sessionId(cookies), 0);
        }

        @Override
        public void close() throws Exception {
            daemon.stop();
            vinted.close();
        }
    }

    @Test
    void oneOrTwoAntiBotAnswersAtEachPlannedRefreshNeverLetASessionLapse() throws Exception {
        try (Scenario once = new Scenario(1, temp.resolve("once"));
             Scenario twice = new Scenario(2, temp.resolve("twice"))) {
            List<Scenario> scenarios = List.of(once, twice);
            await().atMost(Duration.ofSeconds(240)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        for (Scenario scenario : scenarios) {
                            scenario.poll();
                        }
                        return scenarios.stream().allMatch(Scenario::enoughCycles);
                    });
            for (Scenario scenario : scenarios) {
                List<Instant> refreshRequests = scenario.vinted.requests().stream()
                        .filter(r -> r.endpoint() == FakeEndpoint.REFRESH).map(RecordedRequest::at).toList();
                long closest = Long.MAX_VALUE;
                for (int i = 1; i < refreshRequests.size(); i++) {
                    closest = Math.min(closest, Duration.between(refreshRequests.get(i - 1), refreshRequests.get(i)).toMillis());
                }
                System.out.printf("vinted timing (%d blocked tr%s per refresh token): polls=%d lapses=%d refreshes=%s "
                                + "blocked-answers=%d refresh-requests=%d closest-refresh-requests=%d ms%n",
                        scenario.blockedTries, scenario.blockedTries == 1 ? "y" : "ies", scenario.polls,
                        scenario.lapses.size(), scenario.vinted.refreshesPerSession().values(),
                        scenario.vinted.blockedCount(), refreshRequests.size(), closest);
                assertEquals(List.of(), scenario.lapses, "a consumer got an error or an expired token");
                assertTrue(scenario.vinted.blockedCount() >= CYCLES * 2 * scenario.blockedTries,
                        "the anti-bot answers did happen: " + scenario.vinted.blockedCount());
                assertEquals(0, scenario.vinted.reuseCount(), "no refresh token was presented twice");
                assertTrue(closest >= 1000, "refreshes of the two sessions are spread apart, never one burst: "
                        + closest + " ms");
                String output = scenario.daemon.output();
                for (String secret : scenario.vinted.allIssuedSecrets()) {
                    assertFalse(output.contains(secret), "daemon output holds a secret");
                }
            }
        }
    }
}
