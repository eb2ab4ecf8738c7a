package dev.tokenkeeper.daemon.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.tinylog.Logger;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Delivers events in the background: at most {@code capacity} waiting, each attempt bounded by its
 * channel's timeout, retried with doubling delays (capped at five minutes, with jitter) up to a
 * number of attempts. Counts {@code tokenkeeper_notifications_total{channel,outcome}}.
 */
final class DeliveryQueue implements AutoCloseable {

    private static final Duration LONGEST_DELAY = Duration.ofMinutes(5);

    private final ScheduledThreadPoolExecutor executor;
    private final MeterRegistry metrics;
    private final Duration retryBase;
    private final int maxAttempts;
    private final int capacity;
    private final BiConsumer<Channel, Notification> settled;
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * @param metrics     where the counter lives
     * @param retryBase   the first retry delay
     * @param maxAttempts attempts before giving up
     * @param capacity    deliveries waiting at most
     * @param settled     told when a delivery is done with (delivered, given up or dropped)
     */
    DeliveryQueue(MeterRegistry metrics, Duration retryBase, int maxAttempts, int capacity,
                  BiConsumer<Channel, Notification> settled) {
        this.metrics = metrics;
        this.retryBase = retryBase;
        this.maxAttempts = maxAttempts;
        this.capacity = capacity;
        this.settled = settled;
        AtomicInteger threads = new AtomicInteger();
        this.executor = new ScheduledThreadPoolExecutor(2, task -> {
            Thread thread = new Thread(task, "notify-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * @param channel      where
     * @param notification what
     * @return false when the queue was full and the delivery was dropped
     */
    boolean submit(Channel channel, Notification notification) {
        if (waiting.incrementAndGet() > capacity) {
            waiting.decrementAndGet();
            count(channel, "dropped");
            Logger.error("notification queue full ({} waiting): dropped {} for {}", capacity, notification, channel.describe());
            settled.accept(channel, notification);
            return false;
        }
        schedule(channel, notification, 1, Duration.ZERO);
        return true;
    }

    /**
     * One attempt now, on the caller's thread (for {@code notify test}).
     *
     * @param channel      where
     * @param notification what
     * @return what happened
     */
    Delivery once(Channel channel, Notification notification) {
        Delivery delivery = safely(channel, notification);
        count(channel, delivery instanceof Delivery.Retry ? "failed" : delivery.outcome());
        return delivery;
    }

    private void schedule(Channel channel, Notification notification, int attempt, Duration delay) {
        try {
            executor.schedule(() -> attempt(channel, notification, attempt), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Shutting down: the delivery stays owed in the state file and is resumed at the next start.
            waiting.decrementAndGet();
        }
    }

    private void attempt(Channel channel, Notification notification, int attempt) {
        Delivery delivery = safely(channel, notification);
        if (delivery instanceof Delivery.Retry && attempt < maxAttempts && !executor.isShutdown()) {
            count(channel, "retry");
            Duration delay = delay(attempt);
            Logger.warn("notification {} to {} failed (attempt {}): {}; next try in {} s", notification, channel.describe(),
                    attempt, delivery.detail(), Math.max(1, delay.toSeconds()));
            schedule(channel, notification, attempt + 1, delay);
            return;
        }
        waiting.decrementAndGet();
        if (delivery instanceof Delivery.Retry && executor.isShutdown()) {
            return;
        }
        if (delivery instanceof Delivery.Delivered) {
            count(channel, "delivered");
            Logger.info("notification {} delivered to {} ({}{})", notification, channel.describe(), delivery.detail(),
                    attempt > 1 ? ", attempt " + attempt : "");
        } else {
            count(channel, "failed");
            Logger.error("notification {} to {} given up after {} attempts: {}", notification, channel.describe(), attempt,
                    delivery.detail());
        }
        settled.accept(channel, notification);
    }

    private Delivery safely(Channel channel, Notification notification) {
        try {
            return channel.deliver(notification);
        } catch (RuntimeException e) {
            return new Delivery.Retry("channel failed with " + e.getClass().getSimpleName());
        }
    }

    private Duration delay(int attempt) {
        long base = retryBase.toMillis() << Math.min(attempt - 1, 20);
        long capped = Math.min(base, LONGEST_DELAY.toMillis());
        long jitter = (long) (capped * 0.1 * ThreadLocalRandom.current().nextDouble());
        return Duration.ofMillis(capped + jitter);
    }

    private void count(Channel channel, String outcome) {
        Counter.builder("tokenkeeper.notifications")
                .description("notification deliveries by channel kind and outcome")
                .tag("channel", channel.kind())
                .tag("outcome", outcome)
                .register(metrics)
                .increment();
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(0, TimeUnit.SECONDS)) {
                executor.shutdownNow();
                executor.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }
}
