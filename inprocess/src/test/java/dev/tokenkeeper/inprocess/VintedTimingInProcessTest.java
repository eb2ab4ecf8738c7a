package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.vinted.FakeEndpoint;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.RecordedRequest;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 24 must-show 3, {@code VintedTimingTest}'s scenario at Vinted's real scale on the controlled
 * clock: 2-hour access tokens (7-day refresh tokens), the provider's 15-minute pause after an
 * anti-bot answer ({@code VINTED_BLOCKED_BACKOFF_SECONDS}'s default), the smallest margin setting
 * ({@code TOKENKEEPER_REFRESH_MARGIN_SECONDS=1}) so that only the provider's declared timing makes
 * room. The session spacing keeps the end-to-end test's ratio to the token life (15 s to 40 s there,
 * {@code VINTED_REFRESH_SPACING_SECONDS=2700} here). The first one or two tries of each refresh token meet the anti-bot 403. Two sessions; a
 * consumer asks each for a token valid at least one second every clock minute, 1,000 polls (over
 * eight hours of clock time: four refresh cycles or more per session). No consumer may get an error
 * or a token the imitation no longer accepts, no refresh token is presented twice, and the two
 * sessions' refreshes never reach the imitation in one burst.
 */
class VintedTimingInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int POLLS = 1000;
    private static final int CYCLES = 4;
    private static final Duration POLL_EVERY = Duration.ofMinutes(1);
    private static final Duration SPACING = Duration.ofMinutes(45);

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeVinted vinted = FakeVinted.builder().clock(clock).burstLimit(100_000, Duration.ofMinutes(5)).start();

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new VintedProvider()).clock(clock)
            .setting("VINTED_BASE_URL", vinted.baseUrl())
            .setting("VINTED_MAX_REQUESTS_PER_5_MIN", "1000")
            .setting("VINTED_REFRESH_SPACING_SECONDS", String.valueOf(SPACING.toSeconds()))
            .setting("TOKENKEEPER_REFRESH_MARGIN_SECONDS", "1")
            .setting("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "3");

    @AfterEach
    void closeImitation() {
        vinted.close();
    }

    @ParameterizedTest(name = "{0} anti-bot answer(s) per refresh token")
    @ValueSource(ints = {1, 2})
    void antiBotAnswersAtEachPlannedRefreshNeverLetASessionLapse(int blockedTries) throws Exception {
        long started = System.nanoTime();
        vinted.blockFirstRefreshTries(blockedTries);
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String cookies = vinted.newSession();
            sessions.add(cookies);
            HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/vinted:s" + i,
                    JSON.createObjectNode().put("cookie", cookies).toString());
            assertEquals(201, imported.statusCode(), imported.body());
        }
        List<String> lapses = new ArrayList<>();
        int polls = 0;
        while (polls < POLLS) {
            daemon.advance(POLL_EVERY);
            for (int i = 0; i < sessions.size(); i++) {
                polls++;
                HttpResponse<String> answer = daemon.call("GET", "/api/v1/credentials/vinted:s" + i + "/token?minValidity=1", null);
                if (answer.statusCode() != 200) {
                    lapses.add(clock.instant() + " s" + i + ": HTTP " + answer.statusCode() + " " + answer.body());
                    continue;
                }
                JsonNode token = JSON.readTree(answer.body()).get("token");
                if (!vinted.isAccessTokenValid(token.asText())) {
                    lapses.add(clock.instant() + " s" + i + ": a token the imitation no longer accepts");
                }
            }
        }
        List<Instant> refreshRequests = vinted.requests().stream().filter(r -> r.endpoint() == FakeEndpoint.REFRESH)
                .map(RecordedRequest::at).toList();
        long closest = Long.MAX_VALUE;
        for (int i = 1; i < refreshRequests.size(); i++) {
            closest = Math.min(closest, Duration.between(refreshRequests.get(i - 1), refreshRequests.get(i)).toMillis());
        }
        System.out.printf("vinted timing in process (%d blocked tries per refresh token): polls=%d lapses=%d refreshes=%s"
                        + " blocked-answers=%d refresh-requests=%d closest-refresh-requests=%d ms clock=%s wall=%d ms%n",
                blockedTries, polls, lapses.size(), vinted.refreshesPerSession().values(), vinted.blockedCount(),
                refreshRequests.size(), closest, Duration.ofMillis(clock.millis() - refreshRequests.get(0).toEpochMilli()),
                (System.nanoTime() - started) / 1_000_000);
        assertEquals(List.of(), lapses, "a consumer got an error or an expired token");
        for (String cookies : sessions) {
            assertTrue(vinted.refreshesPerSession().getOrDefault(vinted.sessionId(cookies), 0) >= CYCLES,
                    "each session went through " + CYCLES + " refresh cycles: " + vinted.refreshesPerSession());
        }
        assertTrue(vinted.blockedCount() >= CYCLES * 2 * blockedTries, "the anti-bot answers did happen: "
                + vinted.blockedCount());
        assertEquals(0, vinted.reuseCount(), "no refresh token was presented twice");
        String log = daemon.log();
        assertTrue(log.contains("refreshed vinted:s0"), "the daemon's log is captured");
        for (String secret : vinted.allIssuedSecrets()) {
            assertFalse(log.contains(secret), "the daemon's log holds a secret");
        }
        assertTrue(closest >= 1000, "refreshes of the two sessions are spread apart, never one burst: " + closest + " ms: "
                + vinted.requests().stream().filter(r -> r.endpoint() == FakeEndpoint.REFRESH)
                .map(r -> r.at() + " " + r.cookies()).toList());
    }
}
