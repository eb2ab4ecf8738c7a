package dev.tokenkeeper.daemon.access;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.ChangeFeed;
import dev.tokenkeeper.api.store.Consumers;
import dev.tokenkeeper.daemon.crypto.ConsumerRowMac;
import org.tinylog.Logger;

import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
 * The consumers of the store, as this daemon authenticates them: every row whose tag verifies
 * ({@link ConsumerRowMac}) is held in memory, so a presented token is checked without a store call
 * and a flood of wrong tokens costs the store nothing. The rows are read at {@link #start}, again
 * when the store announces a change of consumers ({@link #reread}) and every
 * {@link #REREAD_WITH_FEED} (or {@link #REREAD_WITHOUT_FEED} for a store that announces nothing).
 * A consumer created or revoked here takes effect here at once; on other daemons within the
 * store's announcement delay or the re-read interval.
 *
 * <p>A row without a valid tag is ignored: it grants nothing, is counted ({@link #ignoredRows}) and
 * logged once, with its name only, while it stays in the store.
 */
public final class ConsumerDirectory implements AutoCloseable {

    /** The safety re-read for a store that announces changes (a lost announcement is caught by it). */
    public static final Duration REREAD_WITH_FEED = Duration.ofMinutes(1);
    /** The re-read for a store that announces nothing: how late a revocation elsewhere reaches this daemon. */
    public static final Duration REREAD_WITHOUT_FEED = Duration.ofSeconds(2);
    /** How soon a failed read (the store is down) is tried again. */
    static final Duration RETRY = Duration.ofSeconds(5);

    /** What {@code consumer list} shows. */
    public record Listed(String name, List<CredentialId> credentials, Instant createdAt, Instant lastRead, long reads) {
    }

    private final TokenStore store;
    private final ConsumerRowMac macs;
    private final ConsumerRowUpgrade upgrade;
    private final Clock clock;
    private final Duration failureDelay;
    private final ReadLedger ledger = new ReadLedger();
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean rereadQueued = new AtomicBoolean();
    private final ScheduledExecutorService reader = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "consumer-rows");
        thread.setDaemon(true);
        return thread;
    });
    /** Verified consumers by token hash; replaced whole, under this object's lock. */
    private volatile Map<String, Consumer> byHash = Map.of();
    private volatile int ignored;
    /** Counts local creations and revocations, so that a read begun before one does not undo it. */
    private long changesHere;

    /**
     * @param store        where consumers live
     * @param macs         authenticates the rows
     * @param upgrade      the one-time tagging of rows from before tags
     * @param clock        for created-at and last-read times
     * @param failureDelay how long a request with a wrong bearer waits for its 401
     *                     ({@code TOKENKEEPER_AUTH_FAILURE_DELAY_MILLIS})
     */
    public ConsumerDirectory(TokenStore store, ConsumerRowMac macs, ConsumerRowUpgrade upgrade, Clock clock,
                             Duration failureDelay) {
        this.store = Objects.requireNonNull(store, "store");
        this.macs = Objects.requireNonNull(macs, "macs");
        this.upgrade = Objects.requireNonNull(upgrade, "upgrade");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.failureDelay = Objects.requireNonNull(failureDelay, "failureDelay");
    }

    /**
     * Reads the consumers (a store that is down is tried again every {@link #RETRY}) and starts the
     * periodic re-read.
     *
     * @param storeAnnounces whether the store announces changes of consumers ({@link ChangeFeed})
     * @return this
     */
    public ConsumerDirectory start(boolean storeAnnounces) {
        return start(storeAnnounces ? REREAD_WITH_FEED : REREAD_WITHOUT_FEED);
    }

    /**
     * @param interval the periodic re-read
     * @return this
     */
    ConsumerDirectory start(Duration interval) {
        readQuietly();
        reader.scheduleWithFixedDelay(this::readQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** @return how long a request with a wrong bearer waits for its 401 */
    public Duration failureDelay() {
        return failureDelay;
    }

    /** @return how many consumer rows the last read ignored for want of a valid tag */
    public int ignoredRows() {
        return ignored;
    }

    /**
     * Creates a consumer and returns its token, which exists nowhere else afterwards.
     *
     * @param name        the consumer's name
     * @param credentials what it may read
     * @return the token, to show once
     * @throws IllegalArgumentException when the name is taken or invalid
     */
    public String create(String name, List<CredentialId> credentials) {
        String token = ConsumerTokens.generate();
        // Stores keep milliseconds; the tag covers the created-at as they return it.
        Consumer consumer = macs.sign(new Consumer(Consumer.checkName(name), ConsumerTokens.hash(token),
                credentials.stream().distinct().toList(), clock.instant().truncatedTo(ChronoUnit.MILLIS)));
        if (!rows().orElseThrow(() -> new StoreException("the " + store.id() + " store keeps no consumers: use a"
                + " store that does (sqlite, postgres, supabase) to add one")).insertConsumer(consumer)) {
            throw new NameTakenException(name);
        }
        synchronized (this) {
            Map<String, Consumer> next = new HashMap<>(byHash);
            next.put(consumer.tokenHash(), consumer);
            byHash = Map.copyOf(next);
            changesHere++;
        }
        return token;
    }

    /** @return every consumer whose row is authenticated, with this daemon's read figures */
    public List<Listed> list() {
        return rows().map(Consumers::consumers).orElse(List.of()).stream().filter(c -> macs.check(c).valid())
                .map(c -> new Listed(c.name(), c.credentials(), c.createdAt(),
                        ledger.lastRead(c.name()).orElse(null), ledger.reads(c.name()))).toList();
    }

    /**
     * Revokes a consumer: its token stops working here at once (also when the row was not authenticated).
     *
     * @param name a consumer
     * @return false when there was none
     */
    public boolean revoke(String name) {
        boolean deleted = rows().map(rows -> rows.deleteConsumer(name)).orElse(false);
        synchronized (this) {
            Map<String, Consumer> next = new HashMap<>(byHash);
            next.values().removeIf(consumer -> consumer.name().equals(name));
            byHash = Map.copyOf(next);
            changesHere++;
        }
        reread();
        return deleted;
    }

    /**
     * Reads the consumers again soon, on a thread of this directory's (the store announced a
     * change; called on the store's thread, so it returns at once).
     */
    public void reread() {
        if (rereadQueued.compareAndSet(false, true)) {
            try {
                reader.execute(() -> {
                    rereadQueued.set(false);
                    readQuietly();
                });
            } catch (RejectedExecutionException closed) {
                rereadQueued.set(false);
            }
        }
    }

    /**
     * @param presented a bearer token
     * @return its consumer, when it is one's token; never asks the store
     */
    public Optional<Consumer> authenticate(String presented) {
        if (!presented.startsWith(ConsumerTokens.PREFIX) || presented.length() > 200) {
            return Optional.empty();
        }
        byte[] digest = ConsumerTokens.digest(presented);
        Consumer found = byHash.get(HexFormat.of().formatHex(digest));
        if (found == null) {
            return Optional.empty();
        }
        // The lookup was by hash; compare the stored hash in constant time before trusting it.
        return MessageDigest.isEqual(HexFormat.of().parseHex(found.tokenHash()), digest) ? Optional.of(found)
                : Optional.empty();
    }

    /**
     * Notes a token read.
     *
     * @param consumer the reader's name ({@code admin} for the admin token)
     * @param id       the credential
     * @param version  the version of the token handed out
     * @return true when this is the reader's first read of that version
     */
    public boolean recordRead(String consumer, CredentialId id, long version) {
        return ledger.record(consumer, id, version, clock.instant());
    }

    /** Stops the re-reads. */
    @Override
    public void close() {
        reader.shutdownNow();
    }

    private void readQuietly() {
        try {
            read();
        } catch (RuntimeException e) {
            Logger.warn("could not read the consumers ({}); the ones read before still work; trying again in {} s",
                    e.getMessage(), RETRY.toSeconds());
            try {
                reader.schedule(this::readQuietly, RETRY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // stopping
            }
        }
    }

    /** @return the store's consumer rows; a store without them has no consumers (and refuses new ones) */
    private Optional<Consumers> rows() {
        return store.capability(Consumers.class);
    }

    private void read() {
        long changesBefore;
        synchronized (this) {
            changesBefore = changesHere;
        }
        Optional<Consumers> rows = rows();
        if (upgrade.pending() && rows.isPresent()) {
            upgrade.run(rows.get(), macs);
        }
        Map<String, Consumer> verified = new HashMap<>();
        Set<String> ignoredNow = new HashSet<>();
        for (Consumer row : rows.map(Consumers::consumers).orElse(List.of())) {
            ConsumerRowMac.Verdict verdict = macs.check(row);
            if (verdict.valid()) {
                verified.put(row.tokenHash(), row);
                continue;
            }
            String seen = row.name() + " " + row.tokenHash() + " " + row.mac().orElse("");
            ignoredNow.add(seen);
            if (reported.add(seen)) {
                Logger.warn("unauthenticated consumer row {} ignored ({}): it grants nothing. Only a daemon holding"
                                + " the master key writes valid rows, so someone else wrote this one to the store: check"
                                + " who can write the store, then remove the row with `tokenkeeper consumer revoke {}`",
                        row.name(), verdict == ConsumerRowMac.Verdict.MISSING ? "it has no tag"
                                : "its tag does not verify with this daemon's keys", row.name());
            }
        }
        reported.retainAll(ignoredNow);
        synchronized (this) {
            if (changesHere != changesBefore) {
                // A creation or revocation here raced this read: read again rather than undo it.
                reread();
                return;
            }
            byHash = Map.copyOf(verified);
            ignored = ignoredNow.size();
        }
    }

    /** A name that exists already. */
    public static final class NameTakenException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NameTakenException(String name) {
            super("a consumer named " + name + " exists already: revoke it first or choose another name");
        }
    }
}
