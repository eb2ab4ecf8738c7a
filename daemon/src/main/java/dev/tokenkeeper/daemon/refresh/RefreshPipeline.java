package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.Refreshability;
import dev.tokenkeeper.api.RefreshTiming;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.daemon.config.RefreshPolicy;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.leases.HeldLease;
import dev.tokenkeeper.daemon.leases.LeaseRenewals;
import dev.tokenkeeper.daemon.leases.RefreshLeases;
import dev.tokenkeeper.daemon.log.RoutineLines;
import dev.tokenkeeper.daemon.plugin.Renewal;
import dev.tokenkeeper.daemon.scrub.FailureText;
import org.tinylog.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The refresh pipeline: {@code lease -> decrypt -> provider.refresh -> encrypt -> compare-and-set ->
 * release -> publish}.
 *
 * <p>One refresh per credential at a time in this process: later callers join the running one and
 * share its result. Across processes, the store lease decides who refreshes, and the version
 * compare-and-set fences a daemon whose lease ran out. The lease is renewed while the refresh runs and
 * confirmed right before the upstream call, so that a refresh stalled past its lease does not spend a
 * refresh token another daemon has spent meanwhile. New secret material is committed to the
 * store before anything else sees it; the only moment a crash can lose a rotated refresh token is
 * between the upstream's answer and that single durable write.
 */
public final class RefreshPipeline {

    /** How soon a refresh that could not get a lease from an unreachable store is tried again. */
    private static final Duration LEASE_UNAVAILABLE_RETRY = Duration.ofSeconds(2);
    /** Committed refreshes logged one by one at info per minute; past that at debug, with a count ({@link RoutineLines}). */
    static final int ROUTINE_LINES_PER_MINUTE = 60;
    private final TokenStore store;
    private final RefreshLeases leases;
    private final SecretSealer sealer;
    private final Function<String, Optional<TokenProvider>> providers;
    private final RefreshPlanner planner;
    private final Backoff backoff;
    private final RefreshPolicy policy;
    private final Clock clock;
    private final String owner;
    private final TokenCache cache;
    private final ReadsUnderWay reads = new ReadsUnderWay();
    private final RecentChanges recent;
    private final RoutineLines routineLines;
    private volatile ProviderGate gate = ProviderGate.unlimited();
    private volatile RefreshIntents intents = RefreshIntents.none();
    private final Map<CredentialId, CompletableFuture<RefreshReport>> inFlight = new ConcurrentHashMap<>();
    private final Map<CredentialId, Integer> failures = new ConcurrentHashMap<>();
    private final List<RefreshListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<CredentialId, String> stages = new ConcurrentHashMap<>();
    /** The stages' words, built once rather than for every refresh. */
    private final String storeAnswering;
    private final String storeTaking;
    private final Map<String, String> upstreamAnswering = new ConcurrentHashMap<>();
    /**
     * The opened secrets of this process's refreshes under way: the row read for the refresh, then the
     * refreshed state being committed. The due check and planning ({@link #untilExpiry}) use them rather
     * than decrypt again. They enter the token cache only where a consumer's read had put the credential:
     * in a due storm every refresh added its old and its new state, each living just long enough to be
     * copied into the collector's old generation (issue 26: a quarter of four daemons' collection pauses).
     */
    private final Map<CredentialId, LiveCredential> inHand = new ConcurrentHashMap<>();
    private volatile Predicate<CredentialId> claimedHere = id -> true;
    private final ExecutorService onDemand = Executors.newCachedThreadPool(
            runnable -> {
                Thread thread = new Thread(runnable, "refresh-on-demand");
                thread.setDaemon(true);
                return thread;
            });
    /** Renews the leases of running refreshes. */
    private final LeaseRenewals leaseRenewals;
    private volatile boolean closing;

    /**
     * @param store     where credentials live
     * @param sealer    encryption at rest
     * @param providers provider by id
     * @param policy    margins, jitter, retry delays, lease length and minimum interval
     * @param random    the jitter's randomness (planning and retry delays draw from it)
     * @param clock     the time
     * @param owner     this daemon's lease owner name
     * @param cache     the opened credentials
     */
    public RefreshPipeline(TokenStore store, SecretSealer sealer, Function<String, Optional<TokenProvider>> providers,
                           RefreshPolicy policy, RandomGenerator random, Clock clock, String owner, TokenCache cache) {
        this.store = store;
        this.storeAnswering = "waiting for the store " + store.id() + " to answer";
        this.storeTaking = "waiting for the store " + store.id() + " to take the result";
        this.leases = new RefreshLeases(store);
        this.sealer = sealer;
        this.providers = providers;
        this.policy = policy;
        this.planner = new RefreshPlanner(policy, random);
        this.backoff = new Backoff(policy, random);
        this.clock = clock;
        this.routineLines = new RoutineLines(clock, ROUTINE_LINES_PER_MINUTE);
        this.owner = owner;
        this.cache = cache;
        this.recent = new RecentChanges(clock, policy.lease().multipliedBy(2));
        this.leaseRenewals = new LeaseRenewals(policy.lease());
    }

