package dev.tokenkeeper.daemon.notify;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.refresh.RefreshListener;
import io.micrometer.core.instrument.MeterRegistry;
import org.tinylog.Logger;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Tells a human when one is needed, and when it is over: watches every committed change (and, for
 * situations that come with time, every credential periodically), raises one event per change of
 * situation, and delivers it to every channel in the background. Its memory lives in
 * {@code <state>/notifications.json}, so a restart does not send an event twice.
 */
public final class Notifications implements RefreshListener, AutoCloseable {

    /**
     * One channel's answer to {@code notify test}.
     *
     * @param channel   the channel, described without secrets
     * @param kind      {@code webhook} or {@code command}
     * @param delivered whether it was delivered
     * @param detail    the HTTP status or exit code, or why not
     */
    public record TestResult(String channel, String kind, boolean delivered, String detail) {
    }

    private final List<Channel> channels;
    private final SituationTracker tracker;
    private final NotifyStateFile stateFile;
    private final DeliveryQueue queue;
    private final Consumer<Consumer<StoredCredential>> credentials;
    private final Clock clock;
    private final List<NotifyStateFile.Owed> owed = new ArrayList<>();
    private final Duration checkEvery;
    private ScheduledExecutorService ticker;

    private Notifications(List<Channel> channels, NotifySettings settings, String host, Path stateDirectory,
                          MeterRegistry metrics, Consumer<Consumer<StoredCredential>> credentials, Clock clock,
                          Function<String, Set<String>> importForms, Predicate<StoredCredential> untilExpiry) {
        this.channels = channels;
        this.credentials = credentials;
        this.clock = clock;
        this.checkEvery = settings.checkEvery();
        this.stateFile = new NotifyStateFile(stateDirectory.resolve("notifications.json"));
        this.tracker = new SituationTracker(settings.thresholds(), host, Map.of(), importForms, untilExpiry);
        this.queue = new DeliveryQueue(metrics, settings.retryBase(), settings.maxAttempts(), settings.queueCapacity(),
                this::settled);
    }

    /**
     * Builds the notifications; nothing is read or sent until {@link #start()}.
     *
     * @param settings       the daemon's settings
     * @param stateDirectory where the memory lives
     * @param metrics        where the counter lives
     * @param credentials    walks every stored credential a page at a time (at start and periodically)
     * @param clock          the time
     * @param importForms    the import forms of each provider, for the command that renews a credential
     * @return the notifications; without a channel configured they do nothing
     * @throws ConfigurationException when a URL is wrong (the message never quotes it)
     */
    public static Notifications of(Settings settings, Path stateDirectory, MeterRegistry metrics,
                                   Consumer<Consumer<StoredCredential>> credentials, Clock clock,
                                   Function<String, Set<String>> importForms) {
        return of(settings, stateDirectory, metrics, credentials, clock, importForms, credential -> false);
    }

    /**
     * Builds the notifications; nothing is read or sent until {@link #start()}.
     *
     * @param settings       the daemon's settings
     * @param stateDirectory where the memory lives
     * @param metrics        where the counter lives
     * @param credentials    walks every stored credential a page at a time (at start and periodically)
     * @param clock          the time
     * @param importForms    the import forms of each provider, for the command that renews a credential
     * @param untilExpiry    whether a credential's secret cannot refresh (its end is then fixed from the start)
     * @return the notifications; without a channel configured they do nothing
     * @throws ConfigurationException when a URL is wrong (the message never quotes it)
     */
    public static Notifications of(Settings settings, Path stateDirectory, MeterRegistry metrics,
                                   Consumer<Consumer<StoredCredential>> credentials, Clock clock,
                                   Function<String, Set<String>> importForms, Predicate<StoredCredential> untilExpiry) {
        NotifySettings notify = NotifySettings.from(settings);
        return new Notifications(channels(notify), notify, hostName(), stateDirectory, metrics, credentials, clock,
                importForms, untilExpiry);
    }

