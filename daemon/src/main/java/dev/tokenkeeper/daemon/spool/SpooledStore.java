package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.ChangeListener;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoreChange;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.ChangeFeed;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.api.store.StoreCapability;
import dev.tokenkeeper.api.store.Tally;
import org.tinylog.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Wraps the configured store so that the daemon keeps working while it is unreachable: reads fall
 * back to the last rows seen, and a committed change the store cannot take is written to a durable
 * local spool ({@code <state>/spool}) before it counts as committed. A background task pushes the
 * spool to the store (compare-and-set against the version it replaced) once it answers again.
 * A refreshed refresh token is therefore never only in memory.
 *
 * <p>While the store is down there is no cross-daemon lease, so the lease is decided from what this
 * daemon last saw ({@link OutageLeases}): it refreshes a credential only when it obtained the
 * current secret during this outage (under a lease taken before it), or when it has never seen
 * another daemon write to the store. Every other credential waits for the store, and for a short
 * grace after the store is back, so that the daemon that spooled a newer secret pushes it before
 * anyone refreshes with the token that spool replaced.
 * When the spool drains onto a row changed meanwhile, {@link SpoolConflict} keeps the newest
 * successfully issued secret and the conflict is logged.
 *
 * <p>It offers what the configured store offers (see {@link #capability}): leases, the change feed,
 * the purge, the due queue and the tally through its own code above, every other capability as the store's own
 * object.
 * Consumers, for one, are not spooled: adding one needs the store up, and a revocation that did not
 * reach the store must not look done.
 */
public final class SpooledStore implements TokenStore, Leases, ChangeFeed, Purge, DueWork, Tally {

    private static final Comparator<CredentialId> BY_ID = Comparator.comparing(CredentialId::toString);
    /**
     * The most rows kept for reads during an outage on a store whose due queue hands out rows: as many
     * as the token cache holds by default, so memory does not grow with the number of credentials.
     */
    static final int REMEMBERED_ON_A_DUE_QUEUE = 10_000;

    private final TokenStore remote;
    private final SpoolFiles files;
    private final LastSeen lastSeen;
    private final Map<CredentialId, SpoolEntry> spool = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<RefreshEvent> pendingHistory = new ConcurrentLinkedQueue<>();
    /** Leases a spooled commit could not give back in the store (its commit does that): released after the push. */
    private final Map<CredentialId, String> leasesToRelease = new ConcurrentHashMap<>();
    private final ScheduledExecutorService drainer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "spool-drain");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean reportedDown;
    private final OutageLeases outageLeases;
    private final long retrySeconds;
    /** Credentials this outage leaves to another daemon, each logged once. */
    private final Set<CredentialId> leftToOthers = ConcurrentHashMap.newKeySet();

    /**
     * How long a notice of another daemon's change is kept for a credential not spooled here, unless
     * told otherwise: well beyond a refresh's lease, upstream deadline and store timeouts at their defaults.
     */
    public static final Duration NOTICES_KEPT = Duration.ofMinutes(15);

    /**
     * @param remote         the configured store
     * @param spoolDirectory where to keep what the store has not taken yet
     * @param retrySeconds   how often to try to push the spool
     * @param clock          times the grace after an outage (the pushes run on their own timer)
     */
    public SpooledStore(TokenStore remote, Path spoolDirectory, long retrySeconds, Clock clock) {
        this(remote, spoolDirectory, retrySeconds, clock, NOTICES_KEPT);
    }

    /**
     * @param remote         the configured store
     * @param spoolDirectory where to keep what the store has not taken yet
     * @param retrySeconds   how often to try to push the spool
     * @param clock          times the grace after an outage (the pushes run on their own timer)
     * @param noticesKept    how long another daemon's change of a credential not spooled here is remembered:
     *                       longer than a refresh can take from reading its row to spooling its commit
     */
    public SpooledStore(TokenStore remote, Path spoolDirectory, long retrySeconds, Clock clock, Duration noticesKept) {
        this.remote = remote;
        this.files = new SpoolFiles(spoolDirectory);
        boolean dueQueue = remote.capability(DueWork.class).isPresent();
        this.outageLeases = new OutageLeases(Duration.ofSeconds(2 * retrySeconds + 2), clock, dueQueue, noticesKept);
        // On a due queue nothing is read whole, but walks of the table (metrics, views) pass through here.
        this.lastSeen = new LastSeen(dueQueue ? REMEMBERED_ON_A_DUE_QUEUE : Integer.MAX_VALUE);
        this.retrySeconds = retrySeconds;
        for (SpoolEntry entry : files.readAll()) {
            spool.put(entry.updated().id(), entry);
        }
    }

    @Override
    public String id() {
        return remote.id();
    }

    @Override
    public String description() {
        return remote.description();
    }

    /** Passed on: the wrapped store's set-ups are the ones its open meets. */
    @Override
    public void warmUp() {
        remote.warmUp();
    }

    /**
     * Hands out the configured store's capability: leases, the change feed, the purge, the due
     * queue and the tally through this spool (which must see them), any other one as the store's own object, so
     * that nothing the store guarantees is lost on the way.
     *
     * @return empty exactly when the configured store does not offer {@code type}
     */
    @Override
    public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        Optional<C> offered = remote.capability(type);
        return offered.isPresent() && type.isInstance(this) ? Optional.of(type.cast(this)) : offered;
    }

    /** @return the configured store's leases; only asked for when {@link #capability} offered them */
    private Leases remoteLeases() {
        return offeredByRemote(Leases.class);
    }

    private <C extends StoreCapability> C offeredByRemote(Class<C> type) {
        return remote.capability(type).orElseThrow(() -> new IllegalStateException("the " + remote.id()
                + " store offers no " + type.getSimpleName() + ": ask capability() before using it"));
    }

    @Override
    public void open(PluginContext context) {
        remote.open(context);
        drainer.scheduleWithFixedDelay(this::drainQuietly, retrySeconds, retrySeconds, TimeUnit.SECONDS);
        if (!spool.isEmpty()) {
            Logger.warn("{} change(s) from before the last stop were not yet in the store: pushing them now", spool.size());
            drainQuietly();
        }
    }

    @Override
    public void watch(ChangeListener listener) {
        ChangeFeed feed = offeredByRemote(ChangeFeed.class);
        outageLeases.watched(feed.announcesOwnChanges());
        feed.watch(change -> {
            if (change instanceof StoreChange.Credentials changed) {
                changed.ids().forEach(outageLeases::announced);
            } else {
                outageLeases.announcementsMissed();
            }
            listener.changed(change);
        });
    }

    @Override
    public boolean announcesOwnChanges() {
        return offeredByRemote(ChangeFeed.class).announcesOwnChanges();
    }

    /**
     * Purges the store, and removes from the spool folder the temporary files a crash mid-write can
     * leave (they may hold an older sealed secret and are never read). Spooled entries themselves are
     * rewritten by the rekey's compare-and-set, like rows in the store.
     */
    @Override
    public PurgeResult purgeOverwritten() {
        PurgeResult remotePurge = offeredByRemote(Purge.class).purgeOverwritten();
        try {
            int removed = files.removeTemporaries();
            if (removed > 0) {
                Logger.info("removed {} temporary file(s) a crash had left in the spool folder", removed);
            }
        } catch (IOException e) {
            return new PurgeResult.Failed("could not remove the temporary files of the spool folder ("
                    + e.getClass().getSimpleName() + ")", "check the state folder's permissions, then run"
                    + " `tokenkeeper rekey --finish`");
        }
        return remotePurge;
    }

    /** @return how many notices of other daemons' changes the outage leases keep (tests) */
    int outageNotices() {
        return outageLeases.notices();
    }

    /** @return how many credentials have changes the store has not taken yet */
    public int pending() {
        return spool.size();
    }

    @Override
    public Optional<StoredCredential> get(CredentialId id) {
        SpoolEntry spooled = spool.get(id);
        if (spooled != null) {
            return Optional.of(spooled.updated());
        }
        long readFrom = outageLeases.ticket();
        try {
            Optional<StoredCredential> found = remote.get(id);
            found.ifPresentOrElse(row -> seen(row, readFrom), () -> lastSeen.remove(id));
            storeAnswered();
            return found;
        } catch (StoreUnavailableException e) {
            storeDown(e);
            if (lastSeen.bounded() && lastSeen.get(id).isEmpty()) {
                // Not kept (or never read): it may well exist, so not an answer of "no such credential".
                throw e;
            }
            return lastSeen.get(id);
        }
    }

    @Override
    public List<StoredCredential> list() {
        Map<CredentialId, StoredCredential> rows = new TreeMap<>(BY_ID);
        long readFrom = outageLeases.ticket();
        try {
            for (StoredCredential c : remote.list()) {
                rows.put(c.id(), c);
                seen(c, readFrom);
            }
            storeAnswered();
        } catch (StoreUnavailableException e) {
            storeDown(e);
            lastSeen.copyInto(rows);
        }
        spool.forEach((id, entry) -> rows.put(id, entry.updated()));
        return new ArrayList<>(rows.values());
    }

    /**
     * The store's page with this daemon's spooled writes laid over it, in id order; while the store
     * is down, the last rows seen. A spooled credential that sorts into this page takes its place
     * in it (pushing the page's last one to the next page).
     */
    @Override
    public List<StoredCredential> listPage(Optional<CredentialId> after, int limit) {
        TreeMap<CredentialId, StoredCredential> rows = new TreeMap<>(BY_ID);
        Optional<CredentialId> last = Optional.empty();
        long readFrom = outageLeases.ticket();
        try {
            List<StoredCredential> page = remote.listPage(after, limit);
            page.forEach(row -> {
                rows.put(row.id(), row);
                seen(row, readFrom);
            });
            storeAnswered();
            if (page.size() >= limit) {
                last = Optional.of(page.get(page.size() - 1).id());
            }
        } catch (StoreUnavailableException e) {
            storeDown(e);
            lastSeen.copyInto(rows);
        }
        Optional<CredentialId> end = last;
        spool.forEach((id, entry) -> {
            if (end.isEmpty() || BY_ID.compare(id, end.get()) <= 0) {
                rows.put(id, entry.updated());
            }
        });
        return rows.values().stream()
                .filter(row -> after.isEmpty() || BY_ID.compare(row.id(), after.get()) > 0)
                .limit(limit)
                .toList();
    }

    @Override
    public boolean insert(StoredCredential credential) {
        return writeRemote(credential, () -> remote.insert(credential));
    }

    /**
     * One write of {@code row} to the store, with what the outage leases must know of it.
     *
     * @param write the store's write
     * @return whether the store wrote it
     */
    private boolean writeRemote(StoredCredential row, BooleanSupplier write) {
        boolean written = announcedWrite(row.id(), write);
        if (written) {
            wroteHere(row);
        }
        return written;
    }

    /**
     * One write to the store, whose announcement counts as this daemon's own only when it happened.
     * A write the store refused or failed (it is down) announces nothing: expecting its notice would
     * pass off the next notice of another daemon's change as this daemon's.
     *
     * @param id    the credential written
     * @param write the store's write
     * @return whether the store wrote it
     */
    private boolean announcedWrite(CredentialId id, BooleanSupplier write) {
        outageLeases.writing(id);
        boolean written = false;
        try {
            written = write.getAsBoolean();
            return written;
        } finally {
            if (!written) {
                outageLeases.notWritten(id);
            }
        }
    }

    @Override
    public boolean compareAndSet(StoredCredential updated, long expectedVersion) {
        CredentialId id = updated.id();
        synchronized (lockFor(id)) {
            SpoolEntry spooled = spool.get(id);
            if (spooled != null) {
                // Already ahead of the store: the spool is the truth until it drains.
                if (spooled.updated().version() != expectedVersion) {
                    return false;
                }
                spoolDurably(new SpoolEntry(updated, spooled.expectedVersion()));
                outageLeases.spooled(Optional.of(spooled.updated()), updated);
                return true;
            }
            try {
                boolean written = writeRemote(updated, () -> remote.compareAndSet(updated, expectedVersion));
                storeAnswered();
                return written;
            } catch (StoreUnavailableException e) {
                storeDown(e);
                StoredCredential known = lastSeen.get(id).orElse(null);
                if (known != null && known.version() != expectedVersion) {
                    return false;
                }
                spoolDurably(new SpoolEntry(updated, expectedVersion));
                outageLeases.spooled(Optional.ofNullable(known), updated);
                Logger.warn("store unreachable: {} version {} kept in the local spool until the store is back", id,
                        updated.version());
                return true;
            }
        }
    }

    @Override
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner) {
        return commitRefresh(updated, expectedVersion, event, owner,
                () -> remoteLeases().commitRefresh(updated, expectedVersion, event, owner));
    }

    /**
     * The store's commit with the next due time; spooled as {@link #commitRefresh(StoredCredential, long,
     * RefreshEvent, String)} is while the store is down (its push then leaves the row due: the claim
     * that finds it plans it again).
     */
    @Override
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner,
                                 Optional<Instant> nextDue) {
        return commitRefresh(updated, expectedVersion, event, owner,
                () -> offeredByRemote(DueWork.class).commitRefresh(updated, expectedVersion, event, owner, nextDue));
    }

    private boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner,
                                  BooleanSupplier remoteCommit) {
        CredentialId id = updated.id();
        synchronized (lockFor(id)) {
            try {
                if (!spool.containsKey(id)) {
                    try {
                        boolean written = writeRemote(updated, remoteCommit);
                        storeAnswered();
                        return written;
                    } catch (StoreUnavailableException e) {
                        storeDown(e);
                    }
                }
                // The store is down, or this credential is already ahead of it: the spool takes it.
                boolean spooled = compareAndSet(updated, expectedVersion);
                if (spooled) {
                    pendingHistory.add(event);
                    // A lease taken before the store went away would otherwise block other daemons until it ran out.
                    leasesToRelease.put(id, owner);
                }
                return spooled;
            } finally {
                // Committed, spooled (its secret is then this daemon's, see OutageLeases) or refused: the refresh is over.
                outageLeases.leaseEnded(id);
            }
        }
    }

    @Override
    public boolean delete(CredentialId id) {
        boolean deleted = remote.delete(id);
        lastSeen.remove(id);
        if (spool.remove(id) != null) {
            deleteSpoolFile(id);
        }
        return deleted;
    }

    @Override
    public boolean tryLease(CredentialId id, String owner, Instant until) {
        boolean leased = tryLeaseHere(id, owner, until);
        if (leased) {
            outageLeases.leased(id);
        }
        return leased;
    }

    private boolean tryLeaseHere(CredentialId id, String owner, Instant until) {
        boolean pendingRelease = owner.equals(leasesToRelease.get(id));
        boolean leased;
        try {
            leased = remoteLeases().tryLease(id, owner, until);
            storeAnswered();
        } catch (StoreUnavailableException e) {
            // No one can coordinate through a store that is down: the daemon that wrote the credential
            // last keeps refreshing it (refreshing beats letting tokens expire), every other one leaves it.
            storeDown(e);
            Optional<String> refusal = outageLeases.refusalWhileDown(known(id));
            if (refusal.isEmpty()) {
                return true;
            }
            if (leftToOthers.add(id)) {
                Logger.info("store {} unreachable: {}", remote.id(), refusal.get());
            }
            throw new StoreUnavailableException("store " + remote.id() + " unreachable: " + refusal.get(), e);
        }
        if (!leased) {
            outageLeases.anotherDaemonLeased();
            return false;
        }
        if ((pendingRelease || spool.containsKey(id)) && !reconciled(id, owner, until, pendingRelease)) {
            return false;
        }
        Optional<String> refusal = outageLeases.refusalJustAfterOutage(known(id));
        if (refusal.isEmpty() && outageLeases.inGrace()) {
            // The row last seen may predate a change whose announcement the outage swallowed: decide on the store's.
            try {
                get(id);
            } catch (RuntimeException e) {
                Logger.warn("could not read {} again after the outage ({}); deciding on the last row seen", id,
                        e.getMessage());
            }
            refusal = outageLeases.refusalJustAfterOutage(known(id));
        }
        if (refusal.isPresent()) {
            try {
                remoteLeases().releaseLease(id, owner);
            } catch (StoreUnavailableException e) {
                storeDown(e); // The lease runs out by itself.
            }
            throw new StoreUnavailableException("store " + remote.id() + " is back: " + refusal.get(), null);
        }
        return true;
    }

    /**
     * A change of the credential still in the spool is pushed before the lease is granted: the refresh
     * must start from the store's row, not from the spool's. A write the store was said not to take
     * (a timeout) may have landed after all, and the lease with it was given back; another daemon may
     * have refreshed from that row since, and the spooled refresh token is then spent.
     *
     * @param pendingRelease whether a spooled commit had left this owner's lease to give back after its
     *                       push, before the lease was taken again
     * @return false when the lease is no longer this daemon's
     * @throws StoreUnavailableException when the spooled change could not be pushed (the lease is kept until it is)
     */
    private boolean reconciled(CredentialId id, String owner, Instant until, boolean pendingRelease) {
        synchronized (lockFor(id)) {
            // The lease just taken replaces the one a spooled commit left to give back after its push.
            boolean stillPending = leasesToRelease.remove(id, owner);
            if (pendingRelease && !stillPending && !remoteLeases().tryLease(id, owner, until)) {
                return false; // The drain pushed meanwhile and gave the lease back; another daemon took it since.
            }
            SpoolEntry spooled = spool.get(id);
            if (spooled == null) {
                return true;
            }
            try {
                push(spooled);
            } catch (StoreUnavailableException e) {
                storeDown(e);
            }
            if (spool.containsKey(id)) {
                // Kept until the push: the store's row is older than the spooled one, whose token was spent.
                leasesToRelease.put(id, owner);
                throw new StoreUnavailableException("store " + remote.id() + ": the change of " + id + " kept in the"
                        + " local spool is not in the store yet; it is refreshed once it is", null);
            }
            return true;
        }
    }

    /** @return the newest version of a credential this daemon knows of: its spooled change or the last row seen */
    private Optional<StoredCredential> known(CredentialId id) {
        SpoolEntry spooled = spool.get(id);
        return spooled != null ? Optional.of(spooled.updated()) : lastSeen.get(id);
    }

    private void seen(StoredCredential row, long readFrom) {
        StoredCredential before = lastSeen.put(row).orElse(null);
        outageLeases.seen(before, row, readFrom);
    }

    private void wroteHere(StoredCredential row) {
        outageLeases.wrote(row);
        lastSeen.put(row);
    }

    /**
     * The store's claim, less the rows this daemon may not refresh from the store's row yet (a change
     * of it still in the spool, a lease a spooled commit keeps, the grace after an outage): those are
     * given back due again after the next push. The claimed rows count as read.
     */
    @Override
    public List<Claim> claimDue(String owner, Instant now, Instant leaseUntil, int limit) {
        long readFrom = outageLeases.ticket();
        outageLeases.claiming();
        try {
            return claimDue(owner, now, leaseUntil, limit, readFrom);
        } finally {
            outageLeases.claimed(readFrom);
        }
    }

    private List<Claim> claimDue(String owner, Instant now, Instant leaseUntil, int limit, long readFrom) {
        List<Claim> claimed;
        try {
            claimed = offeredByRemote(DueWork.class).claimDue(owner, now, leaseUntil, limit);
            storeAnswered();
        } catch (StoreUnavailableException e) {
            storeDown(e);
            throw e;
        }
        List<Claim> mine = new ArrayList<>();
        for (Claim claim : claimed) {
            StoredCredential row = claim.credential();
            seen(row, readFrom);
            if (spool.containsKey(row.id()) || leasesToRelease.containsKey(row.id())
                    || outageLeases.refusalJustAfterOutage(known(row.id())).isPresent()) {
                offeredByRemote(DueWork.class).release(row.id(), owner,
                        Optional.of(now.plusSeconds(Math.max(1, retrySeconds))), claim.retry());
            } else {
                mine.add(claim);
                outageLeases.leased(row.id());
            }
        }
        return mine;
    }

    @Override
    public void release(CredentialId id, String owner, Optional<Instant> nextDue, boolean retry) {
        outageLeases.leaseEnded(id);
        offeredByRemote(DueWork.class).release(id, owner, nextDue, retry);
    }

    @Override
    public void plan(CredentialId id, Optional<Instant> nextDue, boolean retry) {
        offeredByRemote(DueWork.class).plan(id, nextDue, retry);
    }

    @Override
    public List<CredentialId> leasedBy(String owner) {
        return offeredByRemote(DueWork.class).leasedBy(owner);
    }

    @Override
    public Optional<Instant> nextDue(CredentialId id) {
        return offeredByRemote(DueWork.class).nextDue(id);
    }

    @Override
    public Map<CredentialId, Instant> nextDue(Collection<CredentialId> ids) {
        return offeredByRemote(DueWork.class).nextDue(ids);
    }

    @Override
    public Optional<Instant> earliestDue() {
        return offeredByRemote(DueWork.class).earliestDue();
    }

    /**
     * The store's counts with this daemon's spooled writes laid over them, as a walk of
     * {@link #listPage} sees the rows: a spooled credential counts with its spooled status instead of
     * its row's in the store (read once per spooled credential; the spool is empty but during an
     * outage and the seconds after it). The soonest expiry includes the spooled active ones, but
     * until the spool drains it may still be the expiry of a store row that a spooled refresh replaced:
     * earlier than the truth, never later. While the store is down this fails as the store does
     * (the walk served the last rows seen, which on a due queue are only the few remembered).
     */
    @Override
    public Tally.Counts tally() {
        try {
            Tally.Counts stored = offeredByRemote(Tally.class).tally();
            Map<CredentialStatus, Long> counts = new EnumMap<>(CredentialStatus.class);
            counts.putAll(stored.byStatus());
            Optional<Instant> soonest = stored.soonestExpiry();
            for (SpoolEntry entry : new ArrayList<>(spool.values())) {
                StoredCredential spooled = entry.updated();
                remote.get(spooled.id()).ifPresent(row -> counts.merge(row.status(), -1L, Long::sum));
                counts.merge(spooled.status(), 1L, Long::sum);
                Optional<Instant> expiry = spooled.accessExpiresAt().filter(at -> spooled.status() == CredentialStatus.ACTIVE);
                if (expiry.isPresent() && (soonest.isEmpty() || expiry.get().isBefore(soonest.get()))) {
                    soonest = expiry;
                }
            }
            storeAnswered();
            return new Tally.Counts(counts, soonest);
        } catch (StoreUnavailableException e) {
            storeDown(e);
            throw e;
        }
    }

    @Override
    public void releaseLease(CredentialId id, String owner) {
        outageLeases.leaseEnded(id);
        if (owner.equals(leasesToRelease.get(id))) {
            return; // Its commit is in the spool only: the push gives the lease back.
        }
        try {
            remoteLeases().releaseLease(id, owner);
        } catch (StoreUnavailableException e) {
            storeDown(e);
        }
    }

    @Override
    public void appendHistory(RefreshEvent event) {
        try {
            remote.appendHistory(event);
        } catch (StoreUnavailableException e) {
            storeDown(e);
            pendingHistory.add(event);
        }
    }

    @Override
    public List<RefreshEvent> history(CredentialId id, Instant since, int limit) {
        return remote.history(id, since, limit);
    }

    /**
     * Pushes the spool to the store.
     *
     * @return how many entries are still pending
     */
    public int drain() {
        for (SpoolEntry entry : new ArrayList<>(spool.values())) {
            CredentialId id = entry.updated().id();
            synchronized (lockFor(id)) {
                SpoolEntry current = spool.get(id);
                if (current == null) {
                    continue;
                }
                push(current);
            }
        }
        RefreshEvent event;
        while ((event = pendingHistory.peek()) != null) {
            remote.appendHistory(event);
            pendingHistory.poll();
        }
        return spool.size();
    }

    private void push(SpoolEntry entry) {
        CredentialId id = entry.updated().id();
        StoredCredential wanted = entry.updated();
        long readFrom = outageLeases.ticket();
        Optional<StoredCredential> inStore = remote.get(id);
        inStore.ifPresent(row -> outageLeases.seen(null, row, readFrom));
        if (inStore.isEmpty()) {
            Logger.warn("spooled change of {} dropped: the credential was deleted from the store meanwhile", id);
            forget(id);
            return;
        }
        StoredCredential current = inStore.get();
        boolean oursWin = SpoolConflict.spooledWins(wanted, entry.expectedVersion(), current);
        StoredCredential winner = oursWin ? wanted : current;
        // This daemon has already handed out versions up to wanted.version() (its cache, its plan). The
        // store is stepped up to at least that, one compare-and-set at a time, so that a version number
        // never stands for two different secrets; the steps carry the winning secret.
        long target = oursWin ? Math.max(current.version() + 1, wanted.version())
                : Math.max(current.version(), wanted.version() + 1);
        long at = current.version();
        while (at < target) {
            StoredCredential step = withVersion(winner, at + 1);
            long replaced = at;
            if (!announcedWrite(id, () -> remote.compareAndSet(step, replaced))) {
                return; // Someone wrote meanwhile: the next drain looks again.
            }
            at++;
        }
        StoredCredential now = withVersion(winner, Math.max(at, current.version()));
        if (oursWin) {
            wroteHere(now);
        } else {
            lastSeen.put(now);
        }
        forget(id);
        String leaseOwner = leasesToRelease.remove(id);
        if (leaseOwner != null) {
            remoteLeases().releaseLease(id, leaseOwner);
        }
        if (current.version() == entry.expectedVersion()) {
            Logger.info("spooled change of {} is now in the store (version {})", id, at);
        } else if (oursWin) {
            Logger.warn("{} was changed in the store while it was unreachable; kept this daemon's newer tokens "
                    + "(version {})", id, at);
        } else {
            Logger.warn("{} was changed in the store while it was unreachable; the store's tokens are newer, "
                    + "dropped the spooled ones (version {})", id, at);
        }
    }

    private static StoredCredential withVersion(StoredCredential c, long version) {
        return new StoredCredential(c.id(), c.status(), c.secret(), c.issuedAt(), c.accessExpiresAt(),
                c.refreshExpiresAt(), version, c.lastRefreshAt(), c.lastError(), c.updatedAt());
    }

    private void forget(CredentialId id) {
        spool.remove(id);
        deleteSpoolFile(id);
    }

    private void drainQuietly() {
        if (spool.isEmpty() && pendingHistory.isEmpty()) {
            return;
        }
        try {
            drain();
            storeAnswered();
        } catch (StoreUnavailableException e) {
            storeDown(e);
        } catch (RuntimeException e) {
            Logger.error("pushing the spool failed: {}", e.getMessage());
        }
    }

    private void spoolDurably(SpoolEntry entry) {
        try {
            files.write(entry);
            spool.put(entry.updated().id(), entry);
        } catch (IOException e) {
            // Neither the store nor the disk took it: the caller must not treat the change as committed.
            throw new StoreException("store unreachable and the local spool cannot be written (" + e.getMessage()
                    + "): check free space and permissions of the state folder");
        }
    }

    private void deleteSpoolFile(CredentialId id) {
        try {
            files.delete(id);
        } catch (IOException e) {
            Logger.warn("could not delete the spool file of {}: {}", id, e.getMessage());
        }
    }

    private void storeDown(StoreUnavailableException e) {
        outageLeases.storeDown();
        if (!reportedDown) {
            reportedDown = true;
            Logger.warn("store {} unreachable ({}): serving what is known, spooling changes locally", remote.id(),
                    e.getMessage());
        }
    }

    private void storeAnswered() {
        if (reportedDown) {
            reportedDown = false;
            Logger.info("store {} reachable again", remote.id());
            outageLeases.storeBack();
            leftToOthers.clear();
            if (!spool.isEmpty()) {
                drainer.execute(this::drainQuietly);
            }
        }
    }

    /**
     * A credential's writes here are serialised on one of a fixed set of locks, chosen by its id: a lock
     * object per credential ever written grew with their number (a million credentials, a million locks
     * kept for good). Two credentials that share a lock wait for each other's store write now and then,
     * which is all that sharing costs (no code here holds two of them at once).
     */
    private static final int LOCK_STRIPES = 1024;

    private final Object[] locks = Stream.generate(Object::new).limit(LOCK_STRIPES).toArray();

    private Object lockFor(CredentialId id) {
        int hash = id.hashCode();
        return locks[(hash ^ (hash >>> 16)) & (LOCK_STRIPES - 1)];
    }

    @Override
    public void close() {
        drainer.shutdown();
        drainQuietly();
        remote.close();
    }
}