    /** @param gate limits upstream calls per provider (default: none) */
    public void limitUpstreamCalls(ProviderGate gate) {
        this.gate = gate;
    }

    /** @param intents where to note refreshes in flight, for recovery after a crash (default: nowhere) */
    public void recordIntents(RefreshIntents intents) {
        this.intents = intents;
    }

    /**
     * Resumes a refresh that was in flight when the daemon stopped: the previous run's lease is given
     * back (the note proves it was this daemon's), and the credential is refreshed at once with the
     * refresh token still committed. The refresh counts as in flight from this call on, so a scheduled
     * or on-demand refresh of the same credential joins it.
     *
     * @param intent   the note of the interrupted refresh
     * @param executor where to run it
     * @return its outcome
     */
    public CompletableFuture<RefreshReport> resume(RefreshIntents.Intent intent, Executor executor) {
        CompletableFuture<RefreshReport> mine = new CompletableFuture<>();
        CompletableFuture<RefreshReport> running = inFlight.putIfAbsent(intent.id(), mine);
        if (running != null) {
            return running;
        }
        executor.execute(() -> {
            try {
                try {
                    leases.release(intent.id(), intent.owner());
                } catch (RuntimeException e) {
                    Logger.warn("could not give back the previous run's lease of {} ({}); it runs out by itself",
                            intent.id(), e.getMessage());
                }
                mine.complete(runOnce(intent.id(), new RefreshTrigger.Recovery(), null));
            } catch (RuntimeException | Error e) {
                mine.completeExceptionally(e);
            } finally {
                inFlight.remove(intent.id(), mine);
            }
        });
        return mine;
    }

    /** @param listener told about every committed change */
    public void addListener(RefreshListener listener) {
        listeners.add(listener);
    }

    /**
     * Refreshes a credential if the trigger says it is needed, joining a refresh of the same
     * credential that is already running in this process.
     *
     * @param id      the credential
     * @param trigger why
     * @return what happened
     * @throws CredentialNotFoundException when there is no such credential
     */
    public RefreshReport refresh(CredentialId id, RefreshTrigger trigger) {
        return joinOrRun(id, () -> runOnce(id, trigger, null));
    }

    /**
     * Refreshes a credential whose lease a claim of the store's due queue already holds, if the
     * trigger says it is needed, joining a refresh of it already running in this process. The lease
     * is renewed while the refresh runs as any refresh's is; a commit writes the next due time with
     * the refresh and gives the lease back; otherwise the caller gives the claim back.
     *
     * @param claim   the claimed row, when its lease was taken, and the next due time of a commit
     * @param trigger why
     * @return what happened
     */
    public RefreshReport refreshClaimed(Claimed claim, RefreshTrigger trigger) {
        return joinOrRun(claim.row().id(), () -> runOnce(claim.row().id(), trigger, claim));
    }

    /**
     * A row of the store's due queue that this daemon claimed.
     *
     * @param row      the row as the claim read it, under its lease
     * @param leasedAt the instant the lease's end was computed from (its end less the lease length)
     * @param nextDue  when a refreshed credential is next due (empty: kept out of claims)
     */
    public record Claimed(StoredCredential row, Instant leasedAt, Function<StoredCredential, Optional<Instant>> nextDue) {
    }

    private RefreshReport joinOrRun(CredentialId id, Supplier<RefreshReport> run) {
        if (closing) {
            throw new NoValidTokenException("tokenkeeper is shutting down: try again once it is back", false);
        }
        CompletableFuture<RefreshReport> mine = new CompletableFuture<>();
        CompletableFuture<RefreshReport> running = inFlight.putIfAbsent(id, mine);
        if (running != null) {
            // Every step of a refresh has a deadline, the lease wait included: a joiner waits that long at most.
            Duration patience = policy.lease().multipliedBy(2);
            try {
                return await(running, patience);
            } catch (RefreshPendingException e) {
                StoredCredential known = cache.get(id).map(LiveCredential::stored).orElseGet(() -> stored(id));
                return new RefreshReport.Skipped(known, "another refresh of it is still running after "
                        + patience.toSeconds() + " s");
            }
        }
        runInto(id, run, mine);
        return await(mine, Duration.ZERO); // already complete: this only unwraps its failure
    }

