package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.store.postgres.PostgresServer;
import dev.tokenkeeper.store.postgres.PostgresTokenStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 2 of the second review: whoever can write the store could mint a consumer token by
 * inserting a row with the hash of a chosen {@code tkc_} token. Driven as the reviewer did: plain
 * SQL into the consumers table of the running daemon's store (the SQLite file, the real
 * PostgreSQL), then bearer calls to the daemon the harness built. The forged row grants nothing
 * (401), the log says once that it was ignored, the metric counts it, copying a valid tag from a
 * legitimate row does not help, and a consumer made through the API keeps working, also after a
 * rekey (plain, and {@code keepOld} then {@code finish}) and a restart on the new key alone.
 */
class ForgedConsumerRowInProcessTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String IGNORED_LINE = "unauthenticated consumer row intruder ignored";

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final List<TokenkeeperExtension> daemons = new ArrayList<>();

    @AfterEach
    void stop() {
        daemons.forEach(TokenkeeperExtension::stop);
        gazelle.close();
    }

    /** Something that runs one SQL statement with parameters on the daemon's store. */
    private interface Sql {
        void run(String statement, Object... parameters) throws SQLException;
    }

    @Test
    void aRowInsertedBySqlIntoTheSqliteFileGrantsNothingAndALegitimateConsumerSurvivesRekeys() throws Exception {
        TokenkeeperExtension daemon = start(TokenkeeperExtension.withProvider(new GazelleProvider()));
        String db = "jdbc:sqlite:" + daemon.stateDirectory().resolve("tokenkeeper.db");
        Sql sql = (statement, parameters) -> {
            try (Connection connection = DriverManager.getConnection(db)) {
                run(connection, statement, parameters);
            }
        };
        String legit = forgeAndCheck(daemon, sql, "consumers", "'gazelle:a gazelle:b'");

        rekey(daemon, "?keepOld=true");
        assertReads(daemon, legit, 200, "the legitimate consumer after rekey --keep-old");
        rekey(daemon, "?finish=true");
        assertReads(daemon, legit, 200, "the legitimate consumer after rekey --finish (old key destroyed)");
        daemon.restart();
        assertReads(daemon, legit, 200, "the legitimate consumer after a restart on the new key alone");
        assertTrue(daemon.log().contains("consumer row(s) tagged again with key"), daemon.log());
    }

    @Test
    void aRowInsertedBySqlIntoThePostgresTableGrantsNothingAndALegitimateConsumerSurvivesARekey() throws Exception {
        String schema = PostgresServer.freshSchema();
        TokenkeeperExtension daemon = start(TokenkeeperExtension.withProvider(new GazelleProvider())
                .settings(POSTGRES.settings(schema)).store(PostgresTokenStore::new));
        Sql sql = (statement, parameters) -> {
            try (Connection connection = POSTGRES.connect()) {
                run(connection, statement, parameters);
            }
        };
        String legit = forgeAndCheck(daemon, sql, schema + ".consumers", "array['gazelle:a', 'gazelle:b']");

        rekey(daemon, "");
        assertReads(daemon, legit, 200, "the legitimate consumer after rekey");
        daemon.restart();
        assertReads(daemon, legit, 200, "the legitimate consumer after a restart on the new key alone");
    }

    private TokenkeeperExtension start(TokenkeeperExtension daemon) {
        daemon.clock(clock).settings(gazelle.settings());
        daemons.add(daemon);
        daemon.start();
        for (String account : List.of("a", "b")) {
            String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
            HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
            assertEquals(201, imported.statusCode(), imported.body());
        }
        return daemon;
    }

    /** What {@code tokenkeeper rekey} (with that query: --keep-old, --finish) asks, and what makes it exit 0. */
    private static void rekey(TokenkeeperExtension daemon, String query) throws Exception {
        HttpResponse<String> rekeyed = daemon.call("POST", "/api/v1/rekey" + query, "{}");
        assertEquals(200, rekeyed.statusCode(), rekeyed.body());
        JsonNode outcome = JSON.readTree(rekeyed.body());
        assertTrue(outcome.path("failed").isEmpty(), "nothing failed to re-seal: " + rekeyed.body());
        JsonNode purge = outcome.path("purge");
        assertTrue(!purge.isObject() || purge.path("oldKeysDestroyed").asBoolean(), rekeyed.body());
    }

    /**
     * Adds a legitimate consumer, forges two rows by SQL (one without a tag, one with the
     * legitimate row's tag copied) and checks that neither grants anything.
     *
     * @return the legitimate consumer's token
     */
    private String forgeAndCheck(TokenkeeperExtension daemon, Sql sql, String table, String credentials)
            throws Exception {
        String legit = daemon.addConsumer("legit-app", "gazelle:a");
        assertReads(daemon, legit, 200, "the consumer made through the API");

        String chosen = "tkc_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes());
        sql.run("insert into " + table + " (name, token_hash, credentials, created_at) values ('intruder', ?, "
                + credentials + ", ?)", sha256(chosen), clock.millis());
        // The consumers are re-read on a timer of their own (or on the store's change feed): wall time, bounded.
        // Until the daemon says it read the row and ignored it, every try must be refused: not a matter of timing.
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> {
            HttpResponse<String> read = daemon.callAs(chosen, "GET", "/api/v1/credentials/gazelle:b/token", null);
            assertEquals(401, read.statusCode(), "a consumer row forged by SQL granted gazelle:b"); // no body: it would hold the token
            return daemon.log().contains(IGNORED_LINE);
        });
        // A valid tag copied from the legitimate row onto another token's row does not verify either.
        String copied = "tkc_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes());
        sql.run("insert into " + table + " (name, token_hash, credentials, created_at, mac) select 'copycat', ?, "
                + credentials + ", created_at, mac from " + table + " where name = 'legit-app'", sha256(copied));
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> daemon.log().contains("unauthenticated consumer row copycat ignored"));
        for (String forged : List.of(chosen, copied)) {
            for (String id : List.of("gazelle:a", "gazelle:b")) {
                HttpResponse<String> read = daemon.callAs(forged, "GET", "/api/v1/credentials/" + id + "/token", null);
                assertEquals(401, read.statusCode(), "a forged consumer row granted " + id);
            }
        }
        assertReads(daemon, legit, 200, "the legitimate consumer next to the forged rows");
        String metrics = daemon.call("GET", "/metrics", null).body();
        assertTrue(metrics.contains("tokenkeeper_consumer_rows_ignored 2.0"), metrics);
        JsonNode listed = JSON.readTree(daemon.call("GET", "/api/v1/consumers", null).body());
        assertEquals(1, listed.size(), "only the authenticated consumer is listed: " + listed);

        // Several re-reads later (every 2 s without a change feed), the line is still there once:
        // logged once, not per read or request.
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7)).pollInterval(Duration.ofMillis(250))
                .until(() -> daemon.log().lines().filter(line -> line.contains(IGNORED_LINE)).count() == 1);
        String log = daemon.log();
        assertFalse(log.contains(chosen) || log.contains(sha256(chosen)), "no token or hash of the forged row in the log");
        assertTrue(log.lines().filter(line -> line.contains(IGNORED_LINE)).findFirst().orElseThrow()
                .contains("tokenkeeper consumer revoke intruder"), "the line says what to do");
        HttpResponse<String> revoked = daemon.call("DELETE", "/api/v1/consumers/intruder", null);
        assertTrue(revoked.statusCode() / 100 == 2, "a forged row can be removed: " + revoked.body());
        return legit;
    }

    private static void assertReads(TokenkeeperExtension daemon, String token, int status, String what) {
        HttpResponse<String> read = daemon.callAs(token, "GET", "/api/v1/credentials/gazelle:a/token", null);
        assertEquals(status, read.statusCode(), what + ": " + read.body());
    }

    private static void run(Connection connection, String statement, Object... parameters) throws SQLException {
        try (PreparedStatement prepared = connection.prepareStatement(statement)) {
            for (int i = 0; i < parameters.length; i++) {
                prepared.setObject(i + 1, parameters[i]);
            }
            prepared.executeUpdate();
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static String sha256(String token) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    }
}
