package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.inprocess.InProcessCli;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI's verbs whose subject is what they do and print, not the process: {@code report},
 * {@code refresh}, {@code import} (refused forms, an expired token) and {@code rekey} (its outcome
 * and exit codes), run by the real picocli commands against the harness's daemon ({@link InProcessCli};
 * no CLI process). They were {@code CliEndToEndTest}'s, which keeps what needs the process (the
 * launcher, exit codes of a refused start, SIGTERM, a rekey killed half-way, the restore of a backup
 * after a rekey) and {@code doctor}, whose upstream checks read the process's environment. Every CLI
 * output and the daemon's log are searched for every secret the imitations issued and the admin
 * token. The stored side of the rekey (no file holds what the old key opens): {@link RekeyPurgeInProcessTest}.
 */
class CliVerbsInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final FakeVinted vinted = FakeVinted.builder().clock(clock).burstLimit(10_000, Duration.ofMinutes(5)).start();

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider())
            .provider(new VintedProvider()).clock(clock)
            .settings(gazelle.settings())
            .setting("VINTED_BASE_URL", vinted.baseUrl())
            .setting("VINTED_MAX_REQUESTS_PER_5_MIN", "1000")
            .setting("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");

    @TempDir
    Path files;

    /** Every CLI output of the test (stdout and stderr), searched at its end. */
    private final List<String> texts = new ArrayList<>();

    @AfterEach
    void noSecretInAnyOutput() {
        try {
            texts.add(daemon.log());
            List<String> secrets = new ArrayList<>(gazelle.allIssuedSecrets());
            secrets.addAll(vinted.allIssuedSecrets());
            secrets.add(gazelle.clientSecret());
            secrets.add(daemon.adminToken());
            for (String text : texts) {
                for (String secret : secrets) {
                    assertFalse(text.contains(secret), "an output holds a secret starting " + secret.substring(0, 4)
                            + " (" + secret.length() + " characters)");
                }
            }
        } finally {
            gazelle.close();
            vinted.close();
        }
    }

    /** Runs a CLI command against the harness; its stdout and stderr together, as a terminal shows them. */
    private InProcessCli.Run cli(String... args) throws Exception {
        InProcessCli.Run run = new InProcessCli(daemon, files).run("", args);
        texts.add(run.output());
        texts.add(run.errors());
        return run;
    }

    private static String printed(InProcessCli.Run run) {
        return run.output() + run.errors();
    }

    private Path tokenFile(String json) throws Exception {
        Path file = Files.createTempFile(files, "token", ".json");
        Files.writeString(file, json);
        return file;
    }

    private List<String> importChains(String prefix, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String account = prefix + i;
            String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
            HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
            assertEquals(201, imported.statusCode(), imported.body());
            ids.add("gazelle:" + account);
        }
        return ids;
    }

    private void assertAllServeValidTokens(List<String> ids) throws Exception {
        for (String id : ids) {
            HttpResponse<String> token = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null);
            assertEquals(200, token.statusCode(), id + ": " + token.body());
            assertTrue(gazelle.isAccessTokenValid(JSON.readTree(token.body()).get("token").asText()),
                    id + " opens to its real token");
        }
    }

    // ---- report ----

    @Test
    void reportCountsWhatTheUpstreamSaw() throws Exception {
        String id = "gazelle:report";
        InProcessCli.Run imported = cli("import", "gazelle", "--account", "report", "--token-json",
                tokenFile(gazelle.seedChain("report")).toString());
        assertEquals(0, imported.exit(), printed(imported));
        int requestsBefore = gazelle.refreshRequestCount();
        assertEquals(0, cli("refresh", id, "--force").exit());
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> refreshed = daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
            assertEquals("refreshed", JSON.readTree(refreshed.body()).path("outcome").asText(), refreshed.body());
        }
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.serviceUnavailable());
        assertEquals(1, cli("refresh", id, "--force").exit(), "503: retry later");
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.invalidGrant());
        assertEquals(1, cli("refresh", id, "--force").exit(), "invalid_grant: needs a human");
        Instant afterAll = Instant.now();

        InProcessCli.Run json = cli("report", "--json");
        assertEquals(0, json.exit(), printed(json));
        JsonNode line = reportLine(json, id);
        int upstreamRequests = gazelle.refreshRequestCount() - requestsBefore;
        assertEquals(5, upstreamRequests);
        assertEquals(upstreamRequests - 2, line.get("refreshes").asInt(), "successful refreshes = grants the fake answered with tokens");
        assertEquals(1, line.get("transientFailures").asInt());
        assertEquals(1, line.get("permanentFailures").asInt());
        assertEquals(2, line.get("failures").asInt());
        assertEquals(0.6, line.get("successRate").asDouble(), 1e-9);
        assertTrue(line.get("lastError").asText().contains("invalid_grant"), line.toString());
        assertEquals("requires_configuration", line.get("status").asText());

        InProcessCli.Run table = cli("report", "--since", "1h");
        assertEquals(0, table.exit(), printed(table));
        String row = table.output().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow();
        assertTrue(row.contains("60.0%") && row.contains("invalid_grant"), table.output());

        InProcessCli.Run later = cli("report", "--json", "--since", afterAll.plusSeconds(1).toString());
        assertEquals(0, reportLine(later, id).get("refreshes").asInt(), "the window excludes older events");
        InProcessCli.Run bad = cli("report", "--since", "last week");
        assertEquals(1, bad.exit());
        assertTrue(printed(bad).contains("since must be"), printed(bad));
    }

    private static JsonNode reportLine(InProcessCli.Run report, String id) throws Exception {
        for (JsonNode line : JSON.readTree(report.output()).get("credentials")) {
            if (line.get("id").asText().equals(id)) {
                return line;
            }
        }
        throw new AssertionError("no " + id + " in " + report.output());
    }

    // ---- import: refused forms, an expired token ----

    @Test
    void malformedImportsGetOneLineErrorsAndLeaveTheStoreUnchanged() throws Exception {
        String session = vinted.newSession();
        assertEquals(0, cli("import", "vinted", "--account", "malformed", "--cookie", session).exit());
        String before = daemon.call("GET", "/api/v1/credentials/vinted:malformed", null).body();

        String noRefresh = session.replaceAll("refresh_token_web=[^;]*;?\\s*", "");
        Path empty = Files.writeString(files.resolve("malformed-empty.json"), "");
        Path wrongShape = Files.writeString(files.resolve("malformed-shape.json"), "{\"cookies\": 3}");
        List<String[]> bad = List.of(
                new String[] {"--cookie", noRefresh},
                new String[] {"--cookie", "access_token_web=garbage; refresh_token_web=also.garbage"},
                new String[] {"--cookie-file", empty.toString()},
                new String[] {"--cookie-file", wrongShape.toString()},
                new String[] {"--cookie-file", files.resolve("malformed-missing.json").toString()});
        for (String[] input : bad) {
            InProcessCli.Run response = cli("import", "vinted", "--account", "malformed", input[0], input[1]);
            assertEquals(1, response.exit(), printed(response));
            String message = printed(response).trim();
            assertFalse(message.contains("\n"), "one line: " + message);
            assertTrue(message.startsWith("tokenkeeper: import failed: ") || message.startsWith("tokenkeeper: no such file: "),
                    message);
        }
        assertEquals(JSON.readTree(before), JSON.readTree(daemon.call("GET", "/api/v1/credentials/vinted:malformed", null).body()),
                "rejected imports changed nothing");
    }

    @Test
    void importOfAnExpiredTokenWarnsOnStderr() throws Exception {
        ObjectNode token = (ObjectNode) JSON.readTree(gazelle.seedChain("expired"));
        token.put("created_at", clock.instant().minus(Duration.ofHours(2)).getEpochSecond());
        token.put("expires_in", 3600);
        InProcessCli.Run imported = cli("import", "gazelle", "--account", "expired", "--token-json",
                tokenFile(token.toString()).toString());
        assertEquals(0, imported.exit(), printed(imported));
        assertTrue(imported.errors().contains("warning: the imported access token had expired"), printed(imported));
    }

    // ---- rekey ----

    private Path state() {
        return daemon.stateDirectory();
    }

    /** The key id of the state folder's generated key file, computed as the daemon does (SHA-256, first 4 bytes). */
    private String generatedKeyId() throws Exception {
        byte[] key = Files.readAllBytes(state().resolve("master.key"));
        assertEquals(32, key.length);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 4);
    }

    /** @return credential id to the key id in its sealed bytes, read straight from the SQLite file */
    private Map<String, String> keyIdsOnDisk() throws Exception {
        Map<String, String> keyIds = new TreeMap<>();
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + state().resolve("tokenkeeper.db"));
             Statement query = db.createStatement();
             ResultSet rows = query.executeQuery("SELECT id, sealed_secret FROM credentials")) {
            while (rows.next()) {
                keyIds.put(rows.getString(1), SecretSealer.keyIdOf(SealedSecret.of(rows.getBytes(2))));
            }
        }
        return keyIds;
    }

    @Test
    void rekeyWhosePurgeCannotBeConfirmedExitsOneKeepsTheOldKeyAndSaysWhatToRun() throws Exception {
        List<String> ids = importChains("acct", 3);
        // Every refresh leaves the replaced secret in the write-ahead log.
        for (int round = 0; round < 4; round++) {
            for (String id : ids) {
                HttpResponse<String> refreshed = daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", "{}");
                assertEquals(200, refreshed.statusCode(), refreshed.body());
            }
        }
        String oldKey = generatedKeyId();
        InProcessCli.Run refused;
        // Another connection reads the database meanwhile: its snapshot keeps the write-ahead log from being truncated.
        try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + state().resolve("tokenkeeper.db"));
             Statement query = reader.createStatement()) {
            reader.setAutoCommit(false);
            try (ResultSet rows = query.executeQuery("SELECT count(*) FROM credentials")) {
                assertTrue(rows.next());
            }
            refused = cli("rekey");
            reader.rollback();
        }
        assertEquals(1, refused.exit(), printed(refused));
        assertTrue(printed(refused).contains("kept, not destroyed") && printed(refused).contains("write-ahead log")
                && printed(refused).contains("rekey --finish"), printed(refused));
        assertTrue(Files.exists(state().resolve("keys/retired-" + oldKey + ".key")), "the old key is kept");
        assertAllServeValidTokens(ids);

        InProcessCli.Run finish = cli("rekey", "--finish");
        assertEquals(0, finish.exit(), printed(finish));
        assertFalse(Files.exists(state().resolve("keys/retired-" + oldKey + ".key")));
    }

    @Test
    void rekeyResealsEveryCredentialWithTheNewKeyAndARestartReadsThem() throws Exception {
        List<String> ids = importChains("acct", 3);
        String oldKey = generatedKeyId();

        InProcessCli.Run rekey = cli("rekey", "--json");
        assertEquals(0, rekey.exit(), printed(rekey));
        JsonNode outcome = JSON.readTree(rekey.output());
        String newKey = outcome.get("currentKeyId").asText();
        assertNotEquals(oldKey, newKey);
        assertEquals(newKey, generatedKeyId(), "master.key now holds the new key");
        assertEquals(3, outcome.get("resealed").size());
        assertFalse(Files.exists(state().resolve("keys/retired-" + oldKey + ".key")), "the old key is destroyed");
        assertAllServeValidTokens(ids);
        // The live daemon seals new refreshes with the new key too.
        assertEquals(0, cli("refresh", ids.get(0), "--force").exit());

        daemon.restart();
        for (Map.Entry<String, String> row : keyIdsOnDisk().entrySet()) {
            assertEquals(newKey, row.getValue(), row.getKey() + " is sealed with the new key on disk");
        }
        assertAllServeValidTokens(ids);
        assertEquals(0, gazelle.reuseCount());
    }
}