    /**
     * Like {@link #refresh}, for a consumer waiting for an answer: the refresh runs (or is joined) in
     * the background and the caller waits for it at most {@code patience}; the refresh goes on after that.
     *
     * @param id       the credential
     * @param trigger  why
     * @param patience the longest wait
     * @return what happened
     * @throws RefreshPendingException when the refresh did not finish within {@code patience}; its
     *                                 message says which step is slow
     * @throws CredentialNotFoundException when there is no such credential
     */
    public RefreshReport refreshWithin(CredentialId id, RefreshTrigger trigger, Duration patience) {
        if (closing) {
            throw new NoValidTokenException("tokenkeeper is shutting down: try again once it is back", false);
        }
        CompletableFuture<RefreshReport> mine = new CompletableFuture<>();
        CompletableFuture<RefreshReport> running = inFlight.putIfAbsent(id, mine);
        if (running == null) {
            running = mine;
            try {
                onDemand.execute(() -> runInto(id, () -> runOnce(id, trigger, null), mine));
            } catch (RejectedExecutionException e) {
                inFlight.remove(id, mine);
                throw new NoValidTokenException("tokenkeeper is shutting down: try again once it is back", false);
            }
        }
        try {
            return await(running, patience);
        } catch (RefreshPendingException e) {
            throw new RefreshPendingException("the refresh of " + id + " is still running after "
                    + Math.max(1, patience.toSeconds()) + " s (" + stages.getOrDefault(id, "finishing")
                    + "); it goes on in the background: ask again shortly");
        }
    }

    private void runInto(CredentialId id, Supplier<RefreshReport> run, CompletableFuture<RefreshReport> mine) {
        RefreshReport report;
        try {
            report = run.get();
        } catch (RuntimeException | Error e) {
            finished(id, mine);
            mine.completeExceptionally(e);
            return;
        }
        finished(id, mine);
        mine.complete(report);
    }

    /**
     * Out of the map before its result is out: a request made after a caller got the result starts a
     * refresh of its own, never joins this finished one (a forced refresh right after a skipped one
     * was answered with the skip).
     */
    private void finished(CredentialId id, CompletableFuture<RefreshReport> mine) {
        stages.remove(id);
        inFlight.remove(id, mine);
    }

