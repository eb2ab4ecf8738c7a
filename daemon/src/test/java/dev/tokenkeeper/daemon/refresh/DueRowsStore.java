package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.StoreCapability;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The real SQLite store for the credentials and their history, with refresh leases and a due queue
 * kept beside it in this object's memory, as the PostgreSQL store keeps them in its rows (the daemon's
 * unit tests have no PostgreSQL): each credential is unplanned until a due time is written, claims
 * take the unplanned rows first and then the due ones earliest first, and only rows whose lease is
 * free or ended (on the given clock). One daemon's view: every call is atomic under this object's
 * lock. It can also be taken down: its claims and leases then fail as an unreachable store's do.
 */
public final class DueRowsStore implements TokenStore, Leases, DueWork {

    private record Lease(String owner, Instant until) {
    }

    /** A written due time: empty keeps the row out of claims. */
    private record Planned(Optional<Instant> at, boolean retry) {
    }

    private final TokenStore sqlite = EmbeddedStore.found();
    private final Clock clock;
    private final Map<CredentialId, Lease> leases = new HashMap<>();
    private final Map<CredentialId, Planned> planned = new HashMap<>();
    private final List<Integer> heldAtClaims = new ArrayList<>();
    private volatile boolean down;

    /** @param clock the time leases are judged by */
    public DueRowsStore(Clock clock) {
        this.clock = clock;
    }

    /** @param unavailable true to fail every claim and lease from now on, false to answer again */
    public void down(boolean unavailable) {
        this.down = unavailable;
    }

    private void answering() {
        if (down) {
            throw new StoreUnavailableException("test: the store is down", null);
        }
    }

    /**
     * @param id a credential
     * @return whether it is planned as a retry
     */
    public synchronized boolean plannedAsRetry(CredentialId id) {
        return Optional.ofNullable(planned.get(id)).map(Planned::retry).orElse(false);
    }

    /**
     * @param id a credential
     * @return who holds its lease now, if anyone does
     */
    public synchronized Optional<String> leaseHolder(CredentialId id) {
        return Optional.ofNullable(leases.get(id)).filter(lease -> lease.until().isAfter(clock.instant())).map(Lease::owner);
    }

    @Override
    public String id() {
        return "sqlite-with-due-rows";
    }

    @Override
    public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        return StoreCapability.offeredBy(type, this);
    }

    @Override
    public void open(PluginContext context) {
        sqlite.open(context);
    }

    @Override
    public Optional<StoredCredential> get(CredentialId id) {
        return sqlite.get(id);
    }

    @Override
    public List<StoredCredential> list() {
        return sqlite.list();
    }

    @Override
    public boolean insert(StoredCredential credential) {
        return sqlite.insert(credential);
    }

    @Override
    public synchronized boolean compareAndSet(StoredCredential updated, long expectedVersion) {
        return sqlite.compareAndSet(updated, expectedVersion);
    }

    @Override
    public synchronized boolean delete(CredentialId id) {
        leases.remove(id);
        planned.remove(id);
        return sqlite.delete(id);
    }

    @Override
    public void appendHistory(RefreshEvent event) {
        sqlite.appendHistory(event);
    }

    @Override
    public List<RefreshEvent> history(CredentialId id, Instant since, int limit) {
        return sqlite.history(id, since, limit);
    }

    @Override
    public void close() {
        sqlite.close();
    }

    @Override
    public synchronized boolean tryLease(CredentialId id, String owner, Instant until) {
        answering();
        if (sqlite.get(id).isEmpty() || !free(id, owner)) {
            return false;
        }
        leases.put(id, new Lease(owner, until));
        return true;
    }

    private boolean free(CredentialId id, String owner) {
        return unleased(id) || leases.get(id).owner().equals(owner);
    }

    /** @return true when nobody holds the credential's lease, or its lease has ended */
    private boolean unleased(CredentialId id) {
        Lease lease = leases.get(id);
        return lease == null || !lease.until().isAfter(clock.instant());
    }

    @Override
    public synchronized void releaseLease(CredentialId id, String owner) {
        leases.computeIfPresent(id, (key, lease) -> lease.owner().equals(owner) ? null : lease);
    }

    @Override
    public synchronized boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event,
                                              String owner) {
        if (updated.version() != expectedVersion + 1) {
            throw new IllegalArgumentException("version " + updated.version() + " does not follow " + expectedVersion);
        }
        if (!sqlite.compareAndSet(updated, expectedVersion)) {
            return false;
        }
        sqlite.appendHistory(event);
        releaseLease(updated.id(), owner);
        return true;
    }

    @Override
    public synchronized List<Claim> claimDue(String owner, Instant now, Instant leaseUntil, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("claim at least one row, not " + limit);
        }
        answering();
        heldAtClaims.add((int) leases.values().stream()
                .filter(lease -> lease.owner().equals(owner) && lease.until().isAfter(clock.instant())).count());
        List<Claim> claims = sqlite.list().stream()
                .filter(row -> unleased(row.id()) && dueAt(row.id(), now))
                .sorted(Comparator.comparing(row -> plannedAt(row.id())))
                .limit(limit)
                .map(row -> new Claim(row, Optional.ofNullable(planned.get(row.id())).flatMap(Planned::at),
                        plannedAsRetry(row.id())))
                .toList();
        claims.forEach(claim -> leases.put(claim.credential().id(), new Lease(owner, leaseUntil)));
        return claims;
    }

    /** @return the row's due time; {@link Instant#MIN} when unplanned, {@link Instant#MAX} when kept out */
    private Instant plannedAt(CredentialId id) {
        Planned at = planned.get(id);
        return at == null ? Instant.MIN : at.at().orElse(Instant.MAX);
    }

    private boolean dueAt(CredentialId id, Instant now) {
        Instant at = plannedAt(id);
        return !at.equals(Instant.MAX) && !at.isAfter(now);
    }

    @Override
    public synchronized boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event,
                                              String owner, Optional<Instant> nextDue) {
        if (!commitRefresh(updated, expectedVersion, event, owner)) {
            return false;
        }
        planned.put(updated.id(), new Planned(nextDue, false));
        return true;
    }

    @Override
    public synchronized void release(CredentialId id, String owner, Optional<Instant> nextDue, boolean retry) {
        Lease lease = leases.get(id);
        if (lease == null || lease.owner().equals(owner)) {
            leases.remove(id);
            plan(id, nextDue, retry);
        }
    }

    @Override
    public synchronized void plan(CredentialId id, Optional<Instant> nextDue, boolean retry) {
        if (sqlite.get(id).isPresent()) {
            planned.put(id, new Planned(nextDue, retry));
        }
    }

    /**
     * @return for each claim so far, in order, how many rows its owner still held under lease when it
     *         claimed: how far ahead of its workers a daemon claims
     */
    public synchronized List<Integer> heldAtClaims() {
        return List.copyOf(heldAtClaims);
    }

    @Override
    public synchronized Optional<Instant> nextDue(CredentialId id) {
        answering();
        return Optional.ofNullable(planned.get(id)).flatMap(Planned::at);
    }

    @Override
    public synchronized Optional<Instant> earliestDue() {
        return sqlite.list().stream().filter(row -> unleased(row.id())).map(row -> plannedAt(row.id()))
                .filter(at -> !at.equals(Instant.MAX)).min(Comparator.naturalOrder());
    }
}
