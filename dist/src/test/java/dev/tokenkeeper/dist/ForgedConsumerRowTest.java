package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.store.postgres.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 2 of the second review: whoever can write the store could mint a consumer token by
 * inserting a row with the hash of a chosen {@code tkc_} token. Driven as the reviewer did: plain
 * SQL into the consumers table of the running daemon's store (the SQLite file, the real
 * PostgreSQL), then bearer calls to the running daemon. The forged row grants nothing (401), the
 * log says once that it was ignored, the metric counts it, copying a valid tag from a legitimate
 * row does not help, and a consumer made with {@code tokenkeeper consumer add} keeps working,
 * also after {@code rekey} (plain, and {@code --keep-old} then {@code --finish}).
 */
class ForgedConsumerRowTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String IGNORED_LINE = "unauthenticated consumer row intruder ignored";

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private final List<DaemonProcess> daemons = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (DaemonProcess daemon : daemons) {
            daemon.stop();
        }
        if (gazelle != null) {
            gazelle.close();
        }
    }

    /** Something that runs one SQL statement with parameters on the daemon's store. */
    private interface Sql {
        void run(String statement, Object... parameters) throws Exception;
    }

    @Test
    void aRowInsertedBySqlIntoTheSqliteFileGrantsNothingAndALegitimateConsumerSurvivesRekeys() throws Exception {
        gazelle = FakeGazelle.start();
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        DaemonProcess daemon = start("sqlite", env);
        Path db = daemon.stateDir().resolve("tokenkeeper.db");
        Sql sql = (statement, parameters) -> {
            try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db)) {
                run(connection, statement, parameters);
            }
        };
        String legit = forgeAndCheck(daemon, sql, "consumers", "'gazelle:a gazelle:b'");

        DaemonProcess.Response keepOld = daemon.cli("rekey", "--keep-old");
        assertEquals(0, keepOld.status(), keepOld.body());
        assertReads(daemon, legit, 200, "the legitimate consumer after rekey --keep-old");
        DaemonProcess.Response finish = daemon.cli("rekey", "--finish");
        assertEquals(0, finish.status(), finish.body());
        assertReads(daemon, legit, 200, "the legitimate consumer after rekey --finish (old key destroyed)");
        daemon.stop();
        daemon.start();
        assertReads(daemon, legit, 200, "the legitimate consumer after a restart on the new key alone");
        assertTrue(daemon.output().contains("consumer row(s) tagged again with key"), daemon.output());
    }

    @Test
    void aRowInsertedBySqlIntoThePostgresTableGrantsNothingAndALegitimateConsumerSurvivesARekey() throws Exception {
        gazelle = FakeGazelle.start();
        String schema = PostgresServer.freshSchema();
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.putAll(POSTGRES.settings(schema));
        env.put("TOKENKEEPER_STORE", "postgres");
        DaemonProcess daemon = start("postgres", env);
        Sql sql = (statement, parameters) -> {
            try (Connection connection = POSTGRES.connect()) {
                run(connection, statement, parameters);
            }
        };
        String legit = forgeAndCheck(daemon, sql, schema + ".consumers", "array['gazelle:a', 'gazelle:b']");

        DaemonProcess.Response rekey = daemon.cli("rekey");
        assertEquals(0, rekey.status(), rekey.body());
        assertReads(daemon, legit, 200, "the legitimate consumer after rekey");
        daemon.stop();
        daemon.start();
        assertReads(daemon, legit, 200, "the legitimate consumer after a restart on the new key alone");
    }

    private DaemonProcess start(String name, Map<String, String> env) throws Exception {
        DaemonProcess daemon = new DaemonProcess(temp.resolve(name), env);
        daemons.add(daemon);
        daemon.start();
        for (String account : List.of("a", "b")) {
            String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
            DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
            assertEquals(201, imported.status(), imported.body());
        }
        return daemon;
    }

    /**
     * Adds a legitimate consumer, forges two rows by SQL (one without a tag, one with the
     * legitimate row's tag copied) and checks that neither grants anything.
     *
     * @return the legitimate consumer's token
     */
    private String forgeAndCheck(DaemonProcess daemon, Sql sql, String table, String credentials)
            throws Exception {
        String legit = addConsumer(daemon, "legit-app", "gazelle:a");
        assertReads(daemon, legit, 200, "the consumer made by `consumer add`");

        String chosen = "tkc_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes());
        sql.run("insert into " + table + " (name, token_hash, credentials, created_at) values ('intruder', ?, "
                + credentials + ", ?)", sha256(chosen), System.currentTimeMillis());
        // Until the daemon says it read the row and ignored it, every try must be refused: not a matter of timing.
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> {
            DaemonProcess.Response read = daemon.callAs(chosen, "GET", "/api/v1/credentials/gazelle:b/token", null);
            assertEquals(401, read.status(), "a consumer row forged by SQL granted gazelle:b"); // no body: it would hold the token
            return daemon.output().contains(IGNORED_LINE);
        });
        // A valid tag copied from the legitimate row onto another token's row does not verify either.
        String copied = "tkc_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes());
        sql.run("insert into " + table + " (name, token_hash, credentials, created_at, mac) select 'copycat', ?, "
                + credentials + ", created_at, mac from " + table + " where name = 'legit-app'", sha256(copied));
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> daemon.output().contains("unauthenticated consumer row copycat ignored"));
        for (String forged : List.of(chosen, copied)) {
            for (String id : List.of("gazelle:a", "gazelle:b")) {
                DaemonProcess.Response read = daemon.callAs(forged, "GET", "/api/v1/credentials/" + id + "/token", null);
                assertEquals(401, read.status(), "a forged consumer row granted " + id);
            }
        }
        assertReads(daemon, legit, 200, "the legitimate consumer next to the forged rows");
        String metrics = daemon.call("GET", "/metrics", null).body();
        assertTrue(metrics.contains("tokenkeeper_consumer_rows_ignored 2.0"), metrics);
        JsonNode listed = daemon.call("GET", "/api/v1/consumers", null).json();
        assertEquals(1, listed.size(), "only the authenticated consumer is listed: " + listed);

        // Several re-reads later, the line is still there once: logged once, not per read or request.
        Thread.sleep(5_000);
        String output = daemon.output();
        assertEquals(1, output.lines().filter(line -> line.contains(IGNORED_LINE)).count(), output);
        assertFalse(output.contains(chosen) || output.contains(sha256(chosen)), "no token or hash of the forged row in the log");
        assertTrue(output.lines().filter(line -> line.contains(IGNORED_LINE)).findFirst().orElseThrow()
                .contains("tokenkeeper consumer revoke intruder"), "the line says what to do");
        assertEquals(0, daemon.cli("consumer", "revoke", "intruder").status(), "a forged row can be removed");
        return legit;
    }

    private static void assertReads(DaemonProcess daemon, String token, int status, String what) throws Exception {
        DaemonProcess.Response read = daemon.callAs(token, "GET", "/api/v1/credentials/gazelle:a/token", null);
        assertEquals(status, read.status(), what + ": " + read.body());
    }

    private static String addConsumer(DaemonProcess daemon, String name, String credential) throws Exception {
        DaemonProcess.Response added = daemon.cli("consumer", "add", name, "--credential", credential, "--json");
        assertEquals(0, added.status(), added.body());
        return DaemonProcess.JSON.readTree(added.body().lines().filter(l -> l.startsWith("{")).findFirst()
                .orElseThrow(() -> new AssertionError("no JSON in: " + added.body()))).path("token").asText();
    }

    private static void run(Connection connection, String statement, Object... parameters) throws Exception {
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

    private static String sha256(String token) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    }
}
