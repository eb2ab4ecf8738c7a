package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.store.postgres.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static dev.tokenkeeper.dist.SharedStoreDaemonsTest.CREDENTIALS;
import static dev.tokenkeeper.dist.SharedStoreDaemonsTest.LIFETIME;
import static dev.tokenkeeper.dist.SharedStoreDaemonsTest.assertEachRefreshMovesTheVersionByOne;
import static dev.tokenkeeper.dist.SharedStoreDaemonsTest.importThrough;
import static dev.tokenkeeper.dist.SharedStoreDaemonsTest.sharedKey;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several daemon processes on one real PostgreSQL 15 ({@code TOKENKEEPER_STORE=postgres}; one cluster
 * for the class, started by {@link PostgresServer}, a fresh schema per test): exactly-once refreshes
 * under 200 API clients, a credential imported through one daemon planned by the other within seconds
 * (LISTEN/NOTIFY), the survivor keeping everything fresh after a {@code kill -9} of the other, nothing
 * secret in the database's bytes; a PostgreSQL restart under load that loses no chain and drains the
 * spools; the legacy Gazelle row kept in step. The SQLite file and the Supabase imitation shared by
 * two daemons are {@link SharedStoreDaemonsTest}, which needs no machine of its own.
 * The {@link Fleet} stops every daemon and searches every daemon's output for every secret the
 * imitation issued and each daemon's admin token. It runs beside other classes: it once ran alone
 * because at a load average of 57 (other builds on the machine) 8-second tokens expired before a slow
 * refresh was committed; with {@link #SERVED_LIFETIME} at 20 s it ran green beside three other classes.
 */
class SharedPostgresDaemonsTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @RegisterExtension
    final Fleet fleet = new Fleet();

    /**
     * While 200 clients ask two daemons on PostgreSQL for tokens, a token must outlive the slowest
     * refresh, or a client gets a 503 the daemon means ("the new token had already expired when it was
     * committed (the upstream or this machine is very slow)"). At a load average of 30, with 8-second
     * tokens, 27 of 616 answers were that 503 (and one refresh waited more than 10 s for the store to
     * take its result): the machine was the bottleneck, not the exactly-once rule under test.
     */
    static final Duration SERVED_LIFETIME = Duration.ofSeconds(20);

    @Test
    void twoDaemonsOnOnePostgresRefreshExactlyOnceAndTheSurvivorKeepsEverythingFresh() throws Exception {
        FakeGazelle gazelle = fleet.upstream(FakeGazelle.start().accessLifetime(SERVED_LIFETIME));
        Map<String, String> env = postgres(gazelle);
        DaemonProcess a = fleet.start(fleet.temp().resolve("a"), env);
        for (int i = 0; i < CREDENTIALS - 1; i++) {
            importThrough(a, gazelle, "c" + i);
        }
        DaemonProcess b = fleet.start(fleet.temp().resolve("b"), env);

        // Imported through A after B started: B plans it from A's notification, not from its sweep
        // (every 30 min here), so 10 s tells the two apart; 1 s was missed on a loaded 2-core machine.
        long before = System.nanoTime();
        importThrough(a, gazelle, "c" + (CREDENTIALS - 1));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> planned(b, "gazelle:c" + (CREDENTIALS - 1)));
        long plannedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);

        Consumers load = fleet.closeAfter(Consumers.start(List.of(a, b), CREDENTIALS, gazelle, 200, Consumers.POSTGRES_MIX));
        // Three cycles of 20-second tokens are about 57 s when the machine keeps up.
        await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).until(() ->
                gazelle.refreshesPerChain().size() == CREDENTIALS
                        && gazelle.refreshesPerChain().values().stream().allMatch(count -> count >= 3));
        load.stop();
        load.assertEveryAnswerBelow500();
        assertEquals(0, gazelle.reuseCount(), "a refresh token was spent twice");
        // Nobody asks for tokens from here: short tokens again, so B's three cycles take seconds.
        gazelle.accessLifetime(LIFETIME);

        Map<String, Integer> atKill = gazelle.refreshesPerChain();
        a.kill9();
        // No consumer traffic at all from here: B's schedule alone keeps every chain moving (the first of the
        // three refreshes still on a 20-second token: 15 s more than three 8-second cycles).
        await().atMost(Duration.ofSeconds(75)).pollInterval(Duration.ofMillis(500)).until(() ->
                gazelle.refreshesPerChain().entrySet().stream()
                        .allMatch(chain -> chain.getValue() >= atKill.get(chain.getKey()) + 3));
        JsonNode listed = b.call("GET", "/api/v1/credentials", null).json();
        assertEquals(CREDENTIALS, listed.size());
        for (JsonNode credential : listed) {
            assertEquals("active", credential.get("status").asText(), credential.toString());
            assertTrue(Instant.parse(credential.get("accessExpiresAt").asText()).isAfter(Instant.now()),
                    "fresh: " + credential);
        }
        assertEquals(0, gazelle.reuseCount(), "a refresh token was spent twice");
        assertEachRefreshMovesTheVersionByOne(b, CREDENTIALS);

        Set<String> secrets = gazelle.allIssuedSecrets();
        assertEquals(List.of(), secretsInDatabase(secrets), "secrets in clear in the database");
        // The daemons' outputs: the fleet searches them for every secret at the end.
        System.out.printf("postgres, two daemons: B planned a credential imported through A after %d ms; "
                        + "%d API requests (statuses %s); %d upstream refreshes, %d reuses; %d secrets, none in the"
                        + " database's rows or files%n", plannedAfterMillis, load.requests.get(), load.statuses,
                gazelle.refreshRequestCount(), gazelle.reuseCount(), secrets.size());
    }

    @Test
    void aPostgresRestartUnderLoadLosesNoChainDrainsTheSpoolsAndBothDaemonsRecover() throws Exception {
        int credentials = 20;
        FakeGazelle gazelle = fleet.upstream(FakeGazelle.start().accessLifetime(LIFETIME));
        Map<String, String> env = postgres(gazelle);
        DaemonProcess a = fleet.start(fleet.temp().resolve("a"), env);
        for (int i = 0; i < credentials; i++) {
            importThrough(a, gazelle, "c" + i);
        }
        DaemonProcess b = fleet.start(fleet.temp().resolve("b"), env);
        Consumers load = fleet.closeAfter(Consumers.start(List.of(a, b), credentials, gazelle, 50, Consumers.POSTGRES_MIX));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                gazelle.refreshesPerChain().values().stream().allMatch(count -> count >= 2));

        try {
            outage(gazelle, a, b, load, credentials);
        } catch (Throwable e) {
            // The whole of both logs, for the diagnosis (the message holds only their warnings).
            Files.writeString(Path.of("target", "postgres-restart-a.log"), a.output());
            Files.writeString(Path.of("target", "postgres-restart-b.log"), b.output());
            throw new AssertionError(e.getMessage() + "\nreuses " + gazelle.reuseCount() + ", chains "
                    + gazelle.refreshesPerChain() + "\nA: " + statuses(a) + "\nB: " + statuses(b) + "\nA:\n"
                    + problems(a.output()) + "\nB:\n" + problems(b.output()), e);
        }
    }

    @Test
    void thePostgresStoreKeepsTheLegacyGazelleRowInStepWithEachCommit() throws Exception {
        FakeGazelle gazelle = fleet.upstream(FakeGazelle.start().accessLifetime(Duration.ofSeconds(30)));
        Map<String, String> env = postgres(gazelle);
        env.put("TOKENKEEPER_SUPABASE_LEGACY_GAZELLE", "true");
        DaemonProcess daemon = fleet.start(fleet.temp().resolve("legacy"), env);
        importThrough(daemon, gazelle, "default");
        assertEquals(gazelle.currentAccessToken("default"), legacyValue().get("access_token").asText());
        DaemonProcess.Response refreshed = daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", "");
        assertTrue(refreshed.status() / 100 == 2, refreshed.status() + " " + refreshed.body());
        JsonNode row = legacyValue();
        assertEquals(gazelle.currentAccessToken("default"), row.get("access_token").asText());
        assertEquals(gazelle.currentRefreshToken("default"), row.get("refresh_token").asText());
        assertEquals(30, row.get("expires_in").asLong());
        // The daemon's output: the fleet searches it for every secret at the end.
    }

    /** A fresh schema of the class's PostgreSQL, with the upstream and settings for refreshes under load and an outage. */
    private Map<String, String> postgres(FakeGazelle gazelle) throws IOException {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.putAll(POSTGRES.settings(PostgresServer.freshSchema()));
        env.put("TOKENKEEPER_STORE", "postgres");
        env.put("TOKENKEEPER_MASTER_KEY_FILE", sharedKey(fleet.folder("shared")).toString());
        env.put("TOKENKEEPER_REFRESH_THREADS", "8");
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "10");
        env.put("TOKENKEEPER_SPOOL_RETRY_SECONDS", "1");
        env.put("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto");
        return env;
    }

    private void outage(FakeGazelle gazelle, DaemonProcess a, DaemonProcess b, Consumers load, int credentials)
            throws Exception {
        // A restart as an operator or a failover does it: stopped at once (like a crash) and started
        // again, while both daemons refresh and serve. The server stays down for longer than a token
        // lives: refreshes in the gap can only go to the spools, and each must be made by one daemon
        // only (the one that obtained the credential's last token).
        AtomicLong spooledAtMost = new AtomicLong();
        // The server stops while refreshes are under way (their answers slowed, well inside the upstream
        // timeout): each holds a store lease, and its commit can only go to its daemon's spool.
        int requestsBefore = gazelle.tokenRequests().size();
        gazelle.tokenFaultForNext(3, FakeGazelle.Fault.slow(Duration.ofMillis(1500)));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> gazelle.tokenRequests().size() > requestsBefore);
        Map<String, Integer> beforeStop = gazelle.refreshesPerChain();
        long stoppedAt = System.nanoTime();
        POSTGRES.stopServer();
        try {
            // Down for longer than a token lives. With two daemons about, only the refreshes under way
            // reach the upstream meanwhile: a daemon cannot know whether the other took a lease just
            // before the server went away, so it waits for the store rather than risk a spent token.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                spooledAtMost.accumulateAndGet(spooled(a) + spooled(b), Math::max);
                return System.nanoTime() - stoppedAt > LIFETIME.plusSeconds(1).toNanos() && spooledAtMost.get() > 0;
            });
        } finally {
            POSTGRES.startAgain();
        }
        long downMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
        Map<String, Integer> refreshedWhileDown = new HashMap<>();
        gazelle.refreshesPerChain().forEach((chain, count) -> refreshedWhileDown.put(chain, count - beforeStop.get(chain)));
        int reusesWhileDown = gazelle.reuseCount();
        assertTrue(spooledAtMost.get() > 0, "the refreshes under way when the server stopped went to the spools");
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> spooled(a) == 0 && spooled(b) == 0);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the spools did not drain: A " + spooled(a) + ", B " + spooled(b) + "\nA:\n"
                    + tail(a.output()) + "\nB:\n" + tail(b.output()), e);
        }
        long drainedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt) - downMillis;
        Map<String, Integer> afterRestart = gazelle.refreshesPerChain();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                gazelle.refreshesPerChain().entrySet().stream()
                        .allMatch(chain -> chain.getValue() >= afterRestart.get(chain.getKey()) + 2));
        // Recovered: every chain was refreshed twice since. From here on, a further 2000 answers with no 503.
        long unavailableAfterRecovery = load.statuses.getOrDefault(503, new AtomicLong()).get();
        long requestsAtRecovery = load.requests.get();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> load.requests.get() > requestsAtRecovery + 2000);
        load.stop();
        assertEquals(0, gazelle.reuseCount(), "refresh tokens spent twice (" + reusesWhileDown + " while down)");
        long unavailableTotal = load.statuses.getOrDefault(503, new AtomicLong()).get();
        for (DaemonProcess daemon : List.of(a, b)) {
            JsonNode listed = daemon.call("GET", "/api/v1/credentials", null).json();
            assertEquals(credentials, listed.size());
            for (JsonNode credential : listed) {
                assertEquals("active", credential.get("status").asText(), "no chain lost: " + credential);
            }
            for (int i = 0; i < credentials; i++) {
                DaemonProcess.Response token = daemon.call("GET", "/api/v1/credentials/gazelle:c" + i + "/token", null);
                assertEquals(200, token.status(), token.body());
                assertTrue(gazelle.isAccessTokenValid(token.json().get("token").asText()),
                        "the daemon serves a token the upstream accepts");
            }
        }
        // B follows A's changes again after its notification connection came back.
        importThrough(a, gazelle, "after-restart");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> planned(b, "gazelle:after-restart"));
        // While the server is down, a daemon asked for a credential another daemon refreshes meanwhile
        // may have nothing valid to give: a clear 503. Anything else, or a 503 after recovery, is a failure.
        assertEquals(unavailableTotal, load.serverErrors.get(), "5xx answers other than 503: " + load.statuses
                + " e.g. " + load.errorSamples);
        assertEquals(unavailableAfterRecovery, unavailableTotal, "503 answers after recovery: "
                + load.statuses + " e.g. " + load.errorSamples);
        System.out.printf("postgres restarted under load (down %d ms, spools drained %d ms after the start): %d changes "
                        + "spooled at most; refreshes while down per chain %s; statuses %s; %d reuses%n", downMillis,
                drainedMillis, spooledAtMost.get(), refreshedWhileDown, load.statuses, gazelle.reuseCount());
    }

    /**
     * The daemon shows the credential, and it is planned: on PostgreSQL the plan is the store's due
     * queue (issue 26), written by the daemon that imported it, so its row's {@code next_due} is read.
     */
    private static boolean planned(DaemonProcess daemon, String id) throws Exception {
        DaemonProcess.Response shown = daemon.call("GET", "/api/v1/credentials/" + id, null);
        if (shown.status() != 200) {
            return false;
        }
        try (Connection connection = POSTGRES.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT n.nspname FROM pg_namespace n JOIN pg_class c"
                     + " ON c.relnamespace = n.oid WHERE c.relname = 'credentials'")) {
            while (rows.next()) {
                try (Statement query = connection.createStatement(); ResultSet due = query.executeQuery(
                        "SELECT next_due FROM " + rows.getString(1) + ".credentials WHERE id = '" + id
                                + "' AND next_due > 0")) {
                    if (due.next()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static JsonNode legacyValue() throws Exception {
        try (Connection connection = POSTGRES.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "select value::text from public.system_settings where key = 'gazelle_oauth_token'")) {
            assertTrue(rows.next(), "the legacy row exists");
            return DaemonProcess.JSON.readTree(rows.getString(1));
        }
    }

    private static String statuses(DaemonProcess daemon) {
        try {
            StringBuilder all = new StringBuilder();
            for (JsonNode credential : daemon.call("GET", "/api/v1/credentials", null).json()) {
                all.append(credential.get("id").asText()).append('=').append(credential.get("status").asText())
                        .append(" v").append(credential.get("version").asText()).append(' ');
            }
            return all.toString();
        } catch (Exception e) {
            return "(no answer: " + e + ")";
        }
    }

    private static String problems(String output) {
        return String.join("\n", output.lines().filter(line -> line.contains("WARN") || line.contains("ERROR"))
                .limit(60).toList());
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 40), lines.length));
    }

    private static long spooled(DaemonProcess daemon) throws IOException {
        Path spool = daemon.stateDir().resolve("spool");
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(spool)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    /** Every value of every table of the database (rows), and every file of the cluster (disk), searched for the secrets. */
    private static List<String> secretsInDatabase(Set<String> secrets) throws Exception {
        List<String> found = new ArrayList<>();
        List<String> tables = new ArrayList<>();
        try (Connection connection = POSTGRES.connect(); Statement statement = connection.createStatement()) {
            try (ResultSet rows = statement.executeQuery("select table_schema || '.' || table_name from"
                    + " information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')")) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            assertTrue(tables.stream().anyMatch(table -> table.endsWith(".credentials")), "tables read: " + tables);
            for (String table : tables) {
                try (ResultSet rows = statement.executeQuery("select * from " + table)) {
                    ResultSetMetaData columns = rows.getMetaData();
                    while (rows.next()) {
                        for (int c = 1; c <= columns.getColumnCount(); c++) {
                            byte[] value = columns.getColumnType(c) == Types.BINARY ? rows.getBytes(c)
                                    : rows.getString(c) == null ? null : rows.getString(c).getBytes(StandardCharsets.UTF_8);
                            if (value != null && !tokensIn(value, secrets).isEmpty()) {
                                found.add(table + "." + columns.getColumnName(c));
                            }
                        }
                    }
                }
            }
            statement.execute("CHECKPOINT");
        }
        try (Stream<Path> files = Files.walk(POSTGRES.dataDirectory())) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                if (!tokensIn(Files.readAllBytes(file), secrets).isEmpty()) {
                    found.add(file.toString());
                }
            }
        }
        return found;
    }

    /** The secrets (43 Base64url characters) found in the bytes, by scanning runs of Base64url characters. */
    private static List<String> tokensIn(byte[] bytes, Set<String> secrets) {
        List<String> found = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            boolean base64 = i < bytes.length && (Character.isLetterOrDigit(bytes[i] & 0x7f) && bytes[i] > 0
                    || bytes[i] == '-' || bytes[i] == '_');
            if (!base64) {
                if (i - start >= 43) {
                    String run = new String(bytes, start, i - start, StandardCharsets.ISO_8859_1);
                    for (int k = 0; k + 43 <= run.length(); k++) {
                        if (secrets.contains(run.substring(k, k + 43))) {
                            found.add("secret");
                        }
                    }
                }
                start = i + 1;
            }
        }
        return found;
    }
}
