package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import dev.tokenkeeper.store.supabase.SupabaseTokenStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon the harness builds on the Supabase store, against the PostgREST imitation: outages
 * spooled and drained (the refreshes on the clock, the drain on the spool's own timer), the legacy
 * {@code system_settings} row kept fresh, and one clear line for each wrong setting at the start.
 */
class SupabaseInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> ACCOUNTS = List.of("a", "b", "c");

    @TempDir
    Path temp;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final FakePostgrest supabase = FakePostgrest.start();
    private final List<TokenkeeperExtension> daemons = new ArrayList<>();

    @AfterEach
    void stopAndCheckLogsForSecrets() {
        try {
            for (TokenkeeperExtension daemon : daemons) {
                String log = daemon.log();
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(log.contains(secret), "the daemon's log holds a token");
                }
                assertFalse(log.contains(supabase.serviceKey()), "the daemon's log holds the service key");
            }
        } finally {
            daemons.forEach(TokenkeeperExtension::stop);
            supabase.close();
            gazelle.close();
        }
    }

    @Test
    void anOutageIsSpooledAndDrainedWithoutLosingARefreshToken() throws Exception {
        gazelle.accessLifetime(Duration.ofHours(1));
        Map<String, String> key = SharedMasterKey.in(temp);
        TokenkeeperExtension daemon = daemon(key);
        daemon.start();
        for (String account : ACCOUNTS) {
            importChain(daemon, account);
        }
        int before = gazelle.refreshRequestCount();
        supabase.down(true);
        // Three refresh cycles of 1-hour tokens without the store: tokens keep flowing and land in the spool.
        for (int step = 0; step < 12; step++) {
            daemon.advance(Duration.ofMinutes(15));
            for (String account : ACCOUNTS) {
                assertTrue(gazelle.isAccessTokenValid(token(daemon, account)), "served a dead token while the store was down");
            }
        }
        assertTrue(gazelle.refreshRequestCount() >= before + 6, "kept refreshing while the store was down");
        assertTrue(spooled(daemon) > 0, "new tokens went to the spool");

        supabase.down(false);
        // The spool drains on its own timer (TOKENKEEPER_SPOOL_RETRY_SECONDS=1): wall time, bounded.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> spooled(daemon) == 0);
        assertEquals(0, gazelle.reuseCount(), "no refresh token lost or spent twice");
        // Store and upstream agree: the store's rows decrypt to the tokens the upstream considers current.
        for (String account : ACCOUNTS) {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                JsonNode view = json(daemon.call("GET", "/api/v1/credentials/gazelle:" + account, null));
                long inStore = supabase.rows(FakePostgrest.CREDENTIALS).stream()
                        .filter(row -> row.get("id").asText().equals("gazelle:" + account))
                        .mapToLong(row -> row.get("version").asLong()).findFirst().orElse(-1);
                return view.get("version").asLong() == inStore;
            });
        }
        daemon.stop();
        TokenkeeperExtension fresh = daemon(key);
        fresh.start();
        for (String account : ACCOUNTS) {
            assertTrue(gazelle.isAccessTokenValid(token(fresh, account)),
                    "a second daemon reading only the store gets the upstream's current token for " + account);
        }
    }

    @Test
    void theLegacySystemSettingsRowFollowsEveryRefresh() {
        TokenkeeperExtension daemon = daemon(Map.of("TOKENKEEPER_SUPABASE_LEGACY_GAZELLE", "true",
                "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"));
        daemon.start();
        importChain(daemon, "default");
        for (int i = 0; i < 3; i++) {
            // Past the least time between two refreshes of one credential.
            daemon.advance(Duration.ofMinutes(1));
            HttpResponse<String> forced = daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null);
            assertEquals("refreshed", json(forced).get("outcome").asText(), forced.body());
            String access = gazelle.currentAccessToken("default");
            // The row is written by its own writer: wall time, bounded.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> legacyValue()
                    .map(value -> value.path("access_token").asText().equals(access)).orElse(false));
            JsonNode value = legacyValue().orElseThrow();
            Set<String> fields = new TreeSet<>();
            value.fieldNames().forEachRemaining(fields::add);
            assertEquals(Set.of("access_token", "created_at", "expires_in", "refresh_token"), fields, value.toString());
            assertEquals(gazelle.currentRefreshToken("default"), value.get("refresh_token").asText());
            assertTrue(value.get("expires_in").isIntegralNumber() && value.get("expires_in").asLong() > 0);
            assertTrue(value.get("created_at").isIntegralNumber()
                    && Math.abs(value.get("created_at").asLong() - clock.instant().getEpochSecond()) < 60,
                    "created_at in epoch seconds: " + value);
        }
    }

    @Test
    void wrongKeyWrongUrlAndMissingTableEachGiveOneClearLineAtStartUp() {
        Map<String, Map<String, String>> scenarios = new LinkedHashMap<>();
        scenarios.put("SUPABASE_SERVICE_ROLE_KEY", Map.of("SUPABASE_SERVICE_ROLE_KEY", supabase.anonKey()));
        scenarios.put("SUPABASE_URL", Map.of("SUPABASE_URL", "http://127.0.0.1:9"));
        scenarios.put("doctor --print-sql supabase", Map.of());
        for (Map.Entry<String, Map<String, String>> scenario : scenarios.entrySet()) {
            String expected = scenario.getKey();
            if (scenario.getValue().isEmpty()) {
                supabase.dropTable(FakePostgrest.CREDENTIALS);
            }
            TokenkeeperExtension attempt = daemon(scenario.getValue());
            // What `tokenkeeper run` prints as its one `cannot start:` line before it exits 1.
            RuntimeException refused = assertThrows(RuntimeException.class, attempt::start, expected + ": it started");
            String line = refused.getMessage();
            assertEquals(1, line.lines().count(), expected + ": one line, not a stack trace: " + line);
            assertTrue(line.contains(expected), expected + ": " + line);
            assertFalse(line.contains(supabase.serviceKey()) || line.contains(supabase.anonKey()), expected);
            assertFalse(attempt.log().contains("listening on"), expected + ": it listened anyway:\n" + attempt.log());
            assertFalse(attempt.log().contains(supabase.anonKey()), expected + ": the log holds the anon key");
        }
    }

    @Test
    void aCookieCloudLinkIsRefusedNamingTheStoreThatKeepsNoAccountSecrets() {
        TokenkeeperExtension daemon = daemon(Map.of());
        daemon.start();
        HttpResponse<String> refused = daemon.call("POST", "/api/v1/cookiecloud", JSON.createObjectNode()
                .put("credential", "gazelle:a").put("uuid", "kX3v9QpR7tLmW2sB").put("password", "SECRET-CC-PASSWORD")
                .toString());
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("the supabase store keeps no account secrets"), refused.body());
        assertFalse(refused.body().contains("SECRET-CC-PASSWORD") || daemon.log().contains("SECRET-CC-PASSWORD"));
        assertEquals("[]", daemon.call("GET", "/api/v1/cookiecloud", null).body());
    }

    private TokenkeeperExtension daemon(Map<String, String> extra) {
        TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
                .settings(gazelle.settings()).settings(supabase.settings())
                .setting("TOKENKEEPER_SPOOL_RETRY_SECONDS", "1").settings(extra).store(SupabaseTokenStore::new);
        daemons.add(daemon);
        return daemon;
    }

    private void importChain(TokenkeeperExtension daemon, String account) {
        String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
        assertEquals(201, imported.statusCode(), imported.body());
    }

    private static String token(TokenkeeperExtension daemon, String account) {
        HttpResponse<String> answer = daemon.call("GET", "/api/v1/credentials/gazelle:" + account + "/token?minValidity=0", null);
        assertEquals(200, answer.statusCode(), account + ": " + answer.body());
        return json(answer).get("token").asText();
    }

    private static long spooled(TokenkeeperExtension daemon) throws IOException {
        Path spool = daemon.stateDirectory().resolve("spool");
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(spool)) {
            return files.filter(p -> p.toString().endsWith(".json")).count();
        }
    }

    private Optional<JsonNode> legacyValue() {
        return supabase.rows(FakePostgrest.SYSTEM_SETTINGS).stream()
                .filter(row -> row.path("key").asText().equals("gazelle_oauth_token"))
                .map(row -> row.get("value"))
                .map(value -> value.isTextual() ? parse(value.asText()) : value)
                .findFirst();
    }

    private static JsonNode json(HttpResponse<String> response) {
        return parse(response.body());
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + text, e);
        }
    }
}
