package dev.tokenkeeper.daemon.notify;

/** Somewhere events go: a webhook or a command. */
public sealed interface Channel permits WebhookChannel, CommandChannel {

    /** @return {@code webhook} or {@code command}: the metric label, never the target */
    String kind();

    /** @return a stable name in this configuration, e.g. {@code webhook-1} */
    String name();

    /** @return where it goes, with every secret part hidden (a webhook's path and query) */
    String describe();

    /**
     * One attempt, bounded by the channel's timeout.
     *
     * @param notification the event
     * @return what happened
     */
    Delivery deliver(Notification notification);
}
