package dev.tokenkeeper.daemon.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each body format against the shape its service documents, posted to a real local HTTP server. */
class WebhookChannelTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A request as the receiver saw it. */
    record Received(String path, String contentType, JsonNode body, String authorization) {
    }

    private Javalin server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private String base;

    @BeforeEach
    void start() {
        server = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.routes.post("/*", ctx -> {
                received.add(new Received(ctx.path(), ctx.header("Content-Type"), JSON.readTree(ctx.body()),
                        ctx.header("Authorization")));
                ctx.status(status.get());
            });
        }).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private static Notification event() {
        SituationTracker tracker = new SituationTracker(new SituationTracker.Thresholds(Duration.ofHours(1), Duration.ofDays(7),
                Duration.ofDays(1)), "box", Map.of());
        Instant now = Instant.parse("2026-03-01T00:00:00Z");
        return tracker.observe(new dev.tokenkeeper.api.StoredCredential(new dev.tokenkeeper.api.CredentialId("vinted", "admin"),
                dev.tokenkeeper.api.CredentialStatus.REQUIRES_CONFIGURATION, dev.tokenkeeper.api.SealedSecret.of(new byte[] {1}),
                now, Optional.of(now.plusSeconds(7200)), Optional.empty(), 3, Optional.of(now),
                Optional.of("session rejected (HTTP 401)"), now), now).orElseThrow();
    }

    @Test
    void slackAndMattermostReadText() {
        WebhookChannel slack = new WebhookChannel("webhook-1", base + "/services/T0001/B0001/XXXXSECRETXXXX", Duration.ofSeconds(5));
        assertEquals(WebhookChannel.Format.GENERIC, slack.format());
        assertInstanceOf(Delivery.Delivered.class, slack.deliver(event()));
        Received request = received.get(0);
        assertEquals("/services/T0001/B0001/XXXXSECRETXXXX", request.path());
        assertEquals("application/json", request.contentType());
        // Slack's and Mattermost's incoming webhooks: a JSON object whose "text" is the message.
        assertTrue(request.body().path("text").isTextual());
        assertTrue(request.body().path("text").asText().contains("vinted:admin"));
        assertEquals("requires_configuration", request.body().path("event").asText());
        assertEquals("vinted:admin", request.body().path("credential").asText());
    }

    @Test
    void discordReadsContentOfAtMost2000Characters() {
        WebhookChannel discord = new WebhookChannel("webhook-1", base + "/api/webhooks/123/SECRETTOKEN", Duration.ofSeconds(5));
        assertInstanceOf(Delivery.Delivered.class, discord.deliver(event()));
        JsonNode body = received.get(0).body();
        // Discord's execute-webhook: "content" (up to 2000 characters) or embeds is required.
        assertTrue(body.path("content").isTextual());
        assertFalse(body.path("content").asText().isBlank());
        assertTrue(body.path("content").asText().length() <= 2000);
        assertFalse(body.has("embeds"));
    }

    @Test
    void ntfyGetsItsJsonPublishingAtTheRoot() {
        WebhookChannel ntfy = new WebhookChannel("webhook-1", "ntfy+" + base + "/tk-alerts-s3cr3t", Duration.ofSeconds(5));
        assertEquals(WebhookChannel.Format.NTFY, ntfy.format());
        assertInstanceOf(Delivery.Delivered.class, ntfy.deliver(event()));
        Received request = received.get(0);
        // ntfy publishes JSON only when it is posted to the root URL, with the topic in the body.
        assertEquals("/", request.path());
        assertEquals("tk-alerts-s3cr3t", request.body().path("topic").asText());
        assertTrue(request.body().path("message").asText().contains("vinted:admin"));
        assertTrue(request.body().path("title").asText().contains("requires_configuration"));
        assertTrue(request.body().path("tags").isArray());
        int priority = request.body().path("priority").asInt();
        assertTrue(priority >= 1 && priority <= 5);
        assertEquals(WebhookChannel.Format.NTFY,
                new WebhookChannel("webhook-2", "https://ntfy.sh/mytopic", Duration.ofSeconds(1)).format());
    }

    @Test
    void credentialsInTheUrlGoAsBasicAuthenticationAndAreNeverShown() {
        WebhookChannel ntfy = new WebhookChannel("webhook-1", "ntfy+" + base.replace("://", "://:tk_SECRETACCESS@") + "/alerts",
                Duration.ofSeconds(5));
        assertInstanceOf(Delivery.Delivered.class, ntfy.deliver(event()));
        assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString(":tk_SECRETACCESS".getBytes()),
                received.get(0).authorization());
        assertEquals("/", received.get(0).path());
        assertFalse(ntfy.describe().contains("SECRET"), ntfy.describe());
    }

    @Test
    void answersDecideRetryOrGiveUpAndTheUrlStaysHidden() {
        WebhookChannel channel = new WebhookChannel("webhook-1", base + "/hook/SECRETPATH?key=SECRETQUERY", Duration.ofSeconds(5));
        status.set(503);
        assertInstanceOf(Delivery.Retry.class, channel.deliver(event()));
        status.set(429);
        assertInstanceOf(Delivery.Retry.class, channel.deliver(event()));
        status.set(404);
        assertInstanceOf(Delivery.Failed.class, channel.deliver(event()));
        assertEquals("webhook-1 http://127.0.0.1:" + server.port() + "/***", channel.describe());
        server.stop();
        Delivery down = channel.deliver(event());
        assertInstanceOf(Delivery.Retry.class, down);
        assertFalse(down.detail().contains("SECRET"), down.detail());
    }

    @Test
    void plainHttpGoesOnlyToThisMachineAndTheRefusalShowsTheUrlRedacted() {
        for (String remote : List.of("http://:tk_SECRETACCESS@ntfy.example.com/alerts", "ntfy+http://ntfy.example.com/SECRETTOPIC",
                "http://hooks.example.com/services/SECRETPATH?key=SECRETQUERY", "HTTP://10.0.0.7:8080/SECRETPATH",
                "http://127.0.0.1.example.com/SECRETPATH", "http://[::2]/SECRETPATH")) {
            IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new WebhookChannel("webhook-2", remote, Duration.ofSeconds(1)), remote);
            assertTrue(refused.getMessage().contains("TOKENKEEPER_NOTIFY_URL entry webhook-2")
                    && refused.getMessage().contains("use https://"), refused.getMessage());
            assertFalse(refused.getMessage().contains("SECRET"), refused.getMessage());
        }
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new WebhookChannel("webhook-1", "http://:tk_SECRETACCESS@ntfy.example.com/alerts", Duration.ofSeconds(1)))
                .getMessage().contains("(http://ntfy.example.com/***)"));
        for (String allowed : List.of(base + "/hook", "http://localhost:9/hook", "http://[::1]:9/hook", "http://127.0.0.2/hook",
                "https://ntfy.example.com/alerts", "ntfy+https://push.example.com/alerts", "https://hooks.slack.com/services/T/B/X")) {
            new WebhookChannel("webhook-1", allowed, Duration.ofSeconds(1));
        }
    }
}
