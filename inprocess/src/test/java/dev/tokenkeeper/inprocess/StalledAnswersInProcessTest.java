package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No wait without a bound: a store or upstream answer that sends its headers and half of its body and
 * then stalls (a wedged proxy: no more bytes, no FIN) must not hold a consumer. The token route (what
 * {@code tokenkeeper token} calls) answers with the cached valid token, and a forced refresh (what
 * {@code refresh --force} calls) and a consumer's 401 report answer (refreshed, or a clear 503) in
 * under twice {@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS}; afterwards nothing is lost or spent twice.
 * The daemon runs in this JVM; the stalls are real sockets, so the waits here are on the wall clock,
 * each bounded.
 */
@Timeout(120)
class StalledAnswersInProcessTest {

    /** {@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS}: no CLI's JVM start to fit in the bound, so short. */
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration BOUND = TIMEOUT.multipliedBy(2);
    private static final String ID = "gazelle:default";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FakeGazelle gazelle = FakeGazelle.start();
    private final FakePostgrest supabase = FakePostgrest.start();
    private TokenkeeperExtension daemon;

    @AfterEach
    void stop() {
        try {
            if (daemon != null) {
                String log = daemon.log();
                daemon.stop();
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(log.contains(secret), "the daemon's log contains a token");
                }
                assertFalse(log.contains(supabase.serviceKey()), "the daemon's log contains the service key");
            }
        } finally {
            supabase.close();
            gazelle.close();
        }
    }

    private void startDaemon(boolean onSupabase) {
        daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).settings(gazelle.settings())
                .setting("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", String.valueOf(TIMEOUT.toSeconds()))
                .setting("TOKENKEEPER_SPOOL_RETRY_SECONDS", "1");
        if (onSupabase) {
            daemon.settings(supabase.settings()).store(supabaseStore());
        }
        daemon.start();
    }

    @Test
    void aSupabaseAnswerThatStallsMidBodyHoldsNoConsumer() throws Exception {
        startDaemon(true);
        importChain();
        String before = gazelle.currentAccessToken("default");
        supabase.fault(FakePostgrest.Fault.STALL_MID_BODY);

        // token: the cached valid token, without waiting for the store.
        Timed token = timed(() -> daemon.call("GET", "/api/v1/credentials/" + ID + "/token?minValidity=60", null));
        assertEquals(200, token.answer().statusCode(), token.answer().body());
        assertEquals(before, JSON.readTree(token.answer().body()).path("token").asText(), "the cached token");
        assertWithinBound("token", token);

        // A forced refresh: refreshed through the spool, or a clear 503 while it goes on in the background.
        Timed forced = timed(() -> daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true", null));
        assertWithinBound("POST refresh", forced);
        assertAnsweredOrClearlyUnavailable(forced.answer(), "supabase");
        Timed again = timed(() -> daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true", null));
        assertWithinBound("POST refresh again", again);
        // A consumer's 401 report: the new token, or a clear 503, within the same bound.
        Timed rejected = timed(() -> daemon.call("POST", "/api/v1/credentials/" + ID + "/rejected",
                JSON.createObjectNode().put("token", before).toString()));
        assertWithinBound("POST rejected", rejected);
        assertAnsweredOrClearlyUnavailable(rejected.answer(), "supabase");
        assertTrue(supabase.stalledAnswers() > 0, "the store's answers were stalling meanwhile");

        // The refresh goes on in the background: the new tokens reach the spool, and are served.
        await().atMost(TIMEOUT.multipliedBy(8)).until(() -> spooled() > 0);
        String after = gazelle.currentAccessToken("default");
        assertFalse(after.equals(before), "the forced refresh reached the upstream");
        await().atMost(TIMEOUT.multipliedBy(4)).until(() -> JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + ID
                + "/token", null).body()).path("token").asText().equals(after));

        // The stall ends: the spool drains into the store, and store and daemon agree.
        supabase.fault(FakePostgrest.Fault.NONE);
        await().atMost(Duration.ofSeconds(30)).until(() -> spooled() == 0);
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            long served = JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + ID, null).body()).get("version").asLong();
            return served == storeVersion();
        });
        assertEquals(0, gazelle.reuseCount(), "no refresh token spent twice");
    }

    @Test
    void aGazelleAnswerThatStallsMidBodyHoldsNoConsumerAndSpendsNothingTwice() throws Exception {
        startDaemon(false);
        importChain();
        String before = gazelle.currentAccessToken("default");
        gazelle.tokenFault(FakeGazelle.Fault.stallMidBody(TIMEOUT.multipliedBy(6)));

        Timed token = timed(() -> daemon.call("GET", "/api/v1/credentials/" + ID + "/token?minValidity=60", null));
        assertEquals(200, token.answer().statusCode(), token.answer().body());
        assertEquals(before, JSON.readTree(token.answer().body()).path("token").asText(), "the cached token");
        assertWithinBound("token", token);

        Timed forced = timed(() -> daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true", null));
        assertWithinBound("POST refresh", forced);
        assertAnsweredOrClearlyUnavailable(forced.answer(), "gazelle");
        Timed again = timed(() -> daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true", null));
        assertWithinBound("POST refresh again", again);
        // The token a consumer holds is still served while the refreshes stall.
        assertEquals(before, JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + ID + "/token", null).body())
                .path("token").asText());

        gazelle.tokenFault(FakeGazelle.Fault.normal());
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            HttpResponse<String> refreshed = daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true", null);
            return refreshed.statusCode() == 200
                    && "refreshed".equals(JSON.readTree(refreshed.body()).path("outcome").asText());
        });
        String after = JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + ID + "/token", null).body())
                .path("token").asText();
        assertTrue(gazelle.isAccessTokenValid(after), "a token the upstream accepts");
        assertEquals(0, gazelle.reuseCount(), "no refresh token spent twice");
    }

    private void importChain() {
        String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString();
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID, body);
        assertEquals(201, imported.statusCode(), imported.body());
    }

    private static void assertAnsweredOrClearlyUnavailable(HttpResponse<String> response, String slowPart)
            throws IOException {
        if (response.statusCode() == 200) {
            return;
        }
        assertEquals(503, response.statusCode(), response.body());
        JsonNode error = JSON.readTree(response.body());
        assertTrue(error.hasNonNull("error"), response.body());
        String message = error.path("message").asText();
        assertTrue(message.contains(slowPart), "names what is slow: " + message);
    }

    private static void assertWithinBound(String what, Timed timed) {
        System.out.println("[stall] " + what + " answered in " + timed.took().toMillis() + " ms with "
                + timed.answer().statusCode());
        assertTrue(timed.took().compareTo(BOUND) < 0, what + " answered after " + timed.took().toMillis()
                + " ms, not under 2 x the " + TIMEOUT.toSeconds() + " s timeout");
    }

    private long spooled() throws IOException {
        Path spool = daemon.stateDirectory().resolve("spool");
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

    private static Supplier<TokenStore> supabaseStore() {
        return () -> ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
                .filter(found -> found.id().equals("supabase")).findFirst()
                .orElseThrow(() -> new IllegalStateException("store-supabase is not on the test class path"));
    }

    private record Timed(HttpResponse<String> answer, Duration took) {
    }

    private static Timed timed(Supplier<HttpResponse<String>> call) {
        long started = System.nanoTime();
        HttpResponse<String> answer = call.get();
        return new Timed(answer, Duration.ofNanos(System.nanoTime() - started));
    }
}
