package dev.tokenkeeper.inprocess;

import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness itself, on a static field: one daemon for the class, on port 0, on the test's clock. */
class TokenkeeperExtensionTest {

    private static final MutableClock CLOCK = MutableClock.startingNow();
    private static final FakeGazelle GAZELLE = FakeGazelle.start().clock(CLOCK);
    private static final AtomicInteger FIRST_PORT = new AtomicInteger();

    @RegisterExtension
    static final TokenkeeperExtension DAEMON = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(CLOCK)
            .settings(GAZELLE.settings());

    @AfterAll
    static void closeImitation() {
        GAZELLE.close();
    }

    @Test
    void oneDaemonServesTheClassOnAPortOfItsOwn() {
        samePortInEveryTest();
        assertTrue(DAEMON.port() > 0 && DAEMON.port() != 8080, "port 0 asked: " + DAEMON.port());
        assertTrue(Files.isDirectory(DAEMON.stateDirectory()));
        assertEquals(200, DAEMON.call("GET", "/healthz", null).statusCode());
    }

    @Test
    void theAdminTokenIsTheOnlyWayIn() throws Exception {
        samePortInEveryTest();
        assertEquals(200, DAEMON.call("GET", "/api/v1/credentials", null).statusCode());
        HttpResponse<String> stranger = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(DAEMON.baseUri() + "/api/v1/credentials"))
                .header("Authorization", "Bearer not-the-admin-token-at-all-0123456789").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, stranger.statusCode());
        assertNotEquals("", DAEMON.adminToken());
    }

    @Test
    void advanceMovesTheClockByExactlyTheStep() {
        samePortInEveryTest();
        Instant before = CLOCK.instant();
        long wall = System.nanoTime();
        Instant after = DAEMON.advance(Duration.ofDays(3).plusMillis(7));
        assertEquals(before.plus(Duration.ofDays(3).plusMillis(7)), after);
        assertEquals(after, CLOCK.instant());
        assertEquals(after, DAEMON.credentials().clock().instant(), "the daemon reads the same clock");
        assertTrue(System.nanoTime() - wall < Duration.ofSeconds(10).toNanos(), "three days without waiting for them");
    }

    @Test
    void theSchedulerTicksOnlyByHand() {
        samePortInEveryTest();
        assertThrows(IllegalStateException.class, () -> DAEMON.assembly().scheduler().tickByHand(),
                "chosen before the start, never after");
    }

    private static void samePortInEveryTest() {
        FIRST_PORT.compareAndSet(0, DAEMON.port());
        assertEquals(FIRST_PORT.get(), DAEMON.port(), "the same daemon in every test of the class");
    }
}
