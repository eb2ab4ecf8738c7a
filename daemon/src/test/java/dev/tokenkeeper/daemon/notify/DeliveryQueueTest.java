package dev.tokenkeeper.daemon.notify;

import io.javalin.Javalin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Background delivery against a real local receiver: retries, the bound on waiting deliveries, timeouts. */
class DeliveryQueueTest {

    private Javalin receiver;
    private final AtomicInteger failFirst = new AtomicInteger();
    private final List<Integer> answered = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final List<String> settled = new CopyOnWriteArrayList<>();
    private String base;

    @BeforeEach
    void start() {
        receiver = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.routes.post("/hook", ctx -> {
                int status = failFirst.getAndUpdate(left -> Math.max(0, left - 1)) > 0 ? 503 : 200;
                answered.add(status);
                ctx.status(status);
            });
            config.routes.post("/slow", ctx -> {
                release.await(20, TimeUnit.SECONDS);
                ctx.status(200);
            });
        }).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + receiver.port();
    }

    @AfterEach
    void stop() {
        release.countDown();
        receiver.stop();
    }

    private static Notification test() {
        return new SituationTracker(new SituationTracker.Thresholds(Duration.ofHours(1), Duration.ofDays(7), Duration.ofDays(1)),
                "box", Map.of()).test(Instant.now());
    }

    private double count(String outcome) {
        var counter = metrics.find("tokenkeeper.notifications").tag("channel", "webhook").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aFailingReceiverGetsTheEventOnceAfterRetries() {
        failFirst.set(3);
        try (DeliveryQueue queue = new DeliveryQueue(metrics, Duration.ofMillis(100), 10, 10,
                (channel, event) -> settled.add(event.id()))) {
            Notification event = test();
            assertTrue(queue.submit(new WebhookChannel("webhook-1", base + "/hook", Duration.ofSeconds(5)), event));
            await().atMost(Duration.ofSeconds(15)).until(() -> settled.size() == 1);
            assertEquals(List.of(503, 503, 503, 200), answered);
            assertEquals(List.of(event.id()), settled);
            assertEquals(3, count("retry"));
            assertEquals(1, count("delivered"));
        }
    }

    @Test
    void givesUpAfterTheLastAttempt() {
        failFirst.set(100);
        try (DeliveryQueue queue = new DeliveryQueue(metrics, Duration.ofMillis(50), 3, 10, (channel, event) -> settled.add(event.id()))) {
            queue.submit(new WebhookChannel("webhook-1", base + "/hook", Duration.ofSeconds(5)), test());
            await().atMost(Duration.ofSeconds(15)).until(() -> settled.size() == 1);
            assertEquals(3, answered.size());
            assertEquals(1, count("failed"));
        }
    }

    @Test
    void deliveriesBeyondTheBoundAreDroppedAndCounted() {
        try (DeliveryQueue queue = new DeliveryQueue(metrics, Duration.ofSeconds(1), 3, 1, (channel, event) -> settled.add(event.id()))) {
            WebhookChannel slow = new WebhookChannel("webhook-1", base + "/slow", Duration.ofSeconds(20));
            assertTrue(queue.submit(slow, test()));
            Notification second = test();
            assertFalse(queue.submit(slow, second));
            assertEquals(1, count("dropped"));
            assertEquals(List.of(second.id()), settled, "a dropped delivery is no longer owed");
            release.countDown();
            await().atMost(Duration.ofSeconds(15)).until(() -> count("delivered") == 1);
        }
    }

    @Test
    void anAttemptEndsAtTheTimeout() {
        long started = System.nanoTime();
        Delivery delivery = new WebhookChannel("webhook-1", base + "/slow", Duration.ofSeconds(1)).deliver(test());
        assertInstanceOf(Delivery.Retry.class, delivery);
        assertTrue(delivery.detail().contains("no answer within 1 s"), delivery.detail());
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(10)) < 0);
    }
}