    /**
     * Reads the memory, resumes the deliveries a previous run still owed, checks every credential
     * now and then every {@code checkEvery}. Without a channel it does nothing.
     */
    public synchronized void start() {
        if (channels.isEmpty()) {
            return;
        }
        NotifyStateFile.Contents contents = stateFile.read();
        tracker.remember(contents.memories());
        for (NotifyStateFile.Owed entry : contents.owed()) {
            channels.stream().filter(channel -> channel.name().equals(entry.channel())).findFirst().ifPresent(channel -> {
                Logger.info("resuming the delivery of {} to {}", entry.event(), channel.describe());
                owed.add(entry);
                queue.submit(channel, entry.event());
            });
        }
        ticker = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "notify-check");
            thread.setDaemon(true);
            return thread;
        });
        long every = checkEvery.toMillis();
        ticker.scheduleWithFixedDelay(this::checkAll, every, every, TimeUnit.MILLISECONDS);
        Logger.info("notifications go to {}", describeChannels());
        checkAll();
    }

    /**
     * @param notify the notification settings
     * @return the configured channels, in order
     * @throws ConfigurationException when a URL is wrong
     */
    public static List<Channel> channels(NotifySettings notify) {
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < notify.urls().size(); i++) {
            try {
                channels.add(new WebhookChannel("webhook-" + (i + 1), notify.urls().get(i), notify.timeout()));
            } catch (IllegalArgumentException e) {
                throw new ConfigurationException(e.getMessage());
            }
        }
        notify.command().ifPresent(command -> channels.add(new CommandChannel(command, notify.timeout())));
        return List.copyOf(channels);
    }

    /** @return the channels, described without secrets */
    public List<String> describeChannels() {
        return channels.stream().map(Channel::describe).toList();
    }

    /**
     * Sends a {@code test} event to every channel now, one attempt each.
     *
     * @return per channel, delivered or why not
     */
    public List<TestResult> sendTest() {
        Notification test = tracker.test(clock.instant());
        List<TestResult> results = new ArrayList<>();
        for (Channel channel : channels) {
            Delivery delivery = queue.once(channel, test);
            Logger.info("test notification to {}: {}", channel.describe(), delivery.detail());
            results.add(new TestResult(channel.describe(), channel.kind(), delivery instanceof Delivery.Delivered,
                    delivery.detail()));
        }
        return results;
    }

    @Override
    public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        observe(credential);
    }

    @Override
    public void removed(CredentialId id) {
        if (channels.isEmpty()) {
            return;
        }
        synchronized (this) {
            tracker.forget(id);
            save();
        }
    }

    /**
     * Checks every credential now, as the ticker does every {@code checkEvery}: an in-process test
     * calls it after moving the clock. Without a channel it does nothing.
     */
    public void checkAll() {
        if (channels.isEmpty()) {
            return;
        }
        try {
            credentials.accept(this::observe);
        } catch (RuntimeException e) {
            Logger.warn("notification check skipped: {}", e.getMessage());
        }
    }

    private void observe(StoredCredential credential) {
        if (channels.isEmpty()) {
            return;
        }
        Optional<Notification> event;
        synchronized (this) {
            event = tracker.observe(credential, clock.instant());
            if (event.isEmpty()) {
                if (tracker.takeDirty()) {
                    save();
                }
                return;
            }
            tracker.takeDirty();
            owe(event.get());
        }
        send(event.get());
    }

    /**
     * Tells the channels again that a credential needs a human, with its newest reason: a later
     * failure (a sign-in that met a captcha) after the one already told. Without a channel it does nothing.
     *
     * @param credential the credential as committed, needing a human
     */
    public void humanStillNeeded(StoredCredential credential) {
        if (channels.isEmpty()) {
            return;
        }
        Notification event;
        synchronized (this) {
            event = tracker.again(credential, clock.instant());
            tracker.takeDirty();
            owe(event);
        }
        send(event);
    }

    private void owe(Notification event) {
        channels.forEach(channel -> owed.add(new NotifyStateFile.Owed(channel.name(), event)));
        // Persisted before the first attempt: a restart neither raises it again nor forgets it.
        save();
    }

    private void send(Notification event) {
        Logger.info("notification {}: {}", event, event.text());
        channels.forEach(channel -> queue.submit(channel, event));
    }

    private synchronized void settled(Channel channel, Notification notification) {
        owed.removeIf(entry -> entry.channel().equals(channel.name()) && entry.event().id().equals(notification.id()));
        save();
    }

    private void save() {
        stateFile.write(tracker.snapshot(), List.copyOf(owed));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        queue.close();
    }
}
