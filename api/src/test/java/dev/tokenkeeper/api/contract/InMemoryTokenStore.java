package dev.tokenkeeper.api.contract;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.Consumers;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.api.store.StoreCapability;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The smallest store that keeps the {@link TokenStore} contract, in memory: a worked example for
 * store authors and the kit's own check that its tests can pass. Stores built on one {@link Backing}
 * share it, as daemons share a database; one lock on the backing makes every call atomic.
 */
final class InMemoryTokenStore implements TokenStore, Leases, Consumers, Purge {

    /** What several stores share: credentials by id text (the list order), leases and history. */
    static final class Backing {
        private final TreeMap<String, StoredCredential> credentials = new TreeMap<>();
        private final Map<String, Lease> leases = new HashMap<>();
        private final List<RefreshEvent> history = new ArrayList<>();
        private final TreeMap<String, dev.tokenkeeper.api.Consumer> consumers = new TreeMap<>();
    }

    private record Lease(String owner, Instant until) {
    }

    private final Backing backing;
    private Clock clock;
    private boolean closed;

    InMemoryTokenStore(Backing backing) {
        this.backing = backing;
    }

    @Override
    public String id() {
        return "memory";
    }

    /** Offers leases, consumers and a purge: what it implements itself. */
    @Override
    public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        return StoreCapability.offeredBy(type, this);
    }

    @Override
    public void open(PluginContext context) {
        synchronized (backing) {
            clock = context.clock();
        }
    }

    /** A replaced row is gone from memory at once: nothing to purge. */
    @Override
    public PurgeResult purgeOverwritten() {
        return new PurgeResult.NothingToPurge("memory: a replaced row leaves no copy behind");
    }

    @Override
    public Optional<StoredCredential> get(CredentialId id) {
        synchronized (backing) {
            checkOpen();
            return Optional.ofNullable(backing.credentials.get(id.toString()));
        }
    }

    @Override
    public List<StoredCredential> list() {
        synchronized (backing) {
            checkOpen();
            return List.copyOf(backing.credentials.values());
        }
    }

    @Override
    public boolean insert(StoredCredential credential) {
        synchronized (backing) {
            checkOpen();
            return backing.credentials.putIfAbsent(credential.id().toString(), credential) == null;
        }
    }

    @Override
    public boolean compareAndSet(StoredCredential updated, long expectedVersion) {
        updated.checkFollows(expectedVersion);
        synchronized (backing) {
            checkOpen();
            StoredCredential current = backing.credentials.get(updated.id().toString());
            if (current == null || current.version() != expectedVersion) {
                return false;
            }
            backing.credentials.put(updated.id().toString(), updated);
            return true;
        }
    }

    @Override
    public boolean delete(CredentialId id) {
        synchronized (backing) {
            checkOpen();
            backing.leases.remove(id.toString());
            return backing.credentials.remove(id.toString()) != null;
        }
    }

    @Override
    public boolean tryLease(CredentialId id, String owner, Instant until) {
        synchronized (backing) {
            checkOpen();
            if (!backing.credentials.containsKey(id.toString())) {
                return false;
            }
            Lease current = backing.leases.get(id.toString());
            boolean free = current == null || current.owner().equals(owner) || !current.until().isAfter(clock.instant());
            if (free) {
                backing.leases.put(id.toString(), new Lease(owner, until));
            }
            return free;
        }
    }

    @Override
    public void releaseLease(CredentialId id, String owner) {
        synchronized (backing) {
            checkOpen();
            backing.leases.computeIfPresent(id.toString(), (key, lease) -> lease.owner().equals(owner) ? null : lease);
        }
    }

    /** The three steps under the backing's lock: all or none. */
    @Override
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner) {
        synchronized (backing) {
            if (!compareAndSet(updated, expectedVersion)) {
                return false;
            }
            appendHistory(event);
            releaseLease(updated.id(), owner);
            return true;
        }
    }

    @Override
    public void appendHistory(RefreshEvent event) {
        synchronized (backing) {
            checkOpen();
            backing.history.add(event);
        }
    }

    @Override
    public List<RefreshEvent> history(CredentialId id, Instant since, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit " + limit + " is negative: ask for 0 or more events");
        }
        synchronized (backing) {
            checkOpen();
            // A stable sort: events at the same instant keep their append order.
            List<RefreshEvent> matching = backing.history.stream()
                    .filter(event -> event.id().equals(id) && !event.at().isBefore(since))
                    .sorted(Comparator.comparing(RefreshEvent::at))
                    .toList();
            return matching.subList(Math.max(0, matching.size() - limit), matching.size());
        }
    }

    @Override
    public boolean insertConsumer(dev.tokenkeeper.api.Consumer consumer) {
        synchronized (backing) {
            checkOpen();
            return backing.consumers.putIfAbsent(consumer.name(), consumer) == null;
        }
    }

    @Override
    public Optional<dev.tokenkeeper.api.Consumer> consumerByTokenHash(String tokenHash) {
        synchronized (backing) {
            checkOpen();
            return backing.consumers.values().stream().filter(c -> c.tokenHash().equals(tokenHash)).findFirst();
        }
    }

    @Override
    public List<dev.tokenkeeper.api.Consumer> consumers() {
        synchronized (backing) {
            checkOpen();
            return List.copyOf(backing.consumers.values());
        }
    }

    @Override
    public boolean setConsumerMac(String name, String tokenHash, String mac) {
        synchronized (backing) {
            checkOpen();
            dev.tokenkeeper.api.Consumer found = backing.consumers.get(name);
            if (found == null || !found.tokenHash().equals(tokenHash)) {
                return false;
            }
            backing.consumers.put(name, found.withMac(mac));
            return true;
        }
    }

    @Override
    public boolean deleteConsumer(String name) {
        synchronized (backing) {
            checkOpen();
            return backing.consumers.remove(name) != null;
        }
    }

    @Override
    public void close() {
        synchronized (backing) {
            closed = true;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new StoreException("memory: the store is closed: open a new one");
        }
        if (clock == null) {
            throw new IllegalStateException("memory store used before open()");
        }
    }
}
