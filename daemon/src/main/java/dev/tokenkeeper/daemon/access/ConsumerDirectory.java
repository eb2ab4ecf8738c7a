package dev.tokenkeeper.daemon.access;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.TokenStore;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The consumers of the store, as this daemon authenticates them. Found consumers are cached by
 * token hash for {@link #TTL} at most, and the whole cache is dropped when the store announces a
 * change of consumers ({@link #invalidate}) or this daemon revokes one, so a revocation works at
 * once here and within the store's change-propagation time (or the TTL) on other daemons.
 */
public final class ConsumerDirectory {

    /** How long a found consumer is trusted without asking the store again. */
    public static final Duration TTL = Duration.ofSeconds(1);
    /** Bounds the cache: a flood of distinct valid tokens cannot grow it without end. */
    private static final int MOST_CACHED = 10_000;

    private record Cached(Consumer consumer, byte[] storedDigest, long until) {
    }

    /** What {@code consumer list} shows. */
    public record Listed(String name, List<CredentialId> credentials, Instant createdAt, Instant lastRead, long reads) {
    }

    private final TokenStore store;
    private final Clock clock;
    private final Map<String, Cached> byHash = new ConcurrentHashMap<>();
    private final ReadLedger ledger = new ReadLedger();
    private final Duration failureDelay;

    /**
     * @param store where consumers live
     * @param clock for created-at and last-read times
     */
    public ConsumerDirectory(TokenStore store, Clock clock) {
        this(store, clock, Duration.ofMillis(200));
    }

    /**
     * @param store        where consumers live
     * @param clock        for created-at and last-read times
     * @param failureDelay how long a request with a wrong bearer waits for its 401
     *                     ({@code TOKENKEEPER_AUTH_FAILURE_DELAY_MILLIS})
     */
    public ConsumerDirectory(TokenStore store, Clock clock, Duration failureDelay) {
        this.store = store;
        this.clock = clock;
        this.failureDelay = failureDelay;
    }

    /** @return how long a request with a wrong bearer waits for its 401 */
    public Duration failureDelay() {
        return failureDelay;
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
        Consumer consumer = new Consumer(Consumer.checkName(name), ConsumerTokens.hash(token),
                credentials.stream().distinct().toList(), clock.instant());
        if (!store.insertConsumer(consumer)) {
            throw new NameTakenException(name);
        }
        return token;
    }

    /** @return every consumer with this daemon's read figures */
    public List<Listed> list() {
        return store.consumers().stream().map(c -> new Listed(c.name(), c.credentials(), c.createdAt(),
                ledger.lastRead(c.name()).orElse(null), ledger.reads(c.name()))).toList();
    }

    /**
     * @param name a consumer
     * @return false when there was none
     */
    public boolean revoke(String name) {
        boolean deleted = store.deleteConsumer(name);
        invalidate();
        return deleted;
    }

    /** Forgets every cached consumer (the store announced a change). */
    public void invalidate() {
        byHash.clear();
    }

    /**
     * @param presented a bearer token
     * @return its consumer, when it is one's token
     */
    public Optional<Consumer> authenticate(String presented) {
        if (!presented.startsWith(ConsumerTokens.PREFIX) || presented.length() > 200) {
            return Optional.empty();
        }
        byte[] digest = ConsumerTokens.digest(presented);
        String hash = HexFormat.of().formatHex(digest);
        long now = System.nanoTime();
        Cached cached = byHash.get(hash);
        if (cached == null || now - cached.until() >= 0) {
            Optional<Consumer> found = store.consumerByTokenHash(hash);
            if (found.isEmpty()) {
                byHash.remove(hash);
                return Optional.empty();
            }
            if (byHash.size() >= MOST_CACHED) {
                byHash.clear();
            }
            cached = new Cached(found.get(), HexFormat.of().parseHex(found.get().tokenHash()), now + TTL.toNanos());
            byHash.put(hash, cached);
        }
        // The lookup was by hash; compare the stored hash in constant time before trusting it.
        return MessageDigest.isEqual(cached.storedDigest(), digest) ? Optional.of(cached.consumer()) : Optional.empty();
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

    /** A name that exists already. */
    public static final class NameTakenException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NameTakenException(String name) {
            super("a consumer named " + name + " exists already: revoke it first or choose another name");
        }
    }
}
