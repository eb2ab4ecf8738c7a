package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.rekey.KeyRotation;
import org.tinylog.Logger;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the control API and the scheduler ask of credentials: import, read, hand out a valid token,
 * react to a consumer's 401, refresh on request, delete.
 */
public final class CredentialService {

    private final TokenStore store;
    private final SecretSealer sealer;
    private final RefreshPipeline pipeline;
    private final TokenCache cache;
    private final Clock clock;
    private volatile Duration consumerPatience = Duration.ofSeconds(31);
    private volatile ReportLimit reportLimit;

    /**
     * @param store    where credentials live
     * @param sealer   encryption at rest
     * @param pipeline the refresh pipeline
     * @param cache    the opened credentials
     * @param clock    the time
     */
    public CredentialService(TokenStore store, SecretSealer sealer, RefreshPipeline pipeline, TokenCache cache, Clock clock) {
        this.store = store;
        this.sealer = sealer;
        this.pipeline = pipeline;
        this.cache = cache;
        this.clock = clock;
        this.reportLimit = new ReportLimit(clock, Duration.ofMinutes(1));
    }

    /** @param limit bounds the upstream calls consumers' reports of a rejected token cause (default: 60 s) */
    public void limitReports(ReportLimit limit) {
        this.reportLimit = limit;
    }

    /**
     * Bounds how long a consumer's request ({@link #token}, {@link #rejected}, {@link #refresh}) waits
     * for a refresh, its own or one already running: after that it gets the current valid token, or a
     * {@link RefreshPendingException} saying what is slow, while the refresh goes on in the background.
     *
     * @param patience the longest wait (the daemon uses the upstream timeout plus a second)
     */
    public void answerConsumersWithin(Duration patience) {
        this.consumerPatience = patience;
    }

    /**
     * The result of an import.
     *
     * @param credential the committed credential
     * @param warnings   what the user should know
     * @param replaced   true when an existing credential was overwritten
     */
    public record Imported(StoredCredential credential, List<String> warnings, boolean replaced) {
    }

    /**
     * Imports (or re-imports) a credential from a user's secret.
     *
     * @param id    the credential id; its provider part picks the provider
     * @param input the secret
     * @return the committed credential and any warnings
     * @throws InvalidSecretException when the provider rejects the input (nothing is written)
     */
    public Imported importSecret(CredentialId id, SecretInput input) throws InvalidSecretException {
        TokenProvider provider = pipeline.provider(id);
        ImportedSecret imported = provider.importSecret(input);
        IssuedSecret issued = imported.issued();
        Instant now = clock.instant();
        SealedSecret sealed = sealer.seal(id, issued.secret());
        for (int attempt = 0; attempt < 5; attempt++) {
            Optional<StoredCredential> existing = store.get(id);
            long version = existing.map(StoredCredential::version).orElse(0L) + 1;
            StoredCredential credential = new StoredCredential(id, CredentialStatus.ACTIVE, sealed, issued.issuedAt(),
                    issued.accessExpiresAt(), issued.refreshExpiresAt(), version, Optional.of(now), Optional.empty(), now);
            boolean written = existing.isPresent()
                    ? store.compareAndSet(credential, existing.get().version())
                    : store.insert(credential);
            if (written) {
                cache.put(new LiveCredential(credential, issued.secret(), provider.present(issued.secret())));
                pipeline.record(new RefreshEvent(id, now, RefreshOutcome.IMPORTED, input.form(), Duration.ZERO, version));
                Logger.info("imported {} from {} (version {}): access token valid until {}", id, input.form(), version,
                        credential.accessExpiresAt().map(Instant::toString).orElse("unknown"));
                imported.warnings().forEach(warning -> Logger.warn("import of {}: {}", id, warning));
                pipeline.publish(credential, Optional.empty());
                return new Imported(credential, imported.warnings(), existing.isPresent());
            }
        }
        throw new IllegalStateException("credential " + id + " kept changing while it was imported: try again");
    }

    /**
     * @param credential a credential
     * @return what it is when that matters to a human: for a secret that cannot refresh, "no refresh
     *         token: import again before &lt;its end&gt;"; empty for a credential that refreshes
     */
    public Optional<String> note(StoredCredential credential) {
        if (!pipeline.untilExpiry(credential)) {
            return Optional.empty();
        }
        return Optional.of("no refresh token: import again before " + credential.refreshExpiresAt()
                .or(credential::accessExpiresAt).map(Instant::toString).orElse("the upstream rejects it"));
    }

    /** @return the opened credentials token reads are served from (bounded; read through on a miss) */
    public TokenCache cache() {
        return cache;
    }

    /** @return the time the credentials are judged by (the assembly's clock) */
    public Clock clock() {
        return clock;
    }

