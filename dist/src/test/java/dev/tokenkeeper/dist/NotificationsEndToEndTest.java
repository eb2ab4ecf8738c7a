package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Notifications end to end: the real daemon, the Gazelle imitation and a local webhook receiver.
 * Every test ends by grepping the daemon's output, every notification body, the notification state
 * file and (where used) the sink's file names for every token the imitation issued, the client
 * secret and the webhook URL's secret path.
 */
class NotificationsEndToEndTest {

    @TempDir
    Path temp;

    private FakeGazelle gazelle;
    private dev.tokenkeeper.provider.vinted.FakeVinted vinted;
    private WebhookReceiver receiver;
    private final List<DaemonProcess> daemons = new ArrayList<>();
    private final List<String> extraTexts = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        gazelle = FakeGazelle.start();
        receiver = new WebhookReceiver();
    }

    @AfterEach
    void stopAndGrepForSecrets() throws Exception {
        for (DaemonProcess daemon : daemons) {
            daemon.stop();
        }
        try {
            List<String> texts = new ArrayList<>(extraTexts);
            for (DaemonProcess daemon : daemons) {
                texts.add(daemon.output());
                Path state = daemon.stateDir().resolve("notifications.json");
                if (Files.exists(state)) {
                    texts.add(Files.readString(state));
                }
            }
            receiver.requests().forEach(request -> texts.add(request.path().replace(receiver.secret(), "") + request.body()));
            for (String text : texts) {
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(text.contains(secret), "a token or code leaked: " + excerpt(text, secret));
                }
                assertFalse(text.contains(gazelle.clientSecret()), "the client secret leaked");
                if (vinted != null) {
                    for (String secret : vinted.allIssuedSecrets()) {
                        assertFalse(text.contains(secret), "a Vinted cookie leaked: " + excerpt(text, secret));
                    }
                }
                assertFalse(text.contains(receiver.secret()), "the webhook URL's secret path leaked: "
                        + excerpt(text, receiver.secret()));
            }
        } finally {
            receiver.close();
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

    private DaemonProcess daemon(Path state, Map<String, String> extra) throws Exception {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("TOKENKEEPER_NOTIFY_URL", receiver.url());
        env.put("TOKENKEEPER_NOTIFY_RETRY_SECONDS", "0.5");
        env.put("TOKENKEEPER_NOTIFY_CHECK_SECONDS", "1");
        // A slow answer on a loaded machine must still arrive: a timed-out rotation would spend the chain
        // and raise a requires_configuration these tests do not expect.
        env.put("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "20");
        env.putAll(extra);
        DaemonProcess daemon = new DaemonProcess(state, env);
        daemons.add(daemon);
        return daemon.start();
    }

    private void importChain(DaemonProcess daemon) throws Exception {
        Path file = Files.createTempFile(temp, "token", ".json");
        Files.writeString(file, gazelle.seedChain("default"));
        DaemonProcess.Response imported = daemon.cli("import", "gazelle", "--token-json", file.toString());
        assertEquals(0, imported.status(), imported.body());
    }

    private void assertNoMoreRequestsFor(Duration quiet, int expected) {
        try {
            await().during(quiet).atMost(quiet.plusSeconds(10)).until(() -> receiver.requests().size() == expected);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("expected " + expected + " webhook requests, got " + receiver.requests().stream()
                    .map(request -> request.status() + " " + request.json().path("event").asText() + " "
                            + request.json().path("status").asText() + " " + request.json().path("reason").asText()).toList(), e);
        }
    }

    @Test
    void invalidGrantRaisesOneRequiresConfigurationAndReimportOneRecovered() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(3));
        DaemonProcess daemon = daemon(temp.resolve("state"), Map.of());
        importChain(daemon);
        await().atMost(Duration.ofSeconds(20)).until(() -> gazelle.refreshRequestCount() >= 1);
        gazelle.revokeChain("default");
        Instant revoked = Instant.now();

        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.delivered("requires_configuration").size() == 1);
        WebhookReceiver.Request first = receiver.delivered("requires_configuration").get(0);
        assertTrue(Duration.between(revoked, first.at()).compareTo(Duration.ofSeconds(10)) < 0);
        System.out.println("measured: requires_configuration POST " + Duration.between(revoked, first.at()).toMillis()
                + " ms after the chain was revoked");
        JsonNode body = first.json();
        assertEquals("gazelle:default", body.path("credential").asText());
        assertEquals("gazelle", body.path("provider").asText());
        assertEquals("default", body.path("account").asText());
        assertEquals("requires_configuration", body.path("status").asText());
        assertTrue(body.path("reason").asText().contains("invalid_grant"), body.toString());
        assertEquals("tokenkeeper authorize gazelle --account default", body.path("command").asText());
        assertTrue(body.path("text").asText().contains("gazelle:default"), body.toString());
        assertEquals(body.path("text").asText(), body.path("content").asText());
        assertFalse(body.path("host").asText().isEmpty());
        Instant.parse(body.path("at").asText());

        // Further failed attempts (three forced refreshes, each answered invalid_grant) raise nothing.
        int upstreamBefore = gazelle.refreshRequestCount();
        for (int i = 0; i < 3; i++) {
            daemon.cli("refresh", "gazelle:default", "--force");
        }
        assertTrue(gazelle.refreshRequestCount() >= upstreamBefore + 3, "the forced refreshes reached the upstream");
        assertNoMoreRequestsFor(Duration.ofSeconds(3), 1);

        importChain(daemon);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.delivered("recovered").size() == 1);
        assertNoMoreRequestsFor(Duration.ofSeconds(3), 2);
        System.out.println("measured: webhook requests " + receiver.requests().stream().map(WebhookReceiver.Request::event).toList()
                + " for " + gazelle.refreshRequestCount() + " refresh requests at the upstream");
        assertEquals("active", receiver.delivered("recovered").get(0).json().path("status").asText());
    }

    @Test
    void aFailingReceiverGetsItOnceAfterRetriesAndRestartsDoNotSendItTwice() throws Exception {
        receiver.failNext(3);
        // Retries 2 s apart, so the first restart falls between them.
        Map<String, String> env = Map.of("TOKENKEEPER_NOTIFY_RETRY_SECONDS", "2", "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        Path state = temp.resolve("state");
        DaemonProcess daemon = daemon(state, env);
        importChain(daemon);
        gazelle.revokeChain("default");
        daemon.cli("refresh", "gazelle:default", "--force");
        await().atMost(Duration.ofSeconds(10)).until(() -> !receiver.requests().isEmpty());
        assertEquals(500, receiver.requests().get(0).status());

        // Restart while the delivery is still owed: it is resumed, not forgotten and not raised again.
        daemon.stop();
        DaemonProcess second = daemon(state, env);
        await().atMost(Duration.ofSeconds(40)).until(() -> receiver.delivered("requires_configuration").size() == 1);
        List<WebhookReceiver.Request> all = receiver.requests();
        assertEquals(4, all.size(), "three 500s, then one delivery: " + all.stream().map(WebhookReceiver.Request::status).toList());
        assertEquals(1, all.stream().map(request -> request.json().path("id").asText()).distinct().count(),
                "every attempt carries the same event id");

        // Another restart once delivered: nothing is sent again.
        second.stop();
        daemon(state, env);
        assertNoMoreRequestsFor(Duration.ofSeconds(4), 4);
        assertEquals(1, receiver.delivered("requires_configuration").size());
        System.out.println("measured: receiver statuses across two restarts " + receiver.requests().stream()
                .map(WebhookReceiver.Request::status).toList());
    }

    @Test
    void aChainWithAFixedEndRaisesExpiringAtBothThresholds() throws Exception {
        // Refreshes about 5 s apart: far enough apart to see that the end does not move.
        gazelle.accessLifetime(Duration.ofSeconds(6)).rotateRefreshTokens(false).refreshTokenLifetime(Duration.ofSeconds(50));
        // 7 days and 1 day, scaled down to 30 s and 15 s.
        DaemonProcess daemon = daemon(temp.resolve("state"), Map.of(
                "TOKENKEEPER_NOTIFY_EXPIRING_FIRST_SECONDS", "30", "TOKENKEEPER_NOTIFY_EXPIRING_LAST_SECONDS", "15"));
        importChain(daemon);
        Instant end = Instant.parse(daemon.call("GET", "/api/v1/credentials/gazelle:default", null).json()
                .path("refreshExpiresAt").asText());

        await().atMost(Duration.ofSeconds(60)).until(() -> receiver.delivered("expiring").size() == 2);
        List<WebhookReceiver.Request> expiring = receiver.delivered("expiring");
        Instant firstAt = Instant.parse(expiring.get(0).json().path("at").asText());
        Instant secondAt = Instant.parse(expiring.get(1).json().path("at").asText());
        assertTrue(!firstAt.isBefore(end.minusSeconds(31)) && firstAt.isBefore(end.minusSeconds(15)),
                "first at " + firstAt + ", end " + end);
        assertTrue(!secondAt.isBefore(end.minusSeconds(16)) && secondAt.isBefore(end), "second at " + secondAt + ", end " + end);
        System.out.println("measured: expiring at end-" + Duration.between(firstAt, end).toMillis() + " ms and end-"
                + Duration.between(secondAt, end).toMillis() + " ms (thresholds 30000 and 15000 ms)");
        for (WebhookReceiver.Request request : expiring) {
            JsonNode body = request.json();
            assertEquals("gazelle:default", body.path("credential").asText());
            assertTrue(Duration.between(end, Instant.parse(body.path("refreshExpiresAt").asText())).abs().getSeconds() <= 2);
            assertEquals("tokenkeeper authorize gazelle --account default", body.path("command").asText());
        }
        // Then the chain ends: a human is needed, once.
        await().atMost(Duration.ofSeconds(40)).until(() -> receiver.delivered("requires_configuration").size() == 1);
        assertEquals(2, receiver.delivered("expiring").size());
    }

    @Test
    void notifyTestReportsEachChannelAndTheCommandGetsTheJsonOnStdin() throws Exception {
        Path hookOut = temp.resolve("hook");
        Files.createDirectories(hookOut);
        Map<String, String> env = new HashMap<>();
        // The second URL has nobody listening: `notify test` must say why it was not delivered.
        env.put("TOKENKEEPER_NOTIFY_URL", receiver.url() + ",http://127.0.0.1:1/closed/whsecretclosed");
        env.put("TOKENKEEPER_NOTIFY_COMMAND", "cat > " + hookOut + "/$TOKENKEEPER_EVENT.json; echo hook ran for $TOKENKEEPER_EVENT");
        env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
        DaemonProcess daemon = daemon(temp.resolve("state"), env);

        Instant started = Instant.now();
        DaemonProcess.Response test = daemon.cli("notify", "test");
        System.out.println("measured: notify test took " + Duration.between(started, Instant.now()).toMillis() + " ms:\n"
                + test.body());
        extraTexts.add(test.body());
        assertEquals(1, test.status(), "one channel fails: " + test.body());
        String[] lines = test.body().trim().split("\n");
        assertEquals(3, lines.length, test.body());
        assertTrue(lines[0].startsWith("webhook-1 http://127.0.0.1:") && lines[0].contains(": delivered (HTTP 200)"), lines[0]);
        assertTrue(lines[1].startsWith("webhook-2 http://127.0.0.1:1/***") && lines[1].contains("NOT delivered"), lines[1]);
        assertTrue(lines[2].startsWith("command cat ...") && lines[2].contains(": delivered (exit 0)"), lines[2]);
        assertFalse(test.body().contains("whsecretclosed"));

        JsonNode fromStdin = DaemonProcess.JSON.readTree(hookOut.resolve("test.json").toFile());
        assertEquals("test", fromStdin.path("event").asText());
        assertEquals(receiver.delivered("test").get(0).json().path("id").asText(), fromStdin.path("id").asText());
        assertTrue(daemon.output().contains("hook ran for test"), "the command's output is in the log");

        started = Instant.now();
        DaemonProcess.Response doctor = daemon.cli("doctor");
        System.out.println("measured: doctor took " + Duration.between(started, Instant.now()).toMillis() + " ms");
        extraTexts.add(doctor.body());
        assertTrue(doctor.body().contains("webhook-1 http://127.0.0.1:") && doctor.body().contains("/***"), doctor.body());
        assertFalse(doctor.body().contains("whsecretclosed"), doctor.body());

        String metrics = daemon.call("GET", "/metrics", null).body();
        assertTrue(metrics.contains("tokenkeeper_notifications_total{channel=\"webhook\",outcome=\"delivered\"} 1.0"), metrics);
        assertTrue(metrics.contains("tokenkeeper_notifications_total{channel=\"webhook\",outcome=\"failed\"} 1.0"), metrics);
        assertTrue(metrics.contains("tokenkeeper_notifications_total{channel=\"command\",outcome=\"delivered\"} 1.0"), metrics);
    }

    @Test
    void transientFailuresLongerThanTheThresholdRaiseFailingOnceThenRecovered() throws Exception {
        DaemonProcess daemon = daemon(temp.resolve("state"), Map.of("TOKENKEEPER_NOTIFY_FAILING_AFTER_SECONDS", "3"));
        importChain(daemon);
        gazelle.tokenFault(FakeGazelle.Fault.serviceUnavailable());
        Instant failingFrom = Instant.now();
        daemon.cli("refresh", "gazelle:default", "--force");
        await().atMost(Duration.ofSeconds(15)).until(() -> receiver.delivered("failing").size() == 1);
        JsonNode body = receiver.delivered("failing").get(0).json();
        assertTrue(Duration.between(failingFrom, Instant.parse(body.path("at").asText())).compareTo(Duration.ofSeconds(3)) >= 0,
                "not before the threshold: " + body);
        assertEquals("active", body.path("status").asText(), "the token is still valid and served");
        assertFalse(body.path("accessExpiresAt").asText().isEmpty());
        // The retries go on failing: still one event.
        await().atMost(Duration.ofSeconds(30)).until(() -> gazelle.refreshRequestCount() >= 3);
        assertEquals(1, receiver.requests().size());
        gazelle.tokenFault(FakeGazelle.Fault.normal());
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.delivered("recovered").size() == 1);
        assertNoMoreRequestsFor(Duration.ofSeconds(3), 2);
    }

    @Test
    void aRejectedVintedSessionRaisesOneEventAndItsSinkFilesHoldNoCookieInTheirNames() throws Exception {
        vinted = dev.tokenkeeper.provider.vinted.FakeVinted.builder().accessTokenLifetime(Duration.ofSeconds(120))
                .refreshTokenLifetime(Duration.ofMinutes(30)).burstLimit(10_000, Duration.ofMinutes(5)).start();
        Path sink = temp.resolve("sink");
        DaemonProcess daemon = daemon(temp.resolve("state"), Map.of("VINTED_BASE_URL", vinted.baseUrl(),
                "VINTED_MAX_REQUESTS_PER_5_MIN", "1000", "TOKENKEEPER_SINK_DIR", sink.toString()));
        String session = vinted.newSession();
        assertEquals(0, daemon.cli("import", "vinted", "--account", "admin", "--cookie", session).status());
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(sink.resolve("vinted/admin.json")));
        String json = Files.readString(sink.resolve("vinted/admin.json"));
        for (String name : List.of("vinted/admin.json", "vinted/admin.token")) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(sink.resolve(name))), "without TOKENKEEPER_SINK_GROUP: " + name);
        }
        assertTrue(DaemonProcess.JSON.readTree(json).path("headers").path("Cookie").asText().contains("access_token_web="),
                "the sink's JSON gives consumers the Cookie header to send");
        vinted.revoke(session);
        daemon.cli("refresh", "vinted:admin", "--force");
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.delivered("requires_configuration").size() == 1);
        JsonNode body = receiver.delivered("requires_configuration").get(0).json();
        assertEquals("vinted:admin", body.path("credential").asText());
        assertTrue(body.path("command").asText().startsWith("tokenkeeper import vinted --account admin --cookie-file"), body.toString());
        daemon.cli("refresh", "vinted:admin", "--force");
        assertNoMoreRequestsFor(Duration.ofSeconds(3), 1);
        try (Stream<Path> files = Files.walk(sink)) {
            List<String> names = files.map(path -> sink.relativize(path).toString()).toList();
            extraTexts.add(String.join("\n", names));
            assertEquals(List.of("", "vinted", "vinted/admin.json", "vinted/admin.token"),
                    names.stream().sorted().toList());
        }
    }
}
