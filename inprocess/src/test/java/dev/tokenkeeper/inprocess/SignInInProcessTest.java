package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.inprocess.InProcessCli;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.SignInSite;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import dev.tokenkeeper.testkit.NotificationInbox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The sign-in of the original settings ({@code VINTED_USERNAME}/{@code VINTED_PASSWORD}) with the
 * real Chromium the daemon starts, against the imitation of Vinted's sign-in pages on
 * {@link FakeVinted}'s site ({@link SignInSite}): a missing session is signed in, imported and
 * refreshed; a captcha or an e-mail code leaves the credential needing a human with the reason, told
 * to the webhook; the daily limit counts on the daemon's clock. The browser is the subject here, so
 * the waits are on the wall clock, each bounded. Every test ends by searching the log, the pages the
 * site served, the notifications, the API's answers and every file of the state folder for the
 * password and every cookie issued, and by checking that no browser process or profile is left.
 */
class SignInInProcessTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final String USERNAME = "boutique@example.org";
    private static final String PASSWORD = "Pw-" + Long.toHexString(Double.doubleToLongBits(Math.random())) + "-sesame";
    private static final String ID = "vinted:default";
    /** A browser start, a page, a post and an import on a loaded 2-core machine. */
    private static final Duration SIGN_IN = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeVinted vinted = FakeVinted.builder().clock(clock).burstLimit(10_000, Duration.ofMinutes(5)).start();
    private final SignInSite site = SignInSite.on(vinted, USERNAME, PASSWORD);
    private final NotificationInbox inbox = new NotificationInbox();
    private final List<String> texts = new ArrayList<>();
    private TokenkeeperExtension daemon;

    @TempDir
    Path temp;

    @BeforeAll
    static void needsChromium() {
        assumeTrue(Files.isExecutable(CHROMIUM), "Debian's chromium is not installed (" + CHROMIUM
                + "): apt install chromium; .ci/run installs it");
    }

    private void start(Map<String, String> extra) {
        Map<String, String> all = new HashMap<>(Map.of("VINTED_USERNAME", USERNAME, "VINTED_PASSWORD", PASSWORD));
        all.putAll(extra);
        all.values().removeIf(String::isEmpty);
        daemon = TokenkeeperExtension.withProvider(new VintedProvider()).clock(clock)
                .setting("VINTED_BASE_URL", vinted.baseUrl())
                .setting("VINTED_MAX_REQUESTS_PER_5_MIN", "1000")
                .setting("TOKENKEEPER_NOTIFY_URL", inbox.url())
                .setting("TOKENKEEPER_NOTIFY_RETRY_SECONDS", "0.5")
                .setting("TOKENKEEPER_SIGN_IN_TIMEOUT_SECONDS", "90")
                .settings(all);
        daemon.start();
    }

    @AfterEach
    void lookForSecretsAndClose() throws Exception {
        try {
            if (daemon != null) {
                texts.add(daemon.log());
                texts.addAll(site.pages());
                texts.addAll(inbox.texts());
                texts.addAll(filesUnder(daemon.stateDirectory()));
                for (String text : texts) {
                    assertFalse(text.contains(PASSWORD), "the password leaked");
                    for (String secret : vinted.allIssuedSecrets()) {
                        assertFalse(text.contains(secret), "a Vinted cookie value leaked");
                    }
                }
                Path profiles = daemon.stateDirectory().resolve("browser");
                assertTrue(!Files.exists(profiles) || isEmpty(profiles), "every browser profile folder is removed");
            }
        } finally {
            if (daemon != null) {
                daemon.stop();
            }
            inbox.close();
            vinted.close();
        }
        assertEquals(List.of(), browsers(), "the daemon's stop leaves no browser process");
    }

    @Test
    void aMissingSessionIsSignedInImportedAndRefreshed() throws Exception {
        start(Map.of());
        // Refreshed at once (the daemon owns the chain): the token served is no longer the one the browser got.
        await().atMost(SIGN_IN).until(() -> status().equals("active") && site.sessions().size() == 1
                && !site.sessions().get(0).contains(servedToken()));

        assertEquals(1, site.posts(), "one sign-in");
        assertEquals(1, site.sessions().size());
        assertTrue(vinted.isAccessTokenValid(servedToken()), "the session the browser got is served, refreshed");
        assertEquals(1, vinted.refreshCount());
        assertEquals(0, vinted.reuseCount());
        assertEquals(List.of(), browsers(), "the browser is gone after the sign-in");
    }

    @Test
    void aCaptchaEndsTheSignInAtOnceWithTheReasonAndANotification() throws Exception {
        humanNeededAfterTheSessionDies(SignInSite.Answer.CAPTCHA, "captcha");
    }

    @Test
    void anEmailCodeEndsTheSignInAtOnceWithTheReasonAndANotification() throws Exception {
        humanNeededAfterTheSessionDies(SignInSite.Answer.EMAIL_CODE, "asks for a code");
    }

    @Test
    void aWrongPasswordIsAFailureNamingTheFormNotThePassword() throws Exception {
        String session = vinted.newSession();
        start(Map.of("VINTED_SESSION", session, "VINTED_PASSWORD", PASSWORD + "-old"));
        killSession(session);
        await().atMost(SIGN_IN).until(() -> lastError().startsWith("sign-in: "));
        assertTrue(lastError().contains("sign-in form again"), lastError());
        assertEquals(1, site.posts());
        assertEquals("requires_configuration", status());
        texts.add(daemon.log());
        for (String text : texts) {
            assertFalse(text.contains(PASSWORD + "-old"), "the wrong password leaked");
        }
    }

    @Test
    void attemptsPerDayAreCountedOnTheDaemonsClock() throws Exception {
        String session = vinted.newSession();
        start(Map.of("VINTED_SESSION", session, "TOKENKEEPER_SIGN_IN_ATTEMPTS_PER_DAY", "1"));
        site.answer(SignInSite.Answer.CAPTCHA);
        killSession(session);
        await().atMost(SIGN_IN).until(() -> lastError().contains("captcha"));

        String second = vinted.newSession();
        importSession(second);
        killSession(second);
        await().atMost(SIGN_IN).until(() -> lastError().contains("1 attempts in 24 hours"));
        assertEquals(1, site.posts(), "no browser for the attempt over the limit");

        daemon.advance(Duration.ofHours(24));
        site.answer(SignInSite.Answer.SIGNED_IN);
        String third = vinted.newSession();
        importSession(third);
        killSession(third);
        await().atMost(SIGN_IN).until(() -> status().equals("active") && site.posts() == 2);
    }

    @Test
    void loginKeepsTheDetailsSealedAndSignsInAMissingSessionAtOnce() throws Exception {
        start(Map.of("VINTED_USERNAME", "", "VINTED_PASSWORD", ""));
        String shop = "vinted:shop";

        InProcessCli.Run login = new InProcessCli(daemon, temp).run(USERNAME + "\n" + PASSWORD + "\n", "login", shop);
        texts.add(login.output());
        assertEquals(0, login.exit(), login.output());
        assertTrue(login.output().contains(shop + ": sign-in details stored, sealed; signing in now"), login.output());
        await().atMost(SIGN_IN).until(() -> status(shop).equals("active") && vinted.refreshCount() >= 1);
        assertEquals(1, site.posts());

        String doctor = doctor();
        texts.add(doctor);
        assertTrue(doctor.contains("ok   credential " + shop + ": sign-in set up (stored with tokenkeeper login): signs in"
                + " with /usr/bin/chromium when the session is gone"), doctor);

        InProcessCli.Run refused = new InProcessCli(daemon, temp).run(USERNAME + "\n", "login", shop);
        texts.add(refused.output());
        assertTrue(refused.exit() != 0, "a password line is needed");
        InProcessCli.Run forgotten = new InProcessCli(daemon, temp).run("", "login", shop, "--forget");
        assertEquals(0, forgotten.exit(), forgotten.output());
        assertEquals(404, daemon.call("DELETE", "/api/v1/credentials/" + shop + "/sign-in", null).statusCode(),
                "nothing left to remove");
    }

    private String doctor() throws IOException {
        return new InProcessCli(daemon, temp).run("", "doctor", "--state-dir", daemon.stateDirectory().toString()).output();
    }

    private void humanNeededAfterTheSessionDies(SignInSite.Answer answer, String reason) throws Exception {
        String session = vinted.newSession();
        start(Map.of("VINTED_SESSION", session));
        assertEquals("active", status(), "the session of the settings is imported; no sign-in while it lives");
        site.answer(answer);
        killSession(session);

        await().atMost(SIGN_IN).until(() -> lastError().startsWith("sign-in: "));
        assertTrue(lastError().contains(reason), lastError());
        assertEquals("requires_configuration", status());
        assertEquals(1, site.posts(), "one post, ended at once: no second try");
        List<JsonNode> told = inbox.await("requires_configuration", 2, Duration.ofSeconds(30));
        assertTrue(told.get(told.size() - 1).get("reason").asText().contains(reason),
                "the webhook hears the sign-in's reason: " + told.get(told.size() - 1).get("reason"));
        assertEquals(List.of(), browsers(), "the browser is gone after the attempt");
    }

    /** Ends the session at Vinted and lets the daemon find out: its refresh is refused for good. */
    private void killSession(String session) {
        vinted.revoke(session);
        texts.add(daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true", null).body());
    }

    private void importSession(String cookies) {
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("cookie", cookies).toString());
        texts.add(imported.body());
        assertTrue(imported.statusCode() / 100 == 2, imported.body());
    }

    private String servedToken() throws IOException {
        HttpResponse<String> token = daemon.call("GET", "/api/v1/credentials/" + ID + "/token", null);
        return token.statusCode() == 200 ? json(token).path("token").asText() : "";
    }

    private String status() throws IOException {
        return status(ID);
    }

    private String status(String id) throws IOException {
        HttpResponse<String> found = daemon.call("GET", "/api/v1/credentials/" + id, null);
        texts.add(found.body());
        return found.statusCode() == 404 ? "missing" : json(found).path("status").asText();
    }

    private String lastError() throws IOException {
        HttpResponse<String> found = daemon.call("GET", "/api/v1/credentials/" + ID, null);
        texts.add(found.body());
        return found.statusCode() == 404 ? "" : json(found).path("lastError").asText("");
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    /** @return the Chromium processes this JVM started that still run */
    private static List<String> browsers() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(command -> command.contains("chrom")).orElse(false))
                .map(p -> p.pid() + " " + p.info().command().orElse("")).toList();
    }

    private static boolean isEmpty(Path folder) throws IOException {
        try (Stream<Path> inside = Files.list(folder)) {
            return inside.findAny().isEmpty();
        }
    }

    /**
     * The text of every file under the folder. The daemon runs on: a temporary file it renames into place
     * during the walk is gone when read, and the file it became may have been read before, so the whole
     * walk is taken again (a few times at most).
     */
    private static List<String> filesUnder(Path folder) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return filesUnderOnce(folder);
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException) || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private static List<String> filesUnderOnce(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).map(file -> {
                try {
                    return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
    }
}