    /** @return every credential's row, in id order (no secrets) */
    public List<StoredCredential> list() {
        return store.list();
    }

    /** @return every credential's row, in id order, read a page at a time as it is walked (no secrets) */
    public Iterable<StoredCredential> all() {
        return new CredentialPages(store, CredentialPages.PAGE);
    }

    /**
     * @param after the last id of the previous page, or empty for the first page
     * @param limit the most rows, at least 1
     * @return one page of the credentials' rows, in id order (no secrets): one store read
     */
    public List<StoredCredential> page(Optional<CredentialId> after, int limit) {
        return store.listPage(after, limit);
    }

    /**
     * @param id the credential
     * @return its row, read from the store (one row, not the list)
     */
    public Optional<StoredCredential> find(CredentialId id) {
        return store.get(id);
    }

    /**
     * @param id the credential
     * @return its row
     * @throws CredentialNotFoundException when there is none
     */
    public StoredCredential get(CredentialId id) {
        return pipeline.stored(id);
    }

    /**
     * A token valid for at least {@code minValidity}, refreshing first if needed (sharing a refresh
     * already running).
     *
     * @param id          the credential
     * @param minValidity how long the token must still be good
     * @return the opened credential
     * @throws NoValidTokenException when no such token can be had
     */
    public LiveCredential token(CredentialId id, Duration minValidity) {
        long deadline = System.nanoTime() + consumerPatience.toNanos();
        Instant now = clock.instant();
        Optional<LiveCredential> cached = cache.get(id);
        if (cached.isPresent() && usable(cached.get()) && cached.get().validFor(now, minValidity)) {
            return cached.get();
        }
        LiveCredential live = load(id, deadline);
        if (usable(live) && live.validFor(now, minValidity)) {
            return live;
        }
        RefreshReport report;
        try {
            report = pipeline.refreshWithin(id, new RefreshTrigger.OnDemand(minValidity), left(deadline));
        } catch (RefreshPendingException e) {
            // The best token there is while the refresh goes on: one still valid, if any.
            Optional<LiveCredential> best = cache.get(id).filter(CredentialService::usable)
                    .filter(candidate -> candidate.validFor(clock.instant(), Duration.ZERO));
            if (best.isPresent()) {
                Logger.warn("served the current token of {} without the asked validity: {}", id, e.getMessage());
                return best.get();
            }
            throw e;
        }
        return afterRefresh(id, report);
    }

    /**
     * A consumer got a 401 with {@code token}: hand out the current token if it is already a
     * different one (no upstream call), otherwise refresh (shared with concurrent reports) and hand out
     * the new one, within the {@link ReportLimit}: beyond its one refresh per interval, a report is
     * checked with the upstream once, and refreshes only if the upstream confirms it rejects the token.
     *
     * @param id    the credential
     * @param token the token the consumer used
     * @return the opened, current credential
     * @throws TooManyReportsException when the report would need an upstream call beyond the limit
     */
    public LiveCredential rejected(CredentialId id, String token) {
        long deadline = System.nanoTime() + consumerPatience.toNanos();
        LiveCredential live = load(id, deadline);
        if (!constantTimeEquals(live.presentation().token(), token)) {
            return live;
        }
        ReportLimit limit = reportLimit;
        ReportLimit.Turn turn = limit.take(id);
        if (turn instanceof ReportLimit.Turn.Wait wait) {
            throw tooMany(id, limit, wait.retryAfter(), "the upstream was already asked about it in this interval");
        }
        if (turn instanceof ReportLimit.Turn.Check check) {
            ValidationResult result = pipeline.validate(live, left(deadline));
            if (!(result instanceof ValidationResult.Rejected rejection)) {
                String found = result instanceof ValidationResult.Inconclusive unknown
                        ? "the upstream's check was inconclusive (" + unknown.reason() + ")"
                        : "the upstream accepts the token (checked just now)";
                Logger.warn("a consumer reported the token of {} (version {}) as rejected again within {} s; {}: no"
                        + " refresh, further reports get 429 for {} s", id, live.stored().version(),
                        limit.interval().toSeconds(), found, seconds(check.retryAfter()));
                throw tooMany(id, limit, check.retryAfter(), found);
            }
            Logger.info("a consumer reported the token of {} (version {}) as rejected again; the upstream confirms ({});"
                    + " refreshing", id, live.stored().version(), rejection.reason());
        } else {
            Logger.info("a consumer reported the token of {} (version {}) as rejected", id, live.stored().version());
        }
        RefreshReport report = pipeline.refreshWithin(id, RefreshTrigger.Rejected.of(live.stored()),
                left(deadline));
        return afterRefresh(id, report);
    }

