package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.testkit.NotificationInbox;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI's own part of the provider and notification behaviour, with the real {@code bin/tokenkeeper}
 * against one real daemon for the class: a cookie read from standard input, import errors as one
 * line, {@code notify test} as a line per channel with its exit code, {@code doctor} masking the
 * webhook URL. What the daemon does behind these verbs is checked in process
 * ({@code VintedInProcessTest}, {@code NotificationsInProcessTest}). The class ends by looking for
 * every cookie value the imitation issued and the webhook URLs' secret paths in the daemon's output
 * and every CLI output (the fleet does).
 */
class ProviderCliTest {

    private static final String CLOSED_SECRET = "whsecretclosed";

    @RegisterExtension
    static final Fleet fleet = new Fleet();

    private static FakeVinted vinted;
    private static NotificationInbox receiver;
    private static DaemonProcess daemon;

    @BeforeAll
    static void start() throws Exception {
        vinted = fleet.upstream(FakeVinted.builder().burstLimit(10_000, Duration.ofMinutes(5)).start());
        receiver = fleet.closeAfter(new NotificationInbox());
        fleet.secret(receiver.secret());
        fleet.secret(CLOSED_SECRET);
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.put("VINTED_BASE_URL", vinted.baseUrl());
        env.put("VINTED_MAX_REQUESTS_PER_5_MIN", "1000");
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        // The second URL has nobody listening: `notify test` must say why it was not delivered.
        env.put("TOKENKEEPER_NOTIFY_URL", receiver.url() + ",http://127.0.0.1:1/closed/" + CLOSED_SECRET);
        env.put("TOKENKEEPER_NOTIFY_COMMAND", "cat > /dev/null; echo hook ran for $TOKENKEEPER_EVENT");
        daemon = fleet.start(env);
    }

    private static DaemonProcess.Response cli(String stdin, String... args) throws Exception {
        DaemonProcess.Response response = daemon.cliWithInput(stdin, args);
        fleet.saw("CLI `" + String.join(" ", args) + "` output", response.body());
        return response;
    }

    @Test
    void aCookieReadFromStdinNeverAppearsOnTheCommandLine() throws Exception {
        DaemonProcess.Response imported = cli(vinted.newSession() + "\n", "import", "vinted", "--account", "piped",
                "--cookie", "-");
        assertEquals(0, imported.status(), imported.body());
        assertTrue(imported.body().contains("imported vinted:piped"), imported.body());
        assertEquals("active", daemon.call("GET", "/api/v1/credentials/vinted:piped", null).json().get("status").asText());
        assertTrue(cli(null, "help", "import").body().replaceAll("\\s+", " ").contains("- to read it from stdin"),
                "the help shows the stdin form");
    }

    @Test
    void malformedImportsGetOneLineErrorsAndLeaveTheStoreUnchanged() throws Exception {
        String session = vinted.newSession();
        assertEquals(0, cli(null, "import", "vinted", "--account", "malformed", "--cookie", session).status());
        JsonNode before = daemon.call("GET", "/api/v1/credentials/vinted:malformed", null).json();

        String noRefresh = session.replaceAll("refresh_token_web=[^;]*;?\\s*", "");
        Path empty = Files.writeString(fleet.temp().resolve("empty.json"), "");
        Path wrongShape = Files.writeString(fleet.temp().resolve("shape.json"), "{\"cookies\": 3}");
        List<String[]> bad = List.of(
                new String[] {"--cookie", noRefresh},
                new String[] {"--cookie", "access_token_web=garbage; refresh_token_web=also.garbage"},
                new String[] {"--cookie-file", empty.toString()},
                new String[] {"--cookie-file", wrongShape.toString()},
                new String[] {"--cookie-file", fleet.temp().resolve("missing.json").toString()});
        for (String[] input : bad) {
            DaemonProcess.Response response = cli(null, "import", "vinted", "--account", "malformed", input[0], input[1]);
            assertEquals(1, response.status(), response.body());
            String message = response.body().trim();
            assertFalse(message.contains("\n"), "one line: " + message);
            assertTrue(message.startsWith("tokenkeeper: import failed: ") || message.startsWith("tokenkeeper: no such file: "),
                    message);
        }
        assertEquals(before, daemon.call("GET", "/api/v1/credentials/vinted:malformed", null).json(),
                "rejected imports changed nothing");
    }

    @Test
    void notifyTestPrintsALinePerChannelAndDoctorMasksTheWebhook() throws Exception {
        DaemonProcess.Response test = cli(null, "notify", "test");
        assertEquals(1, test.status(), "one channel fails: " + test.body());
        String[] lines = test.body().trim().split("\n");
        assertEquals(3, lines.length, test.body());
        assertTrue(lines[0].startsWith("webhook-1 http://127.0.0.1:") && lines[0].contains(": delivered (HTTP 200)"), lines[0]);
        assertTrue(lines[1].startsWith("webhook-2 http://127.0.0.1:1/***") && lines[1].contains("NOT delivered"), lines[1]);
        assertTrue(lines[2].startsWith("command cat ...") && lines[2].contains(": delivered (exit 0)"), lines[2]);
        assertEquals(1, receiver.events("test").size(), "the test event reached the webhook");

        DaemonProcess.Response doctor = cli(null, "doctor");
        assertTrue(doctor.body().contains("webhook-1 http://127.0.0.1:") && doctor.body().contains("/***"), doctor.body());
    }
}
