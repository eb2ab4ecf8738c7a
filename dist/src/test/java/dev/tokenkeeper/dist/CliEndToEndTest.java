package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import dev.tokenkeeper.testkit.NotificationInbox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real {@code bin/tokenkeeper} process and its CLI against FakeGazelle, FakeVinted and a webhook
 * receiver: the verbs, their exit codes, what the process prints and the files it writes, the
 * refusals at start (wrong settings, a Supabase store that cannot be used, a sink folder another user
 * can change), SIGTERM and a rekey killed half-way. One daemon serves the class (auto refresh off):
 * each test keeps to accounts of its own and leaves the imitations' standing behaviour as it found
 * it. The tests that stop, kill or restart their daemon, or need another environment, have one of
 * their own (the fleet {@code own}). Every output (each daemon's, each CLI run's) is searched for every
 * secret the imitations issued, the webhooks' secret paths, the Supabase keys and every admin token
 * (by {@link Fleet}; the secrets an upstream echoes, for fragments too). The rules behind these
 * (validity, the purge, refusals of settings, metrics, what the daemon does behind the provider and
 * notification verbs, the Supabase store, the sink's writes) are tested in process, in the
 * {@code inprocess} module; so are the verbs whose subject is what they do and print, not the process
 * ({@code report}, {@code refresh}, refused and expired imports, a rekey's outcome and a purge that
 * cannot be confirmed: {@code CliVerbsInProcessTest}).
 */
@Execution(ExecutionMode.SAME_THREAD) // the tests share the daemon and the imitation's fault queue
class CliEndToEndTest {

    private static final int FRAGMENT = 8;
    private static final HttpClient BROWSER = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    static final Fleet fleet = new Fleet();

    /** A fleet per test, for the tests with a daemon of their own (stopped and searched at the test's end). */
    @RegisterExtension
    final Fleet own = new Fleet();

    /** A webhook nobody listens at: {@code notify test} must say it was not delivered. */
    private static final String CLOSED_SECRET = "whsecretclosed";

    private static FakeGazelle gazelle;
    private static FakeVinted vinted;
    private static NotificationInbox inbox;
    private static DaemonProcess shared;
    /** The CLI's environment for the shared daemon: its settings, state folder and port. */
    private static Map<String, String> env;
    /** Secrets an upstream echoed back: no fragment of them may be in the shared daemon's whole log. */
    private static final List<String> echoed = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startShared() throws Exception {
        gazelle = fleet.upstream(FakeGazelle.start());
        vinted = fleet.upstream(FakeVinted.builder().burstLimit(10_000, Duration.ofMinutes(5)).start());
        inbox = fleet.closeAfter(new NotificationInbox());
        fleet.secret(inbox.secret());
        fleet.secret(CLOSED_SECRET);
        // A transient failure's retry must not land inside a test: the report's counts stay exact. A consumer
        // waits for a refresh the upstream timeout and a second: on a loaded machine 2 s are too few for `token`.
        shared = fleet.start(fleet.temp().resolve("shared"), settings(Map.of("TOKENKEEPER_RETRY_BASE_SECONDS", "300",
                "TOKENKEEPER_RETRY_MAX_SECONDS", "600", "TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "10",
                "VINTED_BASE_URL", vinted.baseUrl(), "VINTED_MAX_REQUESTS_PER_5_MIN", "1000",
                "TOKENKEEPER_NOTIFY_URL", inbox.url() + ",http://127.0.0.1:1/closed/" + CLOSED_SECRET,
                "TOKENKEEPER_NOTIFY_COMMAND", "cat > /dev/null; echo hook ran for $TOKENKEEPER_EVENT")));
        env = shared.cliEnvironment();
    }

    @BeforeEach
    void ownFleetKnowsTheUpstreamsSecrets() {
        own.secrets(gazelle::allIssuedSecrets);
        own.secret(gazelle.clientSecret());
    }

    /** The fleet then stops the rest and searches every output for every whole secret. */
    @AfterAll
    static void noFragmentOfAnEchoedSecretInTheWholeLog() throws Exception {
        shared.stop();
        String output = shared.output();
        for (String secret : echoed) {
            assertNoFragmentIn("the shared daemon's log", output, secret);
        }
    }

    /** The imitation's settings, fast refresh timing, auto refresh off, and {@code extra}. */
    private static Map<String, String> settings(Map<String, String> extra) {
        Map<String, String> settings = DaemonProcess.fastRefreshSettings();
        settings.putAll(gazelle.settings());
        settings.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        settings.putAll(extra);
        return settings;
    }

    private static void assertNoFragmentIn(String place, String text, String secret) {
        for (int at = 0; at + FRAGMENT <= secret.length(); at++) {
            if (text.contains(secret.substring(at, at + FRAGMENT))) {
                fail("a fragment of a secret at offset " + at + " reached " + place);
            }
        }
    }

    /** {@code bin/tokenkeeper ARGS} with {@code environment}; the fleet searches its output. */
    private static DaemonProcess.Response cliWith(Map<String, String> environment, String... args) throws Exception {
        return fleet.cli(environment, args);
    }

    /** {@code bin/tokenkeeper ARGS} against the shared daemon, with {@code extra} settings. */
    private static DaemonProcess.Response cli(Map<String, String> extra, String... args) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(extra);
        return cliWith(all, args);
    }

    private static DaemonProcess.Response cli(String... args) throws Exception {
        return cli(Map.of(), args);
    }

    private static List<String> importChains(DaemonProcess daemon, String prefix, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String account = prefix + i;
            String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain(account)).toString();
            DaemonProcess.Response imported = daemon.call("PUT", "/api/v1/credentials/gazelle:" + account, body);
            assertEquals(201, imported.status(), imported.body());
            ids.add("gazelle:" + account);
        }
        return ids;
    }

    private static void assertAllServeValidTokens(DaemonProcess daemon, List<String> ids) throws Exception {
        for (String id : ids) {
            DaemonProcess.Response token = daemon.call("GET", "/api/v1/credentials/" + id + "/token", null);
            assertEquals(200, token.status(), id + ": " + token.body());
            assertTrue(gazelle.isAccessTokenValid(token.json().get("token").asText()), id + " opens to its real token");
        }
    }

    /** The key id of a state folder's generated key file, computed as the daemon does (SHA-256, first 4 bytes). */
    private static String generatedKeyId(Path state) throws Exception {
        byte[] key = Files.readAllBytes(state.resolve("master.key"));
        assertEquals(32, key.length);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 4);
    }

    private static Path tokenFile(String json) throws Exception {
        Path file = Files.createTempFile(fleet.temp(), "token", ".json");
        Files.writeString(file, json);
        return file;
    }

    // ---- report and doctor ----

    @Test
    void doctorPassesOnAHealthyInstallation() throws Exception {
        importChains(shared, "doctor", 1);
        DaemonProcess.Response doctor = cli("doctor");
        assertEquals(0, doctor.status(), doctor.body());
        List<String> lines = doctor.body().lines().toList();
        for (String line : lines) {
            // A credential's line names it, and its id has a colon of its own.
            assertTrue(line.matches("(ok  |warn|FAIL) (credential [^ ]+|[^:]+): .+"), "one check per line: " + line);
        }
        for (String check : List.of("configuration", "state folder", "master key", "admin token", "plugins", "store",
                "credentials", "upstream gazelle", "daemon", "scheduler")) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("ok") && l.substring(5).startsWith(check + ":"))
                    || check.equals("scheduler"), check + " ok in:\n" + doctor.body());
        }
        // Every credential in the store (the other tests' too) decrypts.
        var stored = Pattern.compile("ok   store: sqlite opens; (\\d+) credential\\(s\\)").matcher(doctor.body());
        assertTrue(stored.find(), doctor.body());
        String count = stored.group(1);
        assertTrue(Integer.parseInt(count) >= 1 && doctor.body().contains(count + " of " + count + " decrypt"), doctor.body());
        assertTrue(doctor.body().contains("warn scheduler: stopped"), "auto refresh is off here: " + doctor.body());
        assertFalse(doctor.body().contains(shared.adminToken()), "the admin token is not printed");
        // The shared daemon's webhooks: their secret paths masked (the fleet greps the output for them too).
        assertTrue(doctor.body().contains("webhook-1 http://127.0.0.1:") && doctor.body().contains("/***"), doctor.body());
    }

    @Test
    void doctorFailsOnAnExposedKeyFileABrokenStoreSettingAndADeadUpstream() throws Exception {
        importChains(shared, "offline", 1);
        Map<String, String> offline = offlineCopyOfSharedState();
        Path key = Path.of(offline.get("TOKENKEEPER_STATE_DIR")).resolve("master.key");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        DaemonProcess.Response exposed = cliWith(offline, "doctor");
        assertEquals(1, exposed.status(), exposed.body());
        List<String> failures = exposed.body().lines().filter(l -> l.startsWith("FAIL")).toList();
        assertEquals(1, failures.size(), exposed.body());
        assertTrue(failures.get(0).startsWith("FAIL master key: ") && failures.get(0).contains(key.toString()), exposed.body());
        assertTrue(exposed.body().contains("warn daemon: not running"), exposed.body());
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));

        Map<String, String> broken = new HashMap<>(offline);
        broken.put("TOKENKEEPER_SQLITE_SYNCHRONOUS", "sometimes");
        DaemonProcess.Response brokenStore = cliWith(broken, "doctor");
        assertEquals(1, brokenStore.status(), brokenStore.body());
        String storeLine = brokenStore.body().lines().filter(l -> l.startsWith("FAIL")).findFirst().orElseThrow();
        assertTrue(storeLine.startsWith("FAIL store: sqlite cannot be opened: ") && storeLine.contains("TOKENKEEPER_SQLITE_SYNCHRONOUS"),
                brokenStore.body());

        Map<String, String> unknownStore = new HashMap<>(offline);
        unknownStore.put("TOKENKEEPER_STORE", "nosuch");
        DaemonProcess.Response unknown = cliWith(unknownStore, "doctor");
        assertEquals(1, unknown.status(), unknown.body());
        assertTrue(unknown.body().contains("FAIL store: TOKENKEEPER_STORE=nosuch is not installed"), unknown.body());

        Map<String, String> deadUpstream = new HashMap<>(offline);
        String deadSecret;
        try (FakeGazelle dead = FakeGazelle.start()) {
            deadUpstream.putAll(dead.settings());
            deadSecret = fleet.secret(dead.clientSecret());
        }
        DaemonProcess.Response down = cliWith(deadUpstream, "doctor");
        assertEquals(1, down.status(), down.body());
        assertTrue(down.body().contains("FAIL upstream gazelle: cannot connect"), down.body());
        assertFalse(down.body().contains(deadSecret), "the client secret is not printed");
    }

    /**
     * A copy of the shared daemon's state folder, as a stopped daemon leaves it (the database taken
     * with {@code VACUUM INTO}, every mode kept), and the CLI's environment for it: a port nobody
     * listens on.
     */
    private static Map<String, String> offlineCopyOfSharedState() throws Exception {
        Path from = shared.stateDir();
        Path to = fleet.temp().resolve("offline-state");
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                String name = source.getFileName().toString();
                if (name.startsWith("tokenkeeper.db") || name.equals("listening")) {
                    continue;
                }
                Files.copy(source, to.resolve(from.relativize(source).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Path database = to.resolve("tokenkeeper.db");
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + from.resolve("tokenkeeper.db"));
             Statement vacuum = db.createStatement()) {
            vacuum.execute("VACUUM INTO '" + database + "'");
        }
        Files.setPosixFilePermissions(database, Files.getPosixFilePermissions(from.resolve("tokenkeeper.db")));
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Map<String, String> offline = new HashMap<>(env);
        offline.put("TOKENKEEPER_STATE_DIR", to.toString());
        offline.put("TOKENKEEPER_LISTEN", "127.0.0.1:" + closedPort);
        return offline;
    }

    @Test
    void doctorPrintsTheSetupSqlOfAStore() throws Exception {
        DaemonProcess.Response supabase = cli("doctor", "--print-sql", "supabase");
        assertEquals(0, supabase.status(), supabase.body());
        assertTrue(supabase.body().toLowerCase().contains("create table"), supabase.body());
        DaemonProcess.Response sqlite = cli("doctor", "--print-sql", "sqlite");
        assertEquals(0, sqlite.status(), sqlite.body());
        assertTrue(sqlite.body().contains("creates and migrates its own schema"), sqlite.body());
        DaemonProcess.Response none = cli("doctor", "--print-sql", "nosuch");
        assertEquals(2, none.status(), none.body());
        assertTrue(none.body().contains("no store 'nosuch' is installed"), none.body());
    }

    // ---- secrets an upstream echoes back ----

    @Test
    void noFragmentOfASecretEchoedWholeAndInPartIsKeptAnywhere() throws Exception {
        echoedSecretsAreKeptNowhere(true, "echowhole");
    }

    @Test
    void noFragmentOfASecretEchoedOnlyInPartIsKeptAnywhere() throws Exception {
        echoedSecretsAreKeptNowhere(false, "echopart");
    }

    /**
     * An upstream whose {@code error_description} echoes the secrets it was sent, whole and in part: no
     * fragment of 8+ characters of any secret reaches the log, the store, {@code status},
     * {@code report} or the API (the log once more when the daemon has stopped, in {@link #stopShared}).
     */
    private void echoedSecretsAreKeptNowhere(boolean whole, String account) throws Exception {
        String id = importChains(shared, account, 1).get(0);
        List<String> secrets = List.of(gazelle.currentRefreshToken(account + "0"), gazelle.currentAccessToken(account + "0"),
                gazelle.clientSecret());
        echoed.addAll(secrets);

        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.echoSecrets(whole));
        DaemonProcess.Response refreshed = shared.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        assertTrue(refreshed.body().contains("invalid_request"), "the upstream's refusal is reported: " + refreshed.body());
        DaemonProcess.Response credential = shared.call("GET", "/api/v1/credentials/" + id, null);
        assertTrue(credential.body().contains("lastError"), credential.body());

        Map<String, String> places = new TreeMap<>();
        places.put("refresh answer", refreshed.body());
        places.put("credential", credential.body());
        places.put("list", shared.call("GET", "/api/v1/credentials", null).body());
        places.put("history", shared.call("GET", "/api/v1/credentials/" + id + "/history", null).body());
        places.put("report API", shared.call("GET", "/api/v1/report", null).body());
        places.put("status", cli("status").body());
        places.put("report", cli("report").body());
        places.put("log", shared.output());
        try (Stream<Path> files = Files.walk(shared.stateDir())) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                places.put("store file " + file.getFileName(), new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
            }
        }
        for (Map.Entry<String, String> place : places.entrySet()) {
            for (String secret : secrets) {
                assertNoFragmentIn(place.getKey(), place.getValue(), secret);
            }
        }
        assertTrue(credential.body().contains("[redacted]"), "the summary says what was removed: " + credential.body());
    }

    // ---- authorize ----

    /** @return the redirect Location the authorize page answers for the URL the CLI printed */
    private static URI approve(CliProcess cli) throws Exception {
        String url = cli.awaitLineStartingWith("http", Duration.ofSeconds(60));
        assertTrue(url.startsWith(gazelle.authorizeUrl().toString()), url);
        HttpResponse<String> page = BROWSER.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, page.statusCode(), page.body());
        URI location = URI.create(page.headers().firstValue("Location").orElseThrow());
        assertTrue(location.toString().startsWith("http://127.0.0.1:") && location.getPath().equals("/callback"),
                location.toString());
        return location;
    }

    private static String param(URI uri, String name) {
        for (String pair : uri.getRawQuery().split("&")) {
            if (pair.startsWith(name + "=")) {
                return URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError("no " + name + " in " + uri);
    }

    /** {@code tokenkeeper authorize gazelle}: the test plays the browser, following the redirect to the CLI's loopback port itself. */
    @Test
    void authorizeExchangesTheCodeFromTheRedirectAndStoresIt() throws Exception {
        gazelle.authorizeAs("web");
        try (CliProcess cli = CliProcess.start(env, "authorize", "gazelle", "--account", "web", "--no-browser",
                "--timeout", "60s")) {
            URI callback = approve(cli);
            HttpResponse<String> landing = BROWSER.send(HttpRequest.newBuilder(callback).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, landing.statusCode(), landing.body());
            assertTrue(landing.body().contains("tokenkeeper is authorized"), landing.body());
            assertEquals(0, cli.waitFor(Duration.ofSeconds(60)), cli.output());
            assertTrue(cli.output().contains("authorized gazelle:web (active)"), cli.output());
            fleet.saw("CLI `authorize` output", cli.output());
        }
        JsonNode token = shared.call("GET", "/api/v1/credentials/gazelle:web/token", null).json();
        assertTrue(gazelle.isAccessTokenValid(token.get("token").asText()), "the stored credential works upstream");
    }

    @Test
    void authorizeRejectsARedirectWithAWrongStateAndNeverExchangesItsCode() throws Exception {
        gazelle.authorizeAs("evil");
        int rejectionsBefore = gazelle.pkceRejections();
        URI forged;
        String code;
        try (CliProcess cli = CliProcess.start(env, "authorize", "gazelle", "--account", "evil", "--no-browser",
                "--timeout", "60s")) {
            URI callback = approve(cli);
            code = param(callback, "code");
            forged = URI.create(callback.toString().replaceAll("state=[^&]*", "state=forged-by-someone-else"));
            HttpResponse<String> landing = BROWSER.send(HttpRequest.newBuilder(forged).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, landing.statusCode(), landing.body());
            assertTrue(landing.body().contains("Wrong state"), landing.body());
            assertEquals(1, cli.waitFor(Duration.ofSeconds(60)), cli.output());
            assertTrue(cli.output().contains("wrong state") && cli.output().contains("the code was not used"), cli.output());
            assertFalse(cli.output().contains(code), "the CLI printed the code");
            fleet.saw("CLI `authorize` output", cli.output());
        }
        assertEquals(404, shared.call("GET", "/api/v1/credentials/gazelle:evil", null).status(), "nothing was stored");
        // The code was issued for the CLI's PKCE challenge: a thief without the verifier cannot use it. That the
        // imitation counts a PKCE refusal (not an unknown code) proves the CLI never spent it.
        String redirect = forged.toString().substring(0, forged.toString().indexOf('?'));
        String body = DaemonProcess.JSON.createObjectNode().put("authorizationCode", code).put("redirectUri", redirect).toString();
        DaemonProcess.Response exchanged = shared.call("PUT", "/api/v1/credentials/gazelle:check", body);
        assertEquals(400, exchanged.status(), exchanged.body());
        assertEquals(1, gazelle.pkceRejections() - rejectionsBefore, "refused for the missing code_verifier");
    }

    @Test
    void authorizeUsesS256PkceAndTheImitationRefusesAnExchangeWithoutTheRightVerifier() throws Exception {
        int rejectionsBefore = gazelle.pkceRejections();
        gazelle.requirePkce(true).authorizeAs("pkce");
        try {
            String url;
            try (CliProcess cli = CliProcess.start(env, "authorize", "gazelle", "--account", "pkce", "--no-browser",
                    "--timeout", "60s")) {
                URI callback = approve(cli);
                url = cli.output().lines().filter(line -> line.startsWith("http")).findFirst().orElseThrow();
                assertTrue(url.contains("code_challenge_method=S256") && url.contains("code_challenge="), url);
                HttpResponse<String> landing = BROWSER.send(HttpRequest.newBuilder(callback).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, landing.statusCode(), landing.body());
                assertEquals(0, cli.waitFor(Duration.ofSeconds(60)), cli.output());
                fleet.saw("CLI `authorize` output", cli.output());
            }
            assertEquals(0, gazelle.pkceRejections() - rejectionsBefore, "the CLI's verifier matched its challenge");
            assertEquals(200, shared.call("GET", "/api/v1/credentials/gazelle:pkce/token", null).status());

            // Codes for the same challenge, exchanged by someone who lacks the verifier: refused.
            String redirect = "http://127.0.0.1:1/callback";
            String sameChallenge = url.replaceAll("redirect_uri=[^&]*", "redirect_uri=" + URLEncoder.encode(redirect, StandardCharsets.UTF_8));
            String wrongVerifier = "w".repeat(43);
            for (String verifier : new String[] {null, wrongVerifier}) {
                HttpResponse<String> page = BROWSER.send(HttpRequest.newBuilder(URI.create(sameChallenge)).build(),
                        HttpResponse.BodyHandlers.ofString());
                String code = param(URI.create(page.headers().firstValue("Location").orElseThrow()), "code");
                var body = DaemonProcess.JSON.createObjectNode().put("authorizationCode", code).put("redirectUri", redirect);
                if (verifier != null) {
                    body.put("codeVerifier", verifier);
                }
                DaemonProcess.Response exchanged = shared.call("PUT", "/api/v1/credentials/gazelle:thief", body.toString());
                assertEquals(400, exchanged.status(), exchanged.body());
            }
            assertEquals(2, gazelle.pkceRejections() - rejectionsBefore);
            // And an authorize request without a challenge is turned away by the imitation.
            HttpResponse<String> noChallenge = BROWSER.send(HttpRequest.newBuilder(URI.create(
                    sameChallenge.replaceAll("&code_challenge=[^&]*", ""))).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(noChallenge.headers().firstValue("Location").orElseThrow().contains("error=invalid_request"));
            assertEquals(404, shared.call("GET", "/api/v1/credentials/gazelle:thief", null).status(), "nothing was stored");
        } finally {
            gazelle.requirePkce(false);
        }
    }

    @Test
    void authorizeRefusesAnUnknownProviderOrOneWithoutTheFlowBeforeListening() throws Exception {
        DaemonProcess.Response vinted = cli("authorize", "vinted", "--no-browser");
        assertEquals(1, vinted.status(), vinted.body());
        assertTrue(vinted.body().contains("no authorization-code flow"), vinted.body());
        DaemonProcess.Response unknown = cli("authorize", "nosuch", "--no-browser");
        assertEquals(1, unknown.status(), unknown.body());
        assertTrue(unknown.body().contains("no provider 'nosuch'"), unknown.body());
    }

    // ---- validity and expired imports: what the CLI prints ----

    @Test
    void tokenWarnsWhenTheUpstreamGrantsLessValidityThanAsked() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(20));
        try {
            DaemonProcess.Response imported = cli("import", "gazelle", "--account", "short", "--token-json",
                    tokenFile(gazelle.seedChain("short")).toString());
            assertEquals(0, imported.status(), imported.body());
            int refreshesBefore = gazelle.refreshRequestCount();
            // Unchecked for secrets: `token` prints the token, which is what it is for.
            DaemonProcess.Response token = CliProcess.run(env, "token", "gazelle:short", "--min-validity", "300");
            assertEquals(0, token.status(), token.body());
            assertTrue(token.body().lines().anyMatch(l -> l.startsWith("warning: ") && l.contains("less than the 300 s asked")),
                    "the CLI warns:\n" + token.body().replaceAll("[A-Za-z0-9_-]{20,}", "<token>"));
            assertTrue(gazelle.refreshRequestCount() - refreshesBefore <= 1, "at most one refresh");
        } finally {
            gazelle.accessLifetime(FakeGazelle.DEFAULT_ACCESS_LIFETIME);
        }
    }


    // ---- providers and notifications: the CLI's part (what the daemon does behind them: VintedInProcessTest,
    // NotificationsInProcessTest) ----

    /** {@code bin/tokenkeeper ARGS} against the shared daemon with {@code stdin} (null: none); the fleet searches its output. */
    private static DaemonProcess.Response cliWithInput(String stdin, String... args) throws Exception {
        DaemonProcess.Response response = shared.cliWithInput(stdin, args);
        fleet.saw("CLI `" + String.join(" ", args) + "` output", response.body());
        return response;
    }

    @Test
    void aCookieReadFromStdinNeverAppearsOnTheCommandLine() throws Exception {
        DaemonProcess.Response imported = cliWithInput(vinted.newSession() + "\n", "import", "vinted", "--account", "piped",
                "--cookie", "-");
        assertEquals(0, imported.status(), imported.body());
        assertTrue(imported.body().contains("imported vinted:piped"), imported.body());
        assertEquals("active", shared.call("GET", "/api/v1/credentials/vinted:piped", null).json().get("status").asText());
        assertTrue(cli("help", "import").body().replaceAll("\\s+", " ").contains("- to read it from stdin"),
                "the help shows the stdin form");
    }

    /** What doctor prints for the same channels: {@link #doctorPassesOnAHealthyInstallation}. */
    @Test
    void notifyTestPrintsALinePerChannel() throws Exception {
        DaemonProcess.Response test = cli("notify", "test");
        assertEquals(1, test.status(), "one channel fails: " + test.body());
        String[] lines = test.body().trim().split("\n");
        assertEquals(3, lines.length, test.body());
        assertTrue(lines[0].startsWith("webhook-1 http://127.0.0.1:") && lines[0].contains(": delivered (HTTP 200)"), lines[0]);
        assertTrue(lines[1].startsWith("webhook-2 http://127.0.0.1:1/***") && lines[1].contains("NOT delivered"), lines[1]);
        assertTrue(lines[2].startsWith("command cat ...") && lines[2].contains(": delivered (exit 0)"), lines[2]);
        assertEquals(1, inbox.events("test").size(), "the test event reached the webhook");
    }

    /** The CLI reads the legacy row from Supabase itself and hands it to the daemon (the daemon's store is not the subject). */
    @Test
    void importFromSupabaseSettingsReadsTheLegacyRow() throws Exception {
        FakePostgrest supabase = own.closeAfter(FakePostgrest.start());
        fleet.secret(supabase.serviceKey());
        Map<String, Object> row = new HashMap<>();
        row.put("key", "gazelle_oauth_token");
        row.put("value", DaemonProcess.JSON.readTree(gazelle.seedChain("legacy")));
        supabase.insertRow(FakePostgrest.SYSTEM_SETTINGS, row);
        DaemonProcess.Response imported = cli(supabase.settings(), "import", "gazelle", "--account", "legacy",
                "--from-supabase-settings");
        assertEquals(0, imported.status(), imported.body());
        String token = shared.call("GET", "/api/v1/credentials/gazelle:legacy/token", null).json().get("token").asText();
        assertEquals(gazelle.currentAccessToken("legacy"), token);
    }


    // ---- refusals at start: no daemon runs ----

    /** An environment with a state folder of its own where no daemon runs. */
    private static Map<String, String> notRunning(String name, Map<String, String> extra) {
        Map<String, String> environment = new HashMap<>(gazelle.settings());
        environment.put("TOKENKEEPER_STATE_DIR", fleet.temp().resolve(name).toString());
        environment.put("TOKENKEEPER_LISTEN", "127.0.0.1:0");
        environment.put("JAVA_OPTS", "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xshare:auto");
        environment.putAll(extra);
        return environment;
    }

    /**
     * Each weak pattern through one of the three verbs that read the token file ({@code AdminToken.read}
     * for all three; every pattern stopping a start is {@code SecretSettingsInProcessTest}'s).
     */
    @Test
    void adminTokensThatArePatternsAreRefusedByTheDaemonTheCliAndDoctor() throws Exception {
        Path tokenFile = fleet.temp().resolve("admin.token");
        List<String> weak = List.of("ab".repeat(33), "changemechangemechangemechangemech", "qwertyuiopasdfghjklzxcvbnm1234567890",
                "Tokenkeeper2024!".repeat(3));
        List<String> verbs = List.of("run", "status", "doctor", "run");
        for (int i = 0; i < weak.size(); i++) {
            Files.writeString(tokenFile, weak.get(i) + "\n");
            Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
            Map<String, String> environment = notRunning("weak", Map.of("TOKENKEEPER_ADMIN_TOKEN_FILE", tokenFile.toString()));
            DaemonProcess.Response refused = cliWith(environment, verbs.get(i));
            assertNotEquals(0, refused.status(), verbs.get(i) + " went on with " + weak.get(i) + ":\n" + refused.body());
            assertTrue(refused.body().contains("admin token file " + tokenFile + " holds a weak token")
                    && refused.body().contains("openssl rand -base64 32"), refused.body());
            assertFalse(refused.body().contains(weak.get(i)), "the token is quoted:\n" + refused.body());
            assertFalse(refused.body().contains("listening on"), refused.body());
        }
    }

    @Test
    void aPlainHttpWebhookToAnotherMachineStopsTheStartAndFailsDoctor() throws Exception {
        Map<String, String> remote = notRunning("plain", Map.of("TOKENKEEPER_NOTIFY_URL", "http://:tk_SECRETACCESS@ntfy.example.com/alerts"));
        DaemonProcess.Response run = cliWith(remote, "run");
        assertNotEquals(0, run.status(), "the daemon started:\n" + run.body());
        assertTrue(run.body().contains("TOKENKEEPER_NOTIFY_URL entry webhook-1 (http://ntfy.example.com/***) uses http://")
                && run.body().contains("use https://"), run.body());
        assertFalse(run.body().contains("listening on"), run.body());
        DaemonProcess.Response doctor = cliWith(remote, "doctor");
        assertNotEquals(0, doctor.status(), doctor.body());
        assertTrue(doctor.body().lines().anyMatch(line -> line.startsWith("FAIL notifications:")
                && line.contains("uses http://")), doctor.body());
        for (String output : List.of(run.body(), doctor.body())) {
            assertFalse(output.contains("SECRETACCESS") || output.contains("/alerts"), output);
        }
        // To this machine in clear text, and to another over TLS: accepted (the daemon's start with them is in process).
        for (String allowed : List.of("http://127.0.0.1:9/hook/SECRETPATH", "https://ntfy.example.com/alerts")) {
            DaemonProcess.Response checked = cliWith(notRunning("plain", Map.of("TOKENKEEPER_NOTIFY_URL", allowed)), "doctor");
            assertTrue(checked.body().lines().anyMatch(line -> line.matches("ok +notifications: .*")), checked.body());
            assertFalse(checked.body().contains("SECRETPATH"), checked.body());
        }
    }

    @Test
    void aSecretFileOthersMayReadStopsTheDaemonAndSaysWhy() throws Exception {
        Path file = fleet.temp().resolve("gazelle-client-secret");
        Files.writeString(file, gazelle.clientSecret() + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Map<String, String> environment = notRunning("open", Map.of("GAZELLE_CLIENT_SECRET_FILE", file.toString()));
        assertTrue(environment.remove("GAZELLE_CLIENT_SECRET") != null);
        DaemonProcess.Response refused = cliWith(environment, "run");
        assertEquals(2, refused.status(), refused.body());
        assertTrue(refused.body().contains("GAZELLE_CLIENT_SECRET_FILE=" + file + " is open to others"), refused.body());
        assertTrue(refused.body().contains("chmod 600 " + file), refused.body());
    }

    /** What `run` and `doctor` print and exit with; the assembly's refusal itself: SupabaseInProcessTest. */
    @Test
    void wrongSupabaseKeyWrongUrlAndMissingTableEachGiveOneClearLineAtStartUp() throws Exception {
        FakePostgrest supabase = own.closeAfter(FakePostgrest.start());
        fleet.secret(supabase.serviceKey());
        Map<String, String> store = new HashMap<>(supabase.settings());
        store.put("TOKENKEEPER_STORE", "supabase");
        store.put("TOKENKEEPER_SPOOL_RETRY_SECONDS", "1");
        Map<String, String> wrongKey = new HashMap<>(store);
        wrongKey.put("SUPABASE_SERVICE_ROLE_KEY", supabase.anonKey());
        Map<String, String> wrongUrl = new HashMap<>(store);
        wrongUrl.put("SUPABASE_URL", "http://127.0.0.1:9");
        Map<String, String[]> cases = Map.of(
                "key", new String[] {"SUPABASE_SERVICE_ROLE_KEY"},
                "url", new String[] {"SUPABASE_URL"},
                "table", new String[] {"doctor --print-sql supabase"});
        Map<String, Map<String, String>> scenarios = new LinkedHashMap<>();
        scenarios.put("key", wrongKey);
        scenarios.put("url", wrongUrl);
        scenarios.put("table", store);
        for (Map.Entry<String, Map<String, String>> scenario : scenarios.entrySet()) {
            if (scenario.getKey().equals("table")) {
                supabase.dropTable(FakePostgrest.CREDENTIALS);
            }
            Map<String, String> environment = notRunning("supabase-" + scenario.getKey(), scenario.getValue());
            DaemonProcess.Response run = cliWith(environment, "run");
            assertTrue(run.status() != 0, scenario.getKey() + ": the daemon must not start");
            List<String> lines = run.body().lines().filter(line -> !line.isBlank()).toList();
            assertEquals(1, lines.size(), scenario.getKey() + ": one line, not a stack trace: " + run.body());
            for (String expected : cases.get(scenario.getKey())) {
                assertTrue(lines.get(0).contains(expected), scenario.getKey() + ": " + lines.get(0));
            }
            assertFalse(run.body().contains(supabase.serviceKey()) || run.body().contains(supabase.anonKey()));

            DaemonProcess.Response doctor = cliWith(environment, "doctor");
            assertTrue(doctor.status() != 0, scenario.getKey() + ": doctor reports the problem: " + doctor.body());
            List<String> failed = doctor.body().lines().filter(line -> line.contains("FAIL")).toList();
            assertEquals(1, failed.size(), scenario.getKey() + ": one FAIL line: " + doctor.body());
            for (String expected : cases.get(scenario.getKey())) {
                assertTrue(failed.get(0).contains(expected), scenario.getKey() + ": " + failed.get(0));
            }
            assertFalse(doctor.body().contains("Exception") || doctor.body().contains(supabase.serviceKey()));
        }
    }

    // ---- tests whose daemon is stopped, killed or restarted, or runs with another environment: one each ----

    /**
     * A daemon on this test's state folder. The ones before it (stopped by now) are searched
     * first: it writes its output to the same file.
     */
    private DaemonProcess daemon(Map<String, String> extra) throws Exception {
        own.assertNoSecrets();
        return own.start(state(), settings(extra));
    }

    private Path state() {
        return own.temp().resolve("state");
    }

    private DaemonProcess.Response cliOf(DaemonProcess daemon, String... args) throws Exception {
        return own.cli(daemon.cliEnvironment(), args);
    }

    @Test
    void underJournaldEveryLineCarriesItsSyslogPriority() throws Exception {
        DaemonProcess daemon = daemon(Map.of("JOURNAL_STREAM", "8:12345"));
        importChains(daemon, "journald", 1);
        String id = "gazelle:journald0";
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.serviceUnavailable());
        daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.invalidGrant());
        daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        daemon.stop();

        Pattern prefixed = Pattern.compile("<[0-7]>[^<].*");
        List<String> lines = daemon.output().lines().filter(line -> !line.isEmpty()).toList();
        assertTrue(lines.size() >= 5, lines.toString());
        for (String line : lines) {
            assertTrue(prefixed.matcher(line).matches(), "no priority prefix: " + line);
            assertFalse(line.matches("<\\d>\\d{4}-\\d\\d-\\d\\dT.*"), "journald adds the time itself: " + line);
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<4>") && l.contains("refresh of " + id + " failed")),
                "the retry is a warning: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<3>") && l.contains(id + " needs a human")),
                "requires_configuration is an error: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<6>") && l.contains("imported " + id)), lines.toString());
    }

    @Test
    void sigtermDuringARefreshLetsItCommitAndTheChainContinues() throws Exception {
        // The upstream answers after 3 s; the client must wait for it (a timeout would lose the rotated answer).
        Map<String, String> slowTimeout = Map.of("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "10");
        DaemonProcess daemon = daemon(slowTimeout);
        String id = importChains(daemon, "sigterm", 1).get(0);
        int requestsBefore = gazelle.refreshRequestCount();
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.slow(Duration.ofSeconds(3)));
        CompletableFuture<DaemonProcess.Response> refresh = CompletableFuture.supplyAsync(() -> {
            try {
                return daemon.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
            } catch (Exception e) {
                return new DaemonProcess.Response(-1, e.toString());
            }
        });
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> gazelle.refreshRequestCount() > requestsBefore);
        assertEquals(1, gazelle.refreshRequestCount() - requestsBefore, "the refresh reached the upstream");
        long stopping = System.nanoTime();
        daemon.process().destroy();
        assertTrue(daemon.process().waitFor(40, TimeUnit.SECONDS), "exits within the bound");
        long tookMs = (System.nanoTime() - stopping) / 1_000_000;
        int exit = daemon.process().exitValue();
        assertTrue(exit == 143 || exit == 0, "exit code " + exit);
        assertTrue(daemon.output().contains("shutting down"), daemon.output());
        refresh.get(5, TimeUnit.SECONDS);

        DaemonProcess again = daemon(slowTimeout);
        JsonNode credential = again.call("GET", "/api/v1/credentials/" + id, null).json();
        assertEquals(2, credential.get("version").asLong(), "the refresh in flight at SIGTERM was committed (stop took "
                + tookMs + " ms)");
        JsonNode history = again.call("GET", "/api/v1/credentials/" + id + "/history", null).json();
        assertEquals("refreshed", history.get(history.size() - 1).get("outcome").asText(), history.toString());
        String token = again.call("GET", "/api/v1/credentials/" + id + "/token", null).json().get("token").asText();
        assertTrue(gazelle.isAccessTokenValid(token), "the restarted daemon serves the refreshed token");
        DaemonProcess.Response next = again.call("POST", "/api/v1/credentials/" + id + "/refresh?force=true", null);
        assertEquals("refreshed", next.json().get("outcome").asText(), next.body());
        assertEquals(0, gazelle.reuseCount(), "the chain continues");
    }

    @Test
    void rekeyKeepOldKeepsTheRetiredKeyUntilFinish() throws Exception {
        // A daemon of its own: an on-line rekey of the shared daemon was followed once by SQLITE_IOERR_SHORT_READ
        // on its store (under investigation); the other tests must not inherit that.
        DaemonProcess daemon = daemon(Map.of());
        List<String> ids = importChains(daemon, "keep", 2);
        Path state = state();
        String oldKey = generatedKeyId(state);
        DaemonProcess.Response rekey = cliOf(daemon, "rekey", "--keep-old");
        assertEquals(0, rekey.status(), rekey.body());
        assertTrue(Files.exists(state.resolve("keys/retired-" + oldKey + ".key")), "--keep-old keeps it");
        DaemonProcess.Response doctor = cliOf(daemon, "doctor");
        assertTrue(doctor.body().contains("rekey --finish"), "doctor warns while a retired key exists: " + doctor.body());

        DaemonProcess.Response finish = cliOf(daemon, "rekey", "--finish");
        assertEquals(0, finish.status(), finish.body());
        assertFalse(Files.exists(state.resolve("keys/retired-" + oldKey + ".key")), "--finish destroys it");
        assertAllServeValidTokens(daemon, ids);
        assertFalse(cliOf(daemon, "doctor").body().contains("rekey --finish"));
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
    void rekeyDestroysTheRetiredKeyAndARowSealedWithItIsRefusedFromThenOn() throws Exception {
        DaemonProcess daemon = daemon(Map.of());
        List<String> ids = importChains(daemon, "acct", 2);
        String oldKey = generatedKeyId(state());
        byte[] oldKeyBytes = Files.readAllBytes(state().resolve("master.key"));
        // A backup of the store taken before the rekey: its rows are sealed with the old key.
        Path backup = own.temp().resolve("backup.db");
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + state().resolve("tokenkeeper.db"));
             Statement vacuum = db.createStatement()) {
            vacuum.execute("VACUUM INTO '" + backup + "'");
        }

        DaemonProcess.Response rekey = cliOf(daemon, "rekey");
        assertEquals(0, rekey.status(), rekey.body());
        assertTrue(rekey.body().contains("purged: sqlite"), rekey.body());
        try (var files = Files.list(state().resolve("keys"))) {
            List<String> left = files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("retired-")).toList();
            assertEquals(List.of(), left, "no retired key remains");
        }
        assertTrue(Files.readString(state().resolve("keys/destroyed-key-ids")).contains(oldKey));
        assertAllServeValidTokens(daemon, ids);
        DaemonProcess.Response doctor = cliOf(daemon, "doctor");
        assertFalse(doctor.body().contains("retired key(s) still readable"), doctor.body());
        daemon.stop();

        // The old rows come back from the backup: the old key id no longer opens them.
        Files.copy(backup, state().resolve("tokenkeeper.db"), StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(state().resolve("tokenkeeper.db-wal"));
        Files.deleteIfExists(state().resolve("tokenkeeper.db-shm"));
        DaemonProcess restored = daemon(Map.of());
        for (String id : ids) {
            DaemonProcess.Response token = restored.call("GET", "/api/v1/credentials/" + id + "/token", null);
            assertNotEquals(200, token.status(), id + " sealed with the destroyed key must not open: " + token.body());
        }
        restored.stop();
        // And a copy of the destroyed key put back is refused.
        Path putBack = state().resolve("keys/retired-" + oldKey + ".key");
        Files.write(putBack, oldKeyBytes);
        Files.setPosixFilePermissions(putBack, PosixFilePermissions.fromString("rw-------"));
        DaemonProcess.Response refused = cliOf(restored, "doctor");
        assertTrue(refused.body().contains("which a rekey destroyed"), refused.body());
    }

    @Test
    void rekeyKilledHalfwayThenRunAgainLeavesEveryCredentialReadable() throws Exception {
        DaemonProcess first = daemon(Map.of("TOKENKEEPER_TEST_REKEY_HALT_AFTER", "4"));
        List<String> ids = importChains(first, "acct", 8);
        String oldKey = generatedKeyId(state());

        DaemonProcess.Response interrupted = cliOf(first, "rekey");
        assertNotEquals(0, interrupted.status(), "the daemon died under the CLI: " + interrupted.body());
        first.process().waitFor();
        assertEquals(137, first.process().exitValue(), "halted as kill -9 would");
        String newKey = generatedKeyId(state());
        assertNotEquals(oldKey, newKey);
        Map<String, String> halfway = keyIdsOnDisk();
        assertEquals(4, halfway.values().stream().filter(newKey::equals).count(), "half re-sealed: " + halfway);
        assertEquals(4, halfway.values().stream().filter(oldKey::equals).count(), "half still on the old key: " + halfway);

        DaemonProcess second = daemon(Map.of());
        assertAllServeValidTokens(second, ids);
        DaemonProcess.Response again = cliOf(second, "rekey", "--json");
        assertEquals(0, again.status(), again.body());
        JsonNode outcome = again.json();
        assertTrue(outcome.get("resumed").asBoolean(), "the re-run finishes the interrupted rekey: " + outcome);
        assertEquals(newKey, outcome.get("currentKeyId").asText(), "no third key");
        assertEquals(4, outcome.get("resealed").size());
        assertEquals(4, outcome.get("alreadyCurrent").size());
        assertFalse(Files.exists(state().resolve("keys/rekey-pending")));

        DaemonProcess.Response idempotent = cliOf(second, "rekey", "--reseal-only", "--json");
        assertEquals(0, idempotent.json().get("resealed").size(), idempotent.body());
        second.stop();
        assertTrue(keyIdsOnDisk().values().stream().allMatch(newKey::equals), keyIdsOnDisk().toString());
        assertAllServeValidTokens(daemon(Map.of()), ids);
    }

    /**
     * A sink folder another local user can change: the daemon refuses to start on it, and a link that
     * user planted is never followed. The sink's writes, modes and removals: FileSinkInProcessTest.
     */
    @Test
    void aSinkAnotherUserCanChangeIsRefusedAndTheLinkTheyPlantedIsNeverFollowed() throws Exception {
        LocalUser intruder = LocalUser.require("tk-sink-intruder");
        Path temp = own.temp();
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        // A folder only root may touch, with a file in it.
        Path vault = Files.createDirectory(temp.resolve("root-only"));
        Files.writeString(vault.resolve("default.token"), "precious");
        Files.setPosixFilePermissions(vault, PosixFilePermissions.fromString("rwx------"));
        List<String> vaultBefore = listing(vault);
        Path sink = Files.createDirectory(temp.resolve("sink"));
        assertEquals(0, new ProcessBuilder("chmod", "1777", sink.toString()).inheritIO().start().waitFor());
        LocalUser.Result planted = intruder.exec(Map.of(), List.of("ln", "-s", vault.toString(), sink.resolve("gazelle").toString()));
        assertEquals(0, planted.exit(), planted.output());

        Map<String, String> env = settings(Map.of("TOKENKEEPER_SINK_DIR", sink.toString()));
        Map<String, String> run = new HashMap<>(env);
        run.put("TOKENKEEPER_STATE_DIR", state().toString());
        run.put("TOKENKEEPER_LISTEN", "127.0.0.1:0");
        DaemonProcess.Response open = own.cli(run, "run");
        assertNotEquals(0, open.status(), "started with a sink of mode 1777:\n" + open.body());
        assertTrue(open.body().contains("TOKENKEEPER_SINK_DIR=" + sink + " is refused") && open.body().contains("mode 1777")
                && open.body().contains("chmod 0700 " + sink), open.body());

        intruder.chown(sink);
        Files.setPosixFilePermissions(sink, PosixFilePermissions.fromString("rwxr-xr-x"));
        DaemonProcess.Response theirs = own.cli(run, "run");
        assertNotEquals(0, theirs.status(), "started with a sink of another user:\n" + theirs.body());
        assertTrue(theirs.body().contains("owned by tk-sink-intruder") && theirs.body().contains("chown root " + sink),
                theirs.body());

        // Fixed as the message says; the link planted before stays.
        assertEquals(0, new ProcessBuilder("chown", "root", sink.toString()).inheritIO().start().waitFor());
        Files.setPosixFilePermissions(sink, PosixFilePermissions.fromString("rwx------"));
        DaemonProcess daemon = own.start(state(), env);
        Path file = Files.createTempFile(temp, "token", ".json");
        Files.writeString(file, gazelle.seedChain("sink"));
        assertEquals(0, cliOf(daemon, "import", "gazelle", "--account", "sink", "--token-json", file.toString()).status());
        Files.delete(file);
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.output().contains("the token of gazelle:sink is not written: "
                + sink.resolve("gazelle") + " is a symbolic link"));
        assertEquals(vaultBefore, listing(vault), "written through the link");
        assertEquals(200, daemon.call("GET", "/api/v1/credentials/gazelle:sink/token", null).status(), "the daemon itself works");

        assertEquals(204, daemon.call("DELETE", "/api/v1/credentials/gazelle:sink", null).status());
        await().atMost(Duration.ofSeconds(20)).until(() -> daemon.output().contains("the files of gazelle:sink are not removed"));
        assertEquals(vaultBefore, listing(vault), "removed through the link");
        assertTrue(Files.isSymbolicLink(sink.resolve("gazelle")));
    }

    /** Every file under {@code folder} with its content, read as root. */
    private static List<String> listing(Path folder) throws Exception {
        try (Stream<Path> files = Files.walk(folder)) {
            List<String> out = new ArrayList<>();
            for (Path path : files.sorted().toList()) {
                out.add(folder.relativize(path) + (Files.isRegularFile(path) ? "=" + Files.readString(path) : ""));
            }
            return out;
        }
    }
}
