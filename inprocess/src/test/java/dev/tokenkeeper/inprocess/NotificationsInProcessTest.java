package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import dev.tokenkeeper.testkit.NotificationInbox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Notifications from the daemon on the controlled clock, with the Gazelle and Vinted imitations and
 * a webhook ({@link NotificationInbox}) whose URL has a secret path. Raising an event follows the
 * clock; delivering it is a real HTTP call, awaited in bounded wall time. Every test ends by looking
 * for every token the imitations issued, the client secret and the webhook's secret path in the
 * daemon's log, every notification body, the notification state file and (where used) the sink's
 * file names.
 *
 * The {@code expiring} warnings at 7 days and 1 day are {@code GazelleTimeInProcessTest}'s.
 */
class NotificationsInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ID = "gazelle:default";
    /** How long no further webhook request may arrive where none is owed. */
    private static final Duration QUIET = Duration.ofSeconds(2);
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @TempDir
    Path temp;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);
    private final NotificationInbox inbox = new NotificationInbox();
    private final List<String> texts = new ArrayList<>();
    private FakeVinted vinted;
    private TokenkeeperExtension daemon;

    /** Starts the daemon with the Gazelle imitation, the inbox and {@code extra}. */
    private TokenkeeperExtension daemon(Map<String, String> extra) {
        daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).provider(new VintedProvider()).clock(clock)
                .settings(gazelle.settings())
                .setting("TOKENKEEPER_NOTIFY_URL", inbox.url())
                .setting("TOKENKEEPER_NOTIFY_RETRY_SECONDS", "0.5")
                .setting("TOKENKEEPER_RETRY_BASE_SECONDS", "1")
                .setting("TOKENKEEPER_RETRY_MAX_SECONDS", "8")
                .settings(extra);
        daemon.start();
        return daemon;
    }

    @AfterEach
    void lookForSecretsAndClose() throws IOException {
        try {
            if (daemon != null) {
                texts.add(daemon.log());
                Path state = daemon.stateDirectory().resolve("notifications.json");
                if (Files.exists(state)) {
                    texts.add(Files.readString(state));
                }
            }
            texts.addAll(inbox.texts());
            List<String> secrets = new ArrayList<>(gazelle.allIssuedSecrets());
            secrets.add(inbox.secret());
            if (vinted != null) {
                secrets.addAll(vinted.allIssuedSecrets());
            }
            for (String text : texts) {
                for (String secret : secrets) {
                    assertFalse(text.contains(secret), "a secret leaked: " + excerpt(text, secret));
                }
            }
        } finally {
            if (daemon != null) {
                daemon.stop();
            }
            inbox.close();
            gazelle.close();
            if (vinted != null) {
                vinted.close();
            }
        }
    }

    private static String excerpt(String text, String secret) {
        int at = text.indexOf(secret);
        return text.substring(Math.max(0, at - 120), Math.min(text.length(), at + 20)).replace(secret, "<SECRET>");
    }

    @Test
    void invalidGrantRaisesOneRequiresConfigurationAndReimportOneRecovered() throws Exception {
        gazelle.accessLifetime(Duration.ofHours(1));
        daemon(Map.of());
        importChain();
        while (gazelle.refreshRequestCount() < 1) {
            daemon.advance(Duration.ofMinutes(10));
        }
        gazelle.revokeChain("default");
        Instant revoked = clock.instant();
        daemon.advance(Duration.ofHours(1));

        JsonNode body = inbox.await("requires_configuration", 1, PATIENCE).get(0);
        Instant raised = Instant.parse(body.path("at").asText());
        assertTrue(raised.isAfter(revoked) && raised.isBefore(revoked.plus(Duration.ofHours(1))),
                "raised at the first refresh after the revocation: " + raised);
        assertEquals(ID, body.path("credential").asText());
        assertEquals("gazelle", body.path("provider").asText());
        assertEquals("default", body.path("account").asText());
        assertEquals("requires_configuration", body.path("status").asText());
        assertTrue(body.path("reason").asText().contains("invalid_grant"), body.toString());
        assertEquals("tokenkeeper authorize gazelle --account default", body.path("command").asText());
        assertTrue(body.path("text").asText().contains(ID), body.toString());
        assertEquals(body.path("text").asText(), body.path("content").asText());
        assertFalse(body.path("host").asText().isEmpty());

        // Further failed attempts (three forced refreshes, each answered invalid_grant) raise nothing.
        int upstreamBefore = gazelle.refreshRequestCount();
        for (int i = 0; i < 3; i++) {
            daemon.advance(Duration.ofMinutes(1));
            texts.add(daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true", null).body());
        }
        assertTrue(gazelle.refreshRequestCount() >= upstreamBefore + 3, "the forced refreshes reached the upstream");
        inbox.assertStaysAt(1, QUIET);

        importChain();
        daemon.advance(Duration.ofMinutes(1));
        JsonNode recovered = inbox.await("recovered", 1, PATIENCE).get(0);
        inbox.assertStaysAt(2, QUIET);
        assertEquals("active", recovered.path("status").asText());
    }

    @Test
    void aFailingReceiverGetsItOnceAfterRetriesAndRestartsDoNotSendItTwice() throws Exception {
        inbox.failNext(3);
        // Retries 2 s apart, so the first restart falls between them.
        daemon(Map.of("TOKENKEEPER_NOTIFY_RETRY_SECONDS", "2", "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"));
        importChain();
        gazelle.revokeChain("default");
        texts.add(daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true", null).body());
        assertEquals(500, inbox.awaitRequests(1, PATIENCE).get(0).status());

        // Restart while the delivery is still owed: it is resumed, not forgotten and not raised again.
        daemon.restart();
        inbox.await("requires_configuration", 1, Duration.ofSeconds(40));
        List<NotificationInbox.Request> all = inbox.requests();
        assertEquals(4, all.size(), "three 500s, then one delivery: " + all.stream().map(NotificationInbox.Request::status).toList());
        assertEquals(1, all.stream().map(request -> request.json().path("id").asText()).distinct().count(),
                "every attempt carries the same event id");

        // Another restart once delivered: nothing is sent again.
        daemon.restart();
        daemon.advance(Duration.ofMinutes(5));
        inbox.assertStaysAt(4, QUIET);
        assertEquals(1, inbox.events("requires_configuration").size());
    }

    @Test
    void notifyTestReportsEachChannelAndTheCommandGetsTheJsonOnStdin() throws Exception {
        Path hookOut = Files.createDirectories(temp.resolve("hook"));
        Map<String, String> extra = new HashMap<>();
        // The second URL has nobody listening: the test must say why it was not delivered.
        extra.put("TOKENKEEPER_NOTIFY_URL", inbox.url() + ",http://127.0.0.1:1/closed/whsecretclosed");
        extra.put("TOKENKEEPER_NOTIFY_COMMAND", "cat > " + hookOut + "/$TOKENKEEPER_EVENT.json; echo hook ran for $TOKENKEEPER_EVENT");
        extra.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        daemon(extra);

        HttpResponse<String> test = daemon.call("POST", "/api/v1/notify/test", "{}");
        texts.add(test.body());
        assertEquals(200, test.statusCode(), test.body());
        JsonNode results = JSON.readTree(test.body()).path("results");
        assertEquals(3, results.size(), test.body());
        assertTrue(results.get(0).path("channel").asText().startsWith("webhook-1 http://127.0.0.1:"), test.body());
        assertTrue(results.get(0).path("delivered").asBoolean(), test.body());
        assertEquals("HTTP 200", results.get(0).path("detail").asText(), test.body());
        assertTrue(results.get(1).path("channel").asText().startsWith("webhook-2 http://127.0.0.1:1/***"), test.body());
        assertFalse(results.get(1).path("delivered").asBoolean(), "nobody listens there: " + test.body());
        assertFalse(results.get(1).path("detail").asText().isBlank(), "says why: " + test.body());
        assertTrue(results.get(2).path("channel").asText().startsWith("command cat ..."), test.body());
        assertTrue(results.get(2).path("delivered").asBoolean(), test.body());
        assertEquals("exit 0", results.get(2).path("detail").asText(), test.body());
        assertFalse(test.body().contains("whsecretclosed"));

        JsonNode fromStdin = JSON.readTree(hookOut.resolve("test.json").toFile());
        assertEquals("test", fromStdin.path("event").asText());
        assertEquals(inbox.events("test").get(0).path("id").asText(), fromStdin.path("id").asText());
        assertTrue(daemon.log().contains("hook ran for test"), "the command's output is in the log");

        String metrics = daemon.call("GET", "/metrics", null).body();
        texts.add(metrics);
        assertTrue(metrics.contains("tokenkeeper_notifications_total{channel=\"webhook\",outcome=\"delivered\"} 1.0"), metrics);
        assertTrue(metrics.contains("tokenkeeper_notifications_total{channel=\"webhook\",outcome=\"failed\"} 1.0"), metrics);
        assertTrue(metrics.contains("tokenkeeper_notifications_total{channel=\"command\",outcome=\"delivered\"} 1.0"), metrics);
    }

    @Test
    void transientFailuresLongerThanTheThresholdRaiseFailingOnceThenRecovered() throws Exception {
        daemon(Map.of("TOKENKEEPER_NOTIFY_FAILING_AFTER_SECONDS", "3"));
        importChain();
        gazelle.tokenFault(FakeGazelle.Fault.serviceUnavailable());
        Instant failingFrom = clock.instant();
        texts.add(daemon.call("POST", "/api/v1/credentials/" + ID + "/refresh?force=true", null).body());
        daemon.advance(Duration.ofSeconds(2));
        inbox.assertStaysAt(0, Duration.ofMillis(500));
        daemon.advance(Duration.ofSeconds(3));
        JsonNode body = inbox.await("failing", 1, PATIENCE).get(0);
        assertTrue(Duration.between(failingFrom, Instant.parse(body.path("at").asText())).compareTo(Duration.ofSeconds(3)) >= 0,
                "not before the threshold: " + body);
        assertEquals("active", body.path("status").asText(), "the token is still valid and served");
        assertFalse(body.path("accessExpiresAt").asText().isEmpty());
        // The retries go on failing: still one event.
        while (gazelle.refreshRequestCount() < 3) {
            daemon.advance(Duration.ofSeconds(1));
        }
        daemon.advance(Duration.ofSeconds(30));
        inbox.assertStaysAt(1, QUIET);
        gazelle.tokenFault(FakeGazelle.Fault.normal());
        daemon.advance(Duration.ofSeconds(20));
        inbox.await("recovered", 1, PATIENCE);
        inbox.assertStaysAt(2, QUIET);
    }

    @Test
    void aRejectedVintedSessionRaisesOneEventAndItsSinkFilesHoldNoCookieInTheirNames() throws Exception {
        vinted = FakeVinted.builder().clock(clock).burstLimit(10_000, Duration.ofMinutes(5)).start();
        Path sink = temp.resolve("sink");
        daemon(Map.of("VINTED_BASE_URL", vinted.baseUrl(), "VINTED_MAX_REQUESTS_PER_5_MIN", "1000",
                "TOKENKEEPER_SINK_DIR", sink.toString()));
        String session = vinted.newSession();
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/vinted:admin",
                JSON.createObjectNode().put("cookie", session).toString());
        texts.add(imported.body());
        assertEquals(201, imported.statusCode(), imported.body());
        assertTrue(Files.exists(sink.resolve("vinted/admin.json")), "written when the import was committed");
        String json = Files.readString(sink.resolve("vinted/admin.json"));
        for (String name : List.of("vinted/admin.json", "vinted/admin.token")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sink.resolve(name))),
                    "without TOKENKEEPER_SINK_GROUP: " + name);
        }
        assertTrue(JSON.readTree(json).path("headers").path("Cookie").asText().contains("access_token_web="),
                "the sink's JSON gives consumers the Cookie header to send");
        vinted.revoke(session);
        texts.add(daemon.call("POST", "/api/v1/credentials/vinted:admin/refresh?force=true", null).body());
        JsonNode body = inbox.await("requires_configuration", 1, PATIENCE).get(0);
        assertEquals("vinted:admin", body.path("credential").asText());
        assertTrue(body.path("command").asText().startsWith("tokenkeeper import vinted --account admin --cookie-file"), body.toString());
        daemon.advance(Duration.ofMinutes(1));
        texts.add(daemon.call("POST", "/api/v1/credentials/vinted:admin/refresh?force=true", null).body());
        inbox.assertStaysAt(1, QUIET);
        try (Stream<Path> files = Files.walk(sink)) {
            List<String> names = files.map(path -> sink.relativize(path).toString()).toList();
            texts.add(String.join("\n", names));
            assertEquals(List.of("", "vinted", "vinted/admin.json", "vinted/admin.token"), names.stream().sorted().toList());
        }
    }

    private void importChain() {
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString());
        texts.add(imported.body());
        assertTrue(imported.statusCode() == 201 || imported.statusCode() == 200, "imported or replaced: " + imported.body());
    }
}
