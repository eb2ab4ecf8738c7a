package dev.tokenkeeper.daemon.changes;

import dev.tokenkeeper.api.ChangeListener;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoreChange;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.ChangeFeed;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.schedule.RefreshScheduler;
import org.tinylog.Logger;

import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Follows the store's change announcements ({@link dev.tokenkeeper.api.store.ChangeFeed}, when the store offers one): a credential another daemon
 * imported, refreshed or deleted is read again, its opened secret replaces the cached one, and the
 * scheduler re-plans it. Announcements are coalesced and handled on one thread of its own, so the
 * store's notification thread never waits for a store read; a read that fails is tried again.
 * When announcements were missed (the feed overflowed or reconnected) nothing is read: the token
 * cache is emptied, so each credential is read again on its next use, and the scheduler is asked to
 * re-plan (its own business how: the in-memory plan reads every row, a plan in the store nothing).
 * It re-plans only: it never publishes to the pipeline's listeners, so what other daemons did is
 * not counted or written again (metrics, a legacy settings row) by this one.
 */
public final class ChangeFollower implements ChangeListener, AutoCloseable {

    private static final long RETRY_SECONDS = 5;

    private final TokenStore store;
    private final RefreshPipeline pipeline;
    private final RefreshScheduler scheduler;
    private final Set<CredentialId> pending = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean everything = new AtomicBoolean();
    private final AtomicBoolean queued = new AtomicBoolean();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "store-changes");
        thread.setDaemon(true);
        return thread;
    });

    private volatile Runnable consumersChanged = () -> { };
    private volatile Runnable replanAll = () -> { };

    /**
     * @param store     the store (reads go through the spool, so a store that is down gives the last rows seen)
     * @param pipeline  opens secrets into the token cache, forgets deleted credentials
     * @param scheduler re-plans changed credentials
     */
    public ChangeFollower(TokenStore store, RefreshPipeline pipeline, RefreshScheduler scheduler) {
        this.store = store;
        this.pipeline = pipeline;
        this.scheduler = scheduler;
    }

    /**
     * @param replan re-plans every credential after missed announcements (the in-memory plan reads every
     *               row again; a plan kept in the store needs nothing); by default nothing is re-planned
     * @return this
     */
    public ChangeFollower replanAfterGaps(Runnable replan) {
        this.replanAll = Objects.requireNonNull(replan, "replan");
        return this;
    }

    /**
     * @param hook run (on the store's thread, so quickly) when consumers changed or changes may have been missed
     * @return this
     */
    public ChangeFollower onConsumersChanged(Runnable hook) {
        this.consumersChanged = Objects.requireNonNull(hook, "hook");
        return this;
    }

    /**
     * Starts following the store's announcements.
     *
     * @return true when the store announces changes; false when only the validation sweep will see them
     */
    public boolean start() {
        Optional<ChangeFeed> feed = store.capability(ChangeFeed.class);
        if (feed.isEmpty()) {
            Logger.info("the {} store announces no changes: other daemons' changes are seen at the validation sweep",
                    store.id());
            return false;
        }
        feed.get().watch(this);
        Logger.info("following the store's change announcements: other daemons' changes are planned at once");
        return true;
    }

    @Override
    public void changed(StoreChange change) {
        if (change instanceof StoreChange.Consumers) {
            consumersChanged.run();
            return;
        }
        if (change instanceof StoreChange.Credentials credentials) {
            pending.addAll(credentials.ids());
        } else {
            consumersChanged.run();
            everything.set(true);
        }
        queue(0);
    }

    private void queue(long delaySeconds) {
        if (queued.compareAndSet(false, true)) {
            try {
                worker.schedule(this::follow, delaySeconds, TimeUnit.SECONDS);
            } catch (RejectedExecutionException closed) {
                queued.set(false);
            }
        }
    }

    private void follow() {
        queued.set(false);
        try {
            if (everything.getAndSet(false)) {
                pending.clear();
                followAll();
            } else {
                Set<CredentialId> ids = new HashSet<>(pending);
                pending.removeAll(ids);
                for (CredentialId id : ids) {
                    followOne(id);
                }
            }
        } catch (RuntimeException e) {
            Logger.warn("could not read the store's changes ({}); trying again in {} s", e.getMessage(), RETRY_SECONDS);
            everything.set(true);
            queue(RETRY_SECONDS);
        }
    }

    private void followAll() {
        pipeline.forgetOpened();
        replanAll.run();
    }

    private void followOne(CredentialId id) {
        if (scheduler.plansInStore() && !pipeline.changedElsewhere(id)) {
            // Nothing of it is here: whoever changed it planned it in the store, and its next use reads the
            // row (a read under way keeps what it read out of the cache). Reading and opening every other
            // daemon's refresh cost each daemon a query and a decrypt per refresh of the fleet: 3 of 4 of
            // its work with 4 daemons in a due storm.
            return;
        }
        Optional<StoredCredential> found = store.get(id);
        if (found.isPresent()) {
            apply(found.get());
        } else if (pipeline.holds(id) || scheduler.plannedHere(id)) {
            // Deleted by another daemon. Known here by its opened secret (on the store's plan nothing
            // else of it is in memory) or its place in the memory plan: forgotten, so it is not served.
            pipeline.forget(id);
        }
    }

    private void apply(StoredCredential credential) {
        try {
            pipeline.open(credential);
        } catch (UnsealException | RuntimeException e) {
            // The scheduler's refresh reports it; planning must still happen.
            Logger.debug("changed credential {} not opened: {}", credential.id(), e.getMessage());
        }
        scheduler.plan(credential);
    }

    /** Stops handling announcements; one being handled finishes on its own (bounded by the store's timeouts). */
    @Override
    public void close() {
        worker.shutdownNow();
    }
}