    private static TooManyReportsException tooMany(CredentialId id, ReportLimit limit, Duration retryAfter, String found) {
        return new TooManyReportsException("the token of " + id + " was reported as rejected more often than the"
                + " upstream may be asked (one refresh per " + limit.interval().toSeconds() + " s on reports, "
                + ReportLimit.SETTING + "); " + found + "; the token reported is still the current one: report it again"
                + " in " + seconds(retryAfter) + " s if the upstream still refuses it", retryAfter);
    }

    private static long seconds(Duration duration) {
        return Math.max(1, (duration.toMillis() + 999) / 1000);
    }

    /**
     * @param id    the credential
     * @param force refresh even if not due
     * @return what happened
     * @throws RefreshPendingException when the refresh is still running after the consumers' patience
     */
    public RefreshReport refresh(CredentialId id, boolean force) {
        return pipeline.refreshWithin(id, force ? new RefreshTrigger.Forced() : new RefreshTrigger.OnDemand(Duration.ZERO),
                consumerPatience);
    }

    /**
     * @param id the credential
     * @return false when there was none
     */
    public boolean delete(CredentialId id) {
        boolean deleted = store.delete(id);
        if (deleted) {
            pipeline.forget(id);
            reportLimit.forget(id);
            Logger.info("deleted {}", id);
        }
        return deleted;
    }

    /**
     * @param id    the credential
     * @param since earliest event
     * @param limit most events
     * @return events, oldest first
     */
    public List<RefreshEvent> history(CredentialId id, Instant since, int limit) {
        pipeline.stored(id);
        return store.history(id, since, limit);
    }

    /**
     * Key rotation over this service's store and live sealer (the one the refresh pipeline seals
     * with), for the control API's {@code POST /api/v1/rekey}.
     *
     * @param settings       the daemon's settings, as given to the master key loader
     * @param stateDirectory the daemon's state folder
     * @return the rotation
     */
    public KeyRotation keyRotation(
            Function<String, Optional<String>> settings, Path stateDirectory) {
        return new KeyRotation(settings, stateDirectory, store, sealer, clock);
    }

    private LiveCredential afterRefresh(CredentialId id, RefreshReport report) {
        // The report carries the row as the refresh left it: no further store call (which may be slow).
        LiveCredential live = opened(report.credential(), System.nanoTime() + consumerPatience.toNanos());
        Instant now = clock.instant();
        if (live.stored().status() == CredentialStatus.REQUIRES_CONFIGURATION) {
            throw new NoValidTokenException("credential " + id + " needs a new import: "
                    + live.stored().lastError().orElse("the upstream rejected it"), true);
        }
        if (live.validFor(now, Duration.ZERO)) {
            // The best token there is: after a transient failure the old one is served while it is
            // valid, and an upstream whose tokens live shorter than minValidity cannot do better.
            return live;
        }
        String why = report instanceof RefreshReport.RetryLater later ? later.reason()
                : report instanceof RefreshReport.NeedsHuman human ? human.reason()
                : report instanceof RefreshReport.Skipped skipped ? "the token has expired and the refresh was skipped ("
                        + skipped.why() + ")"
                : report instanceof RefreshReport.Refreshed ? "the new token had already expired when it was committed "
                        + "(the upstream or this machine is very slow)"
                : "the token has expired and was not refreshed";
        throw new NoValidTokenException("no valid token for " + id + ": " + why, report instanceof RefreshReport.NeedsHuman);
    }

    private LiveCredential load(CredentialId id, long deadline) {
        return pipeline.whileReading(id, () -> opened(pipeline.stored(id), deadline));
    }

    private LiveCredential opened(StoredCredential stored, long deadline) {
        CredentialId id = stored.id();
        Optional<LiveCredential> cached = cache.get(id).filter(live -> live.matches(stored));
        if (cached.isPresent()) {
            return cached.get();
        }
        try {
            return pipeline.open(stored);
        } catch (UnsealException e) {
            // Record it (status error, the reason) through the pipeline, which never sends an unopened
            // secret upstream; the version check leaves alone a credential re-imported meanwhile.
            if (stored.status() != CredentialStatus.ERROR) {
                try {
                    pipeline.refreshWithin(id, RefreshTrigger.Rejected.of(stored), left(deadline));
                } catch (RefreshPendingException pending) {
                    // Recorded in the background; the answer is the same.
                }
            }
            throw new NoValidTokenException("credential " + id + " cannot be decrypted: " + e.getMessage(), true);
        }
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static boolean usable(LiveCredential live) {
        CredentialStatus status = live.stored().status();
        return status == CredentialStatus.ACTIVE || status == CredentialStatus.EXPIRED;
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8),
                b.getBytes(StandardCharsets.UTF_8));
    }

}
