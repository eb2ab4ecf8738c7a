package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.ChangeListener;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoreChange;
import dev.tokenkeeper.api.StoreException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Notices other daemons' changes to a Supabase store cheaply: every poll interval, one small
 * PostgREST query for the id, version and {@code updated_at} of the rows changed since the newest
 * change it saw (less an overlap that covers writers whose clocks lag), and announces those whose
 * version it had not seen. Deletions are not visible this way; the daemon's sweep and its next
 * refresh attempt notice them. A failed poll is simply repeated: the next one asks from the same
 * point, so nothing is missed.
 *
 * <p>Consumers are few, so each poll also reads their rows whole (a second small query) and
 * announces {@link StoreChange.Consumers} when they differ from the last poll's: an added, revoked
 * or re-authenticated consumer reaches the daemon within one interval, and the daemon never has to
 * ask the store about a presented token.
 */
final class ChangePoller implements AutoCloseable {

    /** Rows per poll; more changed rows than this at once announce "re-read everything". */
    static final int MOST_ROWS = 1000;
    /** How far before the newest change seen a poll asks, for writers whose clocks lag. */
    static final Duration OVERLAP = Duration.ofSeconds(60);

    private final Function<Long, JsonNode> changedSince;
    private final Supplier<JsonNode> consumerRows;
    private final ChangeListener listener;
    private final Map<CredentialId, Long> versions = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "supabase-poll");
        thread.setDaemon(true);
        return thread;
    });
    private long newest = Long.MIN_VALUE;
    private boolean baseline = true;
    private JsonNode consumersSeen;

    /**
     * @param changedSince the rows (id, version, updated_at; oldest change first, at most
     *                     {@link #MOST_ROWS}) with {@code updated_at} at or after the given epoch millis
     * @param consumerRows every consumer row, every column, in a stable order
     * @param listener     told about changes
     */
    ChangePoller(Function<Long, JsonNode> changedSince, Supplier<JsonNode> consumerRows, ChangeListener listener) {
        this.changedSince = changedSince;
        this.consumerRows = consumerRows;
        this.listener = listener;
    }

    /**
     * Learns the current versions at once (so that a change after this returns is announced), then
     * polls every interval. When that first look fails, the first poll that succeeds announces
     * every row it sees.
     *
     * @param interval time between polls
     */
    void start(Duration interval) {
        try {
            poll();
        } catch (StoreException | IllegalArgumentException e) {
            synchronized (this) {
                baseline = false;
            }
        }
        timer.scheduleWithFixedDelay(this::pollQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (StoreException | IllegalArgumentException e) {
            // The store is down or answered oddly: the next poll asks from the same point.
        }
    }

    /** One poll; package-private for tests. */
    synchronized void poll() {
        long from = newest == Long.MIN_VALUE ? Long.MIN_VALUE : newest - OVERLAP.toMillis();
        JsonNode rows = changedSince.apply(from);
        // Both read before any state changes, so a failed read loses no announcement.
        JsonNode consumers = consumerRows.get();
        Set<CredentialId> changed = new LinkedHashSet<>();
        for (JsonNode row : rows) {
            CredentialId id = CredentialId.parse(Columns.text(row, "id"));
            long version = Columns.millis(row, "version");
            newest = Math.max(newest, Columns.millis(row, "updated_at"));
            Long known = versions.put(id, version);
            if (known == null || known != version) {
                changed.add(id);
            }
        }
        boolean consumersChanged = !consumers.equals(consumersSeen);
        consumersSeen = consumers;
        boolean first = baseline;
        baseline = false;
        if (first) {
            return;
        }
        if (consumersChanged) {
            listener.changed(new StoreChange.Consumers());
        }
        if (rows.size() >= MOST_ROWS) {
            listener.changed(new StoreChange.Everything());
        } else if (!changed.isEmpty()) {
            listener.changed(new StoreChange.Credentials(changed));
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