    private static RefreshReport await(CompletableFuture<RefreshReport> running, Duration patience) {
        try {
            return running.get(Math.max(1, patience.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new RefreshPendingException("still running");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NoValidTokenException("interrupted while waiting for a refresh: tokenkeeper is stopping", false);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Refuses new refreshes and waits for the running ones to commit, so that a shutdown never
     * abandons a refresh between the upstream's answer and the commit.
     *
     * @param patience the longest wait
     * @return true when nothing is running any more
     */
    public boolean closeAndAwaitIdle(Duration patience) {
        closing = true;
        onDemand.shutdown();
        long deadline = System.nanoTime() + patience.toNanos();
        for (CompletableFuture<RefreshReport> running : List.copyOf(inFlight.values())) {
            try {
                running.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException e) {
                // Its caller reports the failure.
            }
        }
        // A finished refresh leaves the map just after its joiners are answered: done is idle.
        boolean idle = inFlight.values().stream().allMatch(CompletableFuture::isDone);
        if (idle) {
            leaseRenewals.shutdown();
        }
        return idle;
    }

    /**
     * Opens a stored credential for its users (a consumer's read, a changed credential the cache held)
     * and caches it; the daemon's own work on a row opens it with {@link #openUncached} or {@link #hold}.
     *
     * @param stored the row
     * @return the opened credential
     * @throws UnsealException when the secret cannot be opened
     */
    public LiveCredential open(StoredCredential stored) throws UnsealException {
        Optional<LiveCredential> cached = cache.get(stored.id())
                .filter(live -> live.matches(stored));
        if (cached.isPresent()) {
            return cached.get();
        }
        SecretMaterial secret = sealer.open(stored.id(), stored.secret());
        TokenProvider provider = provider(stored.id());
        LiveCredential live = new LiveCredential(stored, secret, provider.present(secret));
        cache.put(live);
        return live;
    }

    /**
     * Asks the upstream whether it still accepts the credential's current token, through the
     * provider's call limit. A provider that throws, or whose turn does not come within
     * {@code maxWait}, gives an inconclusive answer.
     *
     * @param live    the opened credential
     * @param maxWait how long to wait for a turn
     * @return what the upstream said
     */
    public ValidationResult validate(LiveCredential live, Duration maxWait) {
        TokenProvider provider = provider(live.stored().id());
        try {
            return gate.through(provider.id(), maxWait, () -> {
                try {
                    ValidationResult result = provider.validate(live.secret());
                    return result != null ? result : new ValidationResult.Inconclusive(FailureKind.BAD_RESPONSE,
                            "provider returned nothing", Optional.empty());
                } catch (RuntimeException e) {
                    // The exception's class is safe to show, its message may not be.
                    return new ValidationResult.Inconclusive(FailureKind.BAD_RESPONSE,
                            "provider failed with " + e.getClass().getSimpleName(), Optional.empty());
                }
            });
        } catch (ProviderGate.BusyException e) {
            return new ValidationResult.Inconclusive(FailureKind.NETWORK, "no turn for an upstream call: "
                    + e.getMessage(), Optional.empty());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ValidationResult.Inconclusive(FailureKind.NETWORK, "interrupted before the call", Optional.empty());
        }
    }

    /**
     * Reads a credential from the store.
     *
     * @param id the credential
     * @return the stored row
     * @throws CredentialNotFoundException when there is none
     */
    public StoredCredential stored(CredentialId id) {
        return store.get(id).orElseThrow(() -> new CredentialNotFoundException(id));
    }

    /**
     * @param id the credential
     * @return its provider
     * @throws IllegalStateException when the provider is not installed
     */
    public TokenProvider provider(CredentialId id) {
        return providers.apply(id.provider()).orElseThrow(() -> new IllegalStateException("provider '" + id.provider()
                + "' is not installed: add its jar to the plugins folder (see `tokenkeeper providers`)"));
    }

    /**
     * Tells the listeners about a credential (after an import or a delete, too).
     *
     * @param credential  the committed credential
     * @param nextAttempt a planned retry, if any
     */
    public void publish(StoredCredential credential, Optional<Instant> nextAttempt) {
        remember(credential.id());
        for (RefreshListener listener : listeners) {
            try {
                listener.changed(credential, nextAttempt);
            } catch (RuntimeException e) {
                Logger.error("listener failed for {}: {}", credential.id(), e.toString());
            }
        }
    }

    /**
     * Drops every opened credential from the token cache: the store's announcements were missed, so
     * any of them may be older than its row; each is read again at its next use.
     */
    public void forgetOpened() {
        cache.invalidateAll();
    }

    /**
     * Another daemon changed this credential. A read of it under way here may have fetched the row
     * before that change: what it opens is kept out of the token cache (see {@link #whileReading}).
     *
     * @param id the changed credential
     * @return true when its opened secret is in the token cache (the caller then reads the row again)
     */
    public boolean changedElsewhere(CredentialId id) {
        reads.changed(id);
        remember(id);
        return holds(id);
    }

    /**
     * Keeps changes (this daemon's and others') in {@link RecentChanges} only for the credentials the
     * predicate names: those a claim holds here, whose refresh then reads the row again rather than trust
     * the claim's. By default every change is kept. In a due storm on the store's plan that was one entry
     * per refresh of the fleet, each living just long enough to reach the collector's old generation.
     *
     * @param claimedHere whether this daemon holds (or is taking) a claim of the credential
     * @return this
     */
    public RefreshPipeline rememberChangesOnlyOf(Predicate<CredentialId> claimedHere) {
        this.claimedHere = Objects.requireNonNull(claimedHere, "claimedHere");
        return this;
    }

    private void remember(CredentialId id) {
        if (claimedHere.test(id)) {
            recent.changed(id);
        }
    }

    /**
     * Reads and opens a credential for a use that caches it. Were its change announced meanwhile by
     * another daemon that this one does not follow for uncached credentials, the (possibly older)
     * row it opened is dropped from the cache again, unless a newer one replaced it there; the caller
     * still gets it, as it was current when read.
     *
     * @param id   the credential
     * @param read reads and opens it
     * @return what {@code read} returned
     */
    public LiveCredential whileReading(CredentialId id, Supplier<LiveCredential> read) {
        reads.begin(id);
        LiveCredential live;
        try {
            live = read.get();
        } catch (RuntimeException | Error e) {
            reads.end(id);
            throw e;
        }
        boolean changedMeanwhile = reads.end(id);
        if (changedMeanwhile) {
            cache.removeVersion(id, live.stored().version());
        }
        return live;
    }

    /**
     * @param id a credential
     * @return true when its opened secret is in the token cache
     */
    public boolean holds(CredentialId id) {
        return cache.get(id).isPresent();
    }

    /** @param id the deleted credential */
    public void forget(CredentialId id) {
        cache.remove(id);
        failures.remove(id);
        listeners.forEach(listener -> listener.removed(id));
    }

    /**
     * @param credential a credential
     * @return whether this is due for a scheduled refresh now
     */
    public boolean isDue(StoredCredential credential) {
        return isDue(credential, Duration.ZERO);
    }

    private boolean isDue(StoredCredential credential, Duration advance) {
        if (untilExpiry(credential)) {
            return credential.accessExpiresAt().map(end -> !end.isAfter(clock.instant().plus(advance))).orElse(false);
        }
        return planner.isDue(credential, keepAlive(credential.id()), timing(credential.id()), clock.instant().plus(advance));
    }

    /**
     * @param id a credential
     * @return what a failed refresh costs at its provider
     */
    public RefreshTiming timing(CredentialId id) {
        return providers.apply(id.provider()).map(TokenProvider::refreshTiming)
                .orElse(RefreshTiming.DEFAULT);
    }

    /**
     * @param credential a credential
     * @return when the schedule should refresh it
     */
    public Instant plan(StoredCredential credential) {
        if (untilExpiry(credential)) {
            // Nothing to refresh: the only thing due is marking it expired when its access token ends.
            return credential.accessExpiresAt().orElseGet(() -> clock.instant().plus(keepAlive(credential.id())));
        }
        return planner.plan(credential, keepAlive(credential.id()), timing(credential.id()));
    }

    /**
     * @param credential a credential
     * @return true when its provider says its secret cannot refresh ({@link Refreshability.UntilExpiry}):
     *         it is served until its access token expires; false when its secret cannot be opened or its
     *         provider is not installed (the refresh then says what is wrong)
     */
    public boolean untilExpiry(StoredCredential credential) {
        Optional<TokenProvider> provider = providers.apply(credential.id().provider());
        if (provider.isEmpty()) {
            return false;
        }
        try {
            // Planning asks this of every credential: opened here without filling the token cache, which
            // keeps what consumers read (issue 26: planning a million must not churn it).
            Optional<LiveCredential> known = known(credential);
            SecretMaterial secret = known.isPresent() ? known.get().secret()
                    : sealer.open(credential.id(), credential.secret());
            return provider.get().refreshability(secret) instanceof Refreshability.UntilExpiry;
        } catch (UnsealException | RuntimeException e) {
            return false;
        }
    }

    private Duration keepAlive(CredentialId id) {
        return providers.apply(id.provider()).map(TokenProvider::keepAlive).orElse(Duration.ofDays(1));
    }

    /** @param claim the claim that holds the lease already; null to take the lease here */
    private RefreshReport runOnce(CredentialId id, RefreshTrigger trigger, Claimed claim) {
        try {
            return runHolding(id, trigger, claim);
        } finally {
            release(id);
        }
    }

    /**
     * Opens a row for this daemon's own work on it (a claim's due check and refresh, a validation) without
     * adding it to the token cache, which keeps what consumers read: the cache's entry or the one in hand
     * when it is this version, else decrypted.
     *
     * @param stored the row
     * @return the opened credential
     * @throws UnsealException when the secret cannot be opened
     */
    public LiveCredential openUncached(StoredCredential stored) throws UnsealException {
        Optional<LiveCredential> known = known(stored);
        if (known.isPresent()) {
            return known.get();
        }
        SecretMaterial secret = sealer.open(stored.id(), stored.secret());
        return new LiveCredential(stored, secret, provider(stored.id()).present(secret));
    }

    /**
     * {@link #openUncached}, and keeps it in hand (not in the token cache) until {@link #release} or the end
     * of a refresh of it, so that the checks and the refresh that follow share one decryption.
     *
     * @param stored the row
     * @return the opened credential
     * @throws UnsealException when the secret cannot be opened
     */
    public LiveCredential hold(StoredCredential stored) throws UnsealException {
        LiveCredential live = openUncached(stored);
        inHand.put(stored.id(), live);
        return live;
    }

    /** @param id a credential {@link #hold held} for work that has ended */
    public void release(CredentialId id) {
        inHand.remove(id);
    }

    private Optional<LiveCredential> known(StoredCredential stored) {
        return cache.get(stored.id()).filter(live -> live.matches(stored))
                .or(() -> Optional.ofNullable(inHand.get(stored.id())).filter(live -> live.matches(stored)));
    }

    private RefreshReport runHolding(CredentialId id, RefreshTrigger trigger, Claimed claim) {
        stages.put(id, storeAnswering);
        // A claimed row is as the claim read it, unless this process changed the credential since (see RecentChanges).
        StoredCredential stored = claim != null && !recent.changedSince(id, claim.leasedAt()) ? claim.row() : stored(id);
        if (claim != null) {
            // Claimed because due: opened once here, so that the due check and the refresh share one decryption.
            try {
                hold(stored);
            } catch (UnsealException unreadable) {
                // The refresh below says so.
            }
        }
        Optional<String> skip = reasonToSkip(stored, trigger);
        if (skip.isPresent()) {
            return new RefreshReport.Skipped(stored, skip.get());
        }
        Instant leasedAt;
        if (claim != null) {
            leasedAt = claim.leasedAt();
        } else {
            // Another daemon may hold the lease: wait for it, and stop waiting as soon as its commit
            // makes this refresh unnecessary; if its refresh failed, take the lease and try ourselves.
            Instant giveUp = clock.instant().plus(policy.lease());
            while (true) {
                try {
                    leasedAt = clock.instant();
                    if (leases.tryLease(id, owner, leasedAt.plus(policy.lease()))) {
                        break;
                    }
                } catch (StoreUnavailableException e) {
                    // No lease can be had (the store is down and another daemon refreshes this one meanwhile):
                    // serve what there is and look again shortly, without waiting here.
                    return leaseUnavailable(stored, e.getMessage());
                }
                stages.put(id, "waiting for another daemon's refresh lease");
                if (clock.instant().isAfter(giveUp)) {
                    return new RefreshReport.Skipped(stored(id), "another daemon holds the refresh lease");
                }
                pause();
                stored = stored(id);
                skip = reasonToSkip(stored, trigger);
                if (skip.isPresent()) {
                    return new RefreshReport.Skipped(stored, skip.get() + " (after another daemon's refresh)");
                }
            }
        }
        boolean leaseReleased = false;
        HeldLease held = HeldLease.taken(leases, id, owner, clock, policy.lease(), leasedAt, leaseRenewals);
        try {
            CrashPoint.reached("after-lease");
            if (claim == null) {
                // Re-read under the lease: another daemon may have refreshed in between (a claim read it under its lease).
                stored = stored(id);
                skip = reasonToSkip(stored, trigger);
                if (skip.isPresent()) {
                    return new RefreshReport.Skipped(stored, skip.get());
                }
            }
            SecretMaterial secret;
            try {
                secret = hold(stored).secret();
            } catch (UnsealException e) {
                return unreadable(stored, e);
            }
            TokenProvider provider = provider(id);
            if (provider.refreshability(secret) instanceof Refreshability.UntilExpiry) {
                return withoutRefresh(stored, trigger, provider);
            }
            CrashPoint.reached("before-upstream");
            intents.begin(id, owner);
            stages.put(id, upstreamAnswering.computeIfAbsent(id.provider(), name -> "waiting for the upstream " + name
                    + " to answer"));
            Instant started = clock.instant();
            StoredCredential leased = stored;
            Call call = callThroughGate(provider, () -> stillOurs(held, leased), secret);
            if (call.notSent().isPresent()) {
                intents.end(id);
                Logger.warn("refresh of {} not sent: {}", id, call.notSent().get());
                return new RefreshReport.Skipped(stored(id), call.notSent().get());
            }
            RefreshResult result = FailureText.scrubbed(call.result(), secret);
            Duration took = Duration.between(started, clock.instant());
            CrashPoint.reached("after-upstream");
            stages.put(id, storeTaking);
            held.committing();
            RefreshReport report;
            if (result instanceof RefreshResult.Refreshed refreshed) {
                report = committed(stored, refreshed.issued(), took, provider, claim);
                // A successful commit gives the lease back in the same transaction.
                leaseReleased = report instanceof RefreshReport.Refreshed;
            } else if (result instanceof RefreshResult.TransientFailure failure) {
                report = retryLater(stored, failure, took);
            } else {
                String reason = ((RefreshResult.PermanentFailure) result).reason();
                if (trigger instanceof RefreshTrigger.Recovery) {
                    reason = "the upstream refused the refresh token presented again after a restart (" + reason
                            + "): tokenkeeper stopped between the upstream's answer and its commit, and the upstream"
                            + " rotated the token while tokenkeeper was down; import the credential again";
                }
                report = needsHuman(stored, reason, took);
            }
            intents.end(id);
            CrashPoint.reached("after-commit");
            return report;
        } finally {
            try {
                // A renewal during the commit may have taken back the lease the commit gave back. A claim
                // that did not commit is given back by its caller, with its next due time.
                boolean retaken = held.stop();
                if (claim == null ? retaken || !leaseReleased : retaken && leaseReleased) {
                    leases.release(id, owner);
                }
            } catch (RuntimeException e) {
                Logger.warn("could not release the refresh lease of {} ({}); it runs out by itself", id, e.getMessage());
            }
        }
    }

    private Optional<String> reasonToSkip(StoredCredential stored, RefreshTrigger trigger) {
        Instant now = clock.instant();
        boolean recentlyRefreshed = stored.lastRefreshAt()
                .map(last -> Duration.between(last, now).compareTo(policy.minimumInterval()) < 0).orElse(false);
        if (trigger instanceof RefreshTrigger.Forced) {
            return Optional.empty();
        }
        if (stored.status() == CredentialStatus.REQUIRES_CONFIGURATION) {
            return Optional.of("needs a new import");
        }
        if (trigger instanceof RefreshTrigger.Retry || trigger instanceof RefreshTrigger.Recovery) {
            return Optional.empty();
        }
        if (trigger instanceof RefreshTrigger.Rejected rejected) {
            if (rejected.replacedBy(stored)) {
                return Optional.of("already replaced");
            }
            return recentlyRefreshed ? Optional.of("refreshed moments ago") : Optional.empty();
        }
        if (trigger instanceof RefreshTrigger.OnDemand onDemand) {
            return Validity.enough(stored, now, onDemand.minValidity()) ? Optional.of("token valid long enough") : Optional.empty();
        }
        Duration advance = trigger instanceof RefreshTrigger.Scheduled scheduled ? scheduled.advance() : Duration.ZERO;
        return isDue(stored, advance) ? Optional.empty() : Optional.of("not due yet");
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NoValidTokenException("interrupted while waiting for another daemon's refresh", false);
        }
    }

    /**
     * What came of a refresh's upstream call.
     *
     * @param result  the upstream's answer, when the call was made
     * @param notSent why the call was not made, when it was not
     */
    private record Call(RefreshResult result, Optional<String> notSent) {

        static Call sent(RefreshResult result) {
            return new Call(result, Optional.empty());
        }
    }

    private Call callThroughGate(TokenProvider provider, Supplier<Optional<String>> mayCall, SecretMaterial secret) {
        try {
            // Waiting for a turn happens under the lease (renewed meanwhile): half of it at most.
            return gate.through(provider.id(), policy.lease().dividedBy(2), () -> {
                Optional<String> stop = mayCall.get();
                return stop.isPresent() ? new Call(null, stop) : Call.sent(callProvider(provider, secret));
            });
        } catch (ProviderGate.BusyException e) {
            return Call.sent(RefreshResult.TransientFailure.of(FailureKind.NETWORK,
                    "no turn for an upstream call: " + e.getMessage() + "; it is tried again later"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Call.sent(RefreshResult.TransientFailure.of(FailureKind.NETWORK, "interrupted before the call"));
        }
    }

    /**
     * Right before the upstream call, after every wait: the lease is still this daemon's, and if it
     * had run out meanwhile, nobody refreshed the credential in between (the refresh token read
     * under the lease is still the committed one).
     *
     * @return why the call must not be made, or empty
     */
    private Optional<String> stillOurs(HeldLease held, StoredCredential leased) {
        Optional<String> lost = held.confirm();
        if (lost.isPresent() || !held.lapsed()) {
            return lost;
        }
        StoredCredential now = stored(leased.id());
        if (now.version() != leased.version() || !now.secret().equals(leased.secret())) {
            return Optional.of("its refresh lease ran out while this refresh waited, and it was changed meanwhile"
                    + " (version " + leased.version() + " is now " + now.version() + ")");
        }
        return Optional.empty();
    }

    private static RefreshResult callProvider(TokenProvider provider, SecretMaterial secret) {
        try {
            RefreshResult result = provider.refresh(secret);
            if (result == null) {
                return RefreshResult.TransientFailure.of(FailureKind.BAD_RESPONSE,
                        "provider returned nothing");
            }
            return result;
        } catch (RuntimeException e) {
            // A provider bug must not kill the pipeline; the exception's class is safe to show, its message may not be.
            return RefreshResult.TransientFailure.of(FailureKind.BAD_RESPONSE,
                    "provider failed with " + e.getClass().getSimpleName());
        }
    }

    private RefreshReport committed(StoredCredential before, IssuedSecret issued, Duration took, TokenProvider provider,
                                    Claimed claim) {
        Instant now = clock.instant();
        SealedSecret sealed = sealer.seal(before.id(), issued.secret());
        StoredCredential after = new StoredCredential(before.id(), CredentialStatus.ACTIVE, sealed, issued.issuedAt(),
                issued.accessExpiresAt(), issued.refreshExpiresAt(), before.version() + 1, Optional.of(now),
                Optional.empty(), now);
        RefreshEvent event = new RefreshEvent(after.id(), now, RefreshOutcome.REFRESHED, "", took, after.version());
        LiveCredential live = new LiveCredential(after, issued.secret(), provider.present(issued.secret()));
        // Planning the new state (its next due time, written with the commit) asks whether it can refresh,
        // which needs its secret: this one, not a decryption of what was just sealed.
        inHand.put(after.id(), live);
        boolean written = claim == null ? leases.commitRefresh(after, before.version(), event, owner)
                : leases.commitRefresh(after, before.version(), event, owner, claim.nextDue().apply(after));
        if (!written) {
            // Our lease ran out and someone else wrote. Keep what is committed: it may already be in use.
            StoredCredential current = stored(before.id());
            Logger.error("refresh of {} could not be committed: version {} was replaced by {} while the upstream "
                    + "answered (lease ran out); kept the committed one; if refreshes now fail, re-import it",
                    before.id(), before.version(), current.version());
            return new RefreshReport.Skipped(current, "lost the commit race");
        }
        failures.remove(before.id());
        cache.replace(live);
        // A consumer's read of the row before this commit must not cache it after the replace found nothing.
        reads.changed(after.id());
        notifyRecorded(event);
        routineLines.log(() -> "refreshed " + after.id() + " (version " + after.version() + "): access token valid until "
                + after.accessExpiresAt().map(Instant::toString).orElse("unknown") + ", next refresh at " + plan(after));
        publish(after, Optional.empty());
        return new RefreshReport.Refreshed(after);
    }

    private RefreshReport leaseUnavailable(StoredCredential stored, String reason) {
        Instant next = clock.instant().plus(LEASE_UNAVAILABLE_RETRY);
        publish(stored, Optional.of(next));
        return new RefreshReport.RetryLater(stored, reason, next);
    }

    private RefreshReport retryLater(StoredCredential before, RefreshResult.TransientFailure failure, Duration took) {
        Instant now = clock.instant();
        int count = failures.merge(before.id(), 1, Integer::sum);
        Duration delay = backoff.delay(count, failure.retryAfter(), now, before.accessExpiresAt());
        Instant next = now.plus(delay);
        String reason = failure.kind().wireName() + ": " + failure.reason();
        boolean expired = before.accessExpiresAt().map(expiry -> !expiry.isAfter(now)).orElse(false);
        CredentialStatus status = expired ? CredentialStatus.EXPIRED : CredentialStatus.ACTIVE;
        StoredCredential after = before;
        if (status != before.status() || !before.lastError().equals(Optional.of(reason))) {
            StoredCredential candidate = before.withStatus(status, Optional.of(reason), now);
            if (store.compareAndSet(candidate, before.version())) {
                after = candidate;
                cache.get(before.id()).ifPresent(live ->
                        cache.put(new LiveCredential(candidate, live.secret(), live.presentation())));
            }
        }
        record(new RefreshEvent(before.id(), now, RefreshOutcome.TRANSIENT_FAILURE, reason, took, after.version()));
        Logger.warn("refresh of {} failed ({}, attempt {}): {}; {}; retry in {} s", before.id(), failure.kind().wireName(),
                count, failure.reason(), expired ? "token expired" : "old token still served",
                Math.max(1, delay.toSeconds()));
        publish(after, Optional.of(next));
        return new RefreshReport.RetryLater(after, reason, next);
    }

    private RefreshReport needsHuman(StoredCredential before, String reason, Duration took) {
        Instant now = clock.instant();
        failures.remove(before.id());
        StoredCredential after = before.withStatus(CredentialStatus.REQUIRES_CONFIGURATION, Optional.of(reason), now);
        if (!store.compareAndSet(after, before.version())) {
            after = stored(before.id());
        } else {
            cache.remove(before.id());
        }
        record(new RefreshEvent(before.id(), now, RefreshOutcome.PERMANENT_FAILURE, reason, took, after.version()));
        Logger.error("credential {} needs a human: {}", before.id(), reason);
        publish(after, Optional.empty());
        return new RefreshReport.NeedsHuman(after, reason);
    }

    /**
     * A secret that cannot refresh is never sent upstream: it is expired once its access token ends,
     * needs a human at once when the upstream rejected it, and is otherwise left as it is.
     */
    private RefreshReport withoutRefresh(StoredCredential stored, RefreshTrigger trigger, TokenProvider provider) {
        Instant now = clock.instant();
        String command = Renewal.untilExpiryCommand(stored.id(), provider.importForms());
        Optional<Instant> end = stored.accessExpiresAt();
        if (end.isPresent() && !end.get().isAfter(now)) {
            String reason = "no refresh token: the access token expired at " + end.get() + "; import a new one: " + command;
            StoredCredential after = stored;
            if (stored.status() != CredentialStatus.EXPIRED || !stored.lastError().equals(Optional.of(reason))) {
                StoredCredential candidate = stored.withStatus(CredentialStatus.EXPIRED, Optional.of(reason), now);
                after = store.compareAndSet(candidate, stored.version()) ? candidate : stored(stored.id());
                cache.remove(stored.id());
                record(new RefreshEvent(stored.id(), now, RefreshOutcome.PERMANENT_FAILURE, reason, Duration.ZERO,
                        after.version()));
                Logger.warn("credential {} expired: {}", stored.id(), reason);
            }
            publish(after, Optional.empty());
            return new RefreshReport.NeedsHuman(after, reason);
        }
        if (trigger instanceof RefreshTrigger.Rejected) {
            return needsHuman(stored, "the upstream rejected the access token and there is no refresh token to get "
                    + "another; import a new one: " + command, Duration.ZERO);
        }
        return new RefreshReport.Skipped(stored, "no refresh token: it is served until "
                + end.map(Instant::toString).orElse("the upstream rejects it") + "; import again before then: " + command);
    }

    private RefreshReport unreadable(StoredCredential before, UnsealException e) {
        Instant now = clock.instant();
        String reason = e.getMessage();
        StoredCredential after = before.withStatus(CredentialStatus.ERROR, Optional.of(reason), now);
        if (before.status() == CredentialStatus.ERROR && before.lastError().equals(Optional.of(reason))) {
            after = before;
        } else if (!store.compareAndSet(after, before.version())) {
            after = stored(before.id());
        }
        Logger.error("credential {} cannot be decrypted: {}", before.id(), reason);
        publish(after, Optional.empty());
        return new RefreshReport.NeedsHuman(after, reason);
    }

    /**
     * Appends an event to the credential's history and tells the listeners (metrics).
     *
     * @param event the event
     */
    public void record(RefreshEvent event) {
        try {
            store.appendHistory(event);
        } catch (RuntimeException e) {
            // History is for reports; a failure to append must not undo a committed refresh.
            Logger.warn("could not append history for {}: {}", event.id(), e.getMessage());
        }
        notifyRecorded(event);
    }

    private void notifyRecorded(RefreshEvent event) {
        for (RefreshListener listener : listeners) {
            try {
                listener.recorded(event);
            } catch (RuntimeException e) {
                Logger.error("listener failed for {}: {}", event.id(), e.toString());
            }
        }
    }

    /**
     * Marks a credential as needing a human, as a refresh the upstream refused for good does (a
     * sign-in that met a captcha, for one): its history, the listeners and the notifications hear of it.
     *
     * @param id     the credential
     * @param reason why, one line without secrets
     * @return what happened
     * @throws CredentialNotFoundException when there is none
     */
    public RefreshReport markNeedsHuman(CredentialId id, String reason) {
        return needsHuman(stored(id), reason, Duration.ZERO);
    }
}
