package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No wait without a bound: a store or upstream answer that sends its headers and half of its body and
 * then stalls (a wedged proxy: no more bytes, no FIN) must not hold a consumer. {@code token} answers
 * with the cached valid token and {@code refresh --force} answers (refreshed, or a clear 503) in under
 * twice {@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS}; afterwards nothing is lost or spent twice.
 */
@Timeout(300)
class StalledAnswersEndToEndTest {

    /** {@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS}: long enough that a CLI's JVM start fits in the bound. */
    private static final Duration TIMEOUT = Duration.ofSeconds(8);
    private static final Duration BOUND = TIMEOUT.multipliedBy(2);
    private static final String ID = "gazelle:default";

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private FakePostgrest supabase;
    private DaemonProcess daemon;

    @BeforeEach
    void start() {
        gazelle = FakeGazelle.start();
        supabase = FakePostgrest.start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (daemon != null) {
                daemon.stop();
                String output = daemon.output();
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(output.contains(secret), "daemon output contains a token");
                }
                assertFalse(output.contains(supabase.serviceKey()), "daemon output contains the service key");
            }
        } finally {
            supabase.close();
            gazelle.close();
        }
    }

    private Map<String, String> env(boolean onSupabase) {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", String.valueOf(TIMEOUT.toSeconds()));
        env.put("TOKENKEEPER_SPOOL_RETRY_SECONDS", "1");
        if (onSupabase) {
            env.putAll(supabase.settings());
            env.put("TOKENKEEPER_STORE", "supabase");
        }
        return env;
    }

    @Test
    void aSupabaseAnswerThatStallsMidBodyHoldsNoConsumer() throws Exception {
        daemon = new DaemonProcess(temp.resolve("state"), env(true)).start();
        importChain();
        String before = gazelle.currentAccessToken("default");
        supabase.fault(FakePostgrest.Fault.STALL_MID_BODY);

        // token: the cached valid token, without waiting for the store.
        Timed<DaemonProcess.Response> token = timed(() -> daemon.cli("token", ID));
        assertEquals(0, token.value().status(), token.value().body());
        assertTrue(token.value().body().contains(before), "the cached token");
        assertWithinBound("token", token);

        // refresh --force: refreshed through the spool, or a clear 503 while it goes on in the background.
        Timed<DaemonProcess.Response> forced = timed(() -> daemon.call("POST", "/api/v1/credentials/" + ID
                + "/refresh?force=true", null));
        assertWithinBound("POST refresh", forced);
        assertAnsweredOrClearlyUnavailable(forced.value(), "supabase");
        Timed<DaemonProcess.Response> cliForced = timed(() -> daemon.cli("refresh", ID, "--force"));
        assertWithinBound("refresh --force", cliForced);
        // A consumer's 401 report: the new token, or a clear 503, within the same bound.
        Timed<DaemonProcess.Response> rejected = timed(() -> daemon.call("POST", "/api/v1/credentials/" + ID
                + "/rejected", DaemonProcess.JSON.createObjectNode().put("token", before).toString()));
        assertWithinBound("POST rejected", rejected);
        assertAnsweredOrClearlyUnavailable(rejected.value(), "supabase");
        assertTrue(supabase.stalledAnswers() > 0, "the store's answers were stalling meanwhile");

        // The refresh goes on in the background: the new tokens reach the spool, and are served.
        await().atMost(TIMEOUT.multipliedBy(8)).until(() -> spooled() > 0);
        String after = gazelle.currentAccessToken("default");
        assertFalse(after.equals(before), "the forced refresh reached the upstream");
        await().atMost(TIMEOUT.multipliedBy(4)).until(() -> daemon.call("GET", "/api/v1/credentials/" + ID
                + "/token", null).json().path("token").asText().equals(after));

        // The stall ends: the spool drains into the store, and store and daemon agree.
        supabase.fault(FakePostgrest.Fault.NONE);
        await().atMost(Duration.ofSeconds(60)).until(() -> spooled() == 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            long served = daemon.call("GET", "/api/v1/credentials/" + ID, null).json().get("version").asLong();
            return served == storeVersion();
        });
        assertEquals(0, gazelle.reuseCount(), "no refresh token spent twice");
    }

    @Test
    void aGazelleAnswerThatStallsMidBodyHoldsNoConsumerAndSpendsNothingTwice() throws Exception {
        daemon = new DaemonProcess(temp.resolve("state"), env(false)).start();
        importChain();
        String before = gazelle.currentAccessToken("default");
        gazelle.tokenFault(FakeGazelle.Fault.stallMidBody(TIMEOUT.multipliedBy(6)));

        Timed<DaemonProcess.Response> token = timed(() -> daemon.cli("token", ID));
        assertEquals(0, token.value().status(), token.value().body());
        assertTrue(token.value().body().contains(before), "the cached token");
        assertWithinBound("token", token);

        Timed<DaemonProcess.Response> forced = timed(() -> daemon.call("POST", "/api/v1/credentials/" + ID
                + "/refresh?force=true", null));
        assertWithinBound("POST refresh", forced);
        assertAnsweredOrClearlyUnavailable(forced.value(), "gazelle");
        Timed<DaemonProcess.Response> cliForced = timed(() -> daemon.cli("refresh", ID, "--force"));
        assertWithinBound("refresh --force", cliForced);
        // The token a consumer holds is still served while the refreshes stall.
        assertEquals(before, daemon.call("GET", "/api/v1/credentials/" + ID + "/token", null).json()
                .path("token").asText());

        gazelle.tokenFault(FakeGazelle.Fault.normal());
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            DaemonProcess.Response refreshed = daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true",
                    null);
            return refreshed.status() == 200 && "refreshed".equals(refreshed.json().path("outcome").asText());
        });
        String after = daemon.call("GET", "/api/v1/credentials/" + ID + "/token", null).json().path("token").asText();
        assertTrue(gazelle.isAccessTokenValid(after), "a token the upstream accepts");
        assertEquals(0, gazelle.reuseCount(), "no refresh token spent twice");
    }

    private void importChain() throws Exception {
        String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString();
        DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/" + ID, body);
        assertEquals(201, imported.status(), imported.body());
    }

    private static void assertAnsweredOrClearlyUnavailable(DaemonProcess.Response response, String slowPart)
            throws Exception {
        if (response.status() == 200) {
            return;
        }
        assertEquals(503, response.status(), response.body());
        JsonNode error = response.json();
        assertTrue(error.hasNonNull("error"), response.body());
        String message = error.path("message").asText();
        assertTrue(message.contains(slowPart), "names what is slow: " + message);
    }

    private static void assertWithinBound(String what, Timed<?> timed) {
        Object value = timed.value();
        System.out.println("[stall] " + what + " answered in " + timed.took().toMillis() + " ms"
                + (value instanceof DaemonProcess.Response response ? " with " + response.status() : ""));
        assertTrue(timed.took().compareTo(BOUND) < 0, what + " answered after " + timed.took().toMillis()
                + " ms, not under 2 x the " + TIMEOUT.toSeconds() + " s timeout");
    }

    private long spooled() throws Exception {
        Path spool = daemon.stateDir().resolve("spool");
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(spool)) {
            return files.filter(p -> p.toString().endsWith(".json")).count();
        }
    }

    private long storeVersion() {
        return supabase.rows(FakePostgrest.CREDENTIALS).stream()
                .filter(row -> row.get("id").asText().equals(ID))
                .mapToLong(row -> row.get("version").asLong()).findFirst().orElse(-1);
    }

    private interface Call<T> {
        T run() throws Exception;
    }

    private record Timed<T>(T value, Duration took) {
    }

    private static <T> Timed<T> timed(Call<T> call) throws Exception {
        long started = System.nanoTime();
        T value = call.run();
        return new Timed<>(value, Duration.ofNanos(System.nanoTime() - started));
    }
}
