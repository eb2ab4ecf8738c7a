package dev.tokenkeeper.daemon.signin;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SignInPage;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.daemon.notify.Notifications;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.RefreshListener;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import org.tinylog.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Signs accounts in again when their session is gone: for a credential with sign-in secrets whose
 * provider has a {@link SignInPage}, when the credential needs a human (its session was rejected for
 * good) or does not exist, a headless browser signs in, the cookies it gets are imported and refreshed
 * at once (so the daemon owns the chain). A failure leaves the credential needing a human, with the
 * sign-in's reason, and tells the notification channels. One attempt at a time, at most
 * {@link SignInSettings#attemptsPerDay()} per account in any 24 hours of the daemon's clock.
 */
public final class SignIns implements RefreshListener, AutoCloseable {

    /** Every reason a sign-in leaves starts so: a credential needing a human for it is not tried again at once. */
    static final String REASON_PREFIX = "sign-in: ";
    private static final Duration BROWSER_START = Duration.ofSeconds(30);
    private static final Duration CONNECT = Duration.ofSeconds(10);
    private static final Duration DAY = Duration.ofDays(1);
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private final SignInSettings settings;
    private final SignInSecrets secrets;
    private final Function<String, Optional<TokenProvider>> providers;
    private final CredentialService credentials;
    private final RefreshPipeline pipeline;
    private final Notifications notifications;
    private final Path profiles;
    private final Clock clock;
    private final Map<CredentialId, Deque<Instant>> attempts = new HashMap<>();
    private final Set<CredentialId> queued = ConcurrentHashMap.newKeySet();
    private final AtomicReference<ChromiumProcess> running = new AtomicReference<>();
    private volatile ExecutorService worker;

    /**
     * @param settings      the browser, the limits and the secrets from the settings
     * @param secrets       the sign-in secrets of the credentials (the settings' and those stored)
     * @param providers     the provider of an id
     * @param credentials   imports the cookies a sign-in gets
     * @param pipeline      refreshes them, and marks a credential needing a human
     * @param notifications told when a sign-in fails
     * @param state         the state folder (each browser profile is made under it, and removed)
     * @param clock         the time the daily limit is counted on
     */
    public SignIns(SignInSettings settings, SignInSecrets secrets,
                   Function<String, Optional<TokenProvider>> providers, CredentialService credentials,
                   RefreshPipeline pipeline, Notifications notifications, Path state, Clock clock) {
        this.settings = settings;
        this.secrets = secrets;
        this.providers = providers;
        this.credentials = credentials;
        this.pipeline = pipeline;
        this.notifications = notifications;
        this.profiles = state.resolve("browser");
        this.clock = clock;
    }

    /**
     * Starts the worker, says what is missing for the accounts with sign-in secrets, and signs in those
     * whose credential does not exist or needs a human.
     */
    public void start() {
        worker = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "sign-in");
            thread.setDaemon(true);
            return thread;
        });
        for (CredentialId id : secrets.accounts()) {
            if (page(id).isEmpty()) {
                Logger.warn("sign-in secrets are set for {}, but provider {} has no sign-in page: they are not used",
                        id, id.provider());
                continue;
            }
            if (!settings.browserInstalled()) {
                Logger.warn("sign-in secrets are set for {}, but the daemon cannot sign in: {}", id, settings.installHint());
            }
            Optional<StoredCredential> stored = credentials.find(id);
            if (stored.isEmpty() || wantsSignIn(stored.get())) {
                submit(id);
            }
        }
    }

    @Override
    public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        if (wantsSignIn(credential) && page(credential.id()).isPresent() && secrets.find(credential.id()).isPresent()) {
            submit(credential.id());
        }
    }

    /**
     * Stores an account's username and password ({@code tokenkeeper login}) and, when its session is
     * missing or needs a human, signs it in now.
     *
     * @param id     the credential
     * @param secret its username and password
     * @return whether a sign-in was started
     * @throws IllegalArgumentException when the provider is not installed or has no sign-in page
     * @throws IllegalStateException    when the store keeps no account secrets
     */
    public boolean store(CredentialId id, SignInSecret secret) {
        if (providers.apply(id.provider()).isEmpty()) {
            throw new IllegalArgumentException("no provider '" + id.provider() + "' is installed");
        }
        if (page(id).isEmpty()) {
            throw new IllegalArgumentException("provider " + id.provider() + " has no sign-in page: import its"
                    + " sessions instead");
        }
        secrets.store(id, secret);
        Logger.info("sign-in details of {} stored", id);
        Optional<StoredCredential> stored = credentials.find(id);
        if (stored.isEmpty() || stored.get().status() == CredentialStatus.REQUIRES_CONFIGURATION) {
            submit(id);
            return true;
        }
        return false;
    }

    /**
     * @param id a credential
     * @return false when it had no stored sign-in details
     */
    public boolean remove(CredentialId id) {
        boolean removed = secrets.remove(id);
        if (removed) {
            Logger.info("sign-in details of {} removed", id);
        }
        return removed;
    }

    /**
     * For the console's "what to do" of a credential that needs a human.
     *
     * @param credential the credential
     * @return the sign-in's part: why it failed, or that it signs in by itself; empty when none is set up
     */
    public Optional<String> advice(StoredCredential credential) {
        if (page(credential.id()).isEmpty() || secrets.find(credential.id()).isEmpty()) {
            return Optional.empty();
        }
        String error = credential.lastError().orElse("");
        return Optional.of(error.startsWith(REASON_PREFIX)
                ? "The automatic sign-in did not work: " + error.substring(REASON_PREFIX.length()) + "."
                : "tokenkeeper signs in again by itself with the username and password set up"
                + " (at most " + settings.attemptsPerDay() + " attempts a day).");
    }

    private static boolean wantsSignIn(StoredCredential credential) {
        return credential.status() == CredentialStatus.REQUIRES_CONFIGURATION
                && !credential.lastError().orElse("").startsWith(REASON_PREFIX);
    }

    private Optional<SignInPage> page(CredentialId id) {
        return providers.apply(id.provider()).flatMap(TokenProvider::signIn);
    }

    private void submit(CredentialId id) {
        ExecutorService current = worker;
        if (current == null || !queued.add(id)) {
            return;
        }
        try {
            current.execute(() -> {
                queued.remove(id);
                attempt(id);
            });
        } catch (RejectedExecutionException e) {
            queued.remove(id);
        }
    }

    private void attempt(CredentialId id) {
        Optional<SignInSecret> secret = secrets.find(id);
        Optional<SignInPage> page = page(id);
        if (secret.isEmpty() || page.isEmpty()) {
            return;
        }
        if (!settings.browserInstalled()) {
            failed(id, settings.installHint());
            return;
        }
        Optional<Instant> next = nextAllowed(id);
        if (next.isPresent()) {
            failed(id, settings.attemptsPerDay() + " attempts in 24 hours already; the next is allowed at " + next.get()
                    + ": sign in by hand in a browser and import the session");
            return;
        }
        Logger.info("signing {} in through a headless browser", id);
        SignInOutcome outcome;
        try (ChromiumProcess chromium = ChromiumProcess.start(settings.chromium(), profiles, BROWSER_START)) {
            running.set(chromium);
            try (DevTools devTools = DevTools.connect(chromium.devToolsAddress(), CONNECT)) {
                outcome = BrowserSignIn.run(devTools, page.get(), secret.get(), settings.timeout());
            }
        } catch (SignInException e) {
            outcome = new SignInOutcome.HumanNeeded(e.getMessage());
        } finally {
            running.set(null);
        }
        if (outcome instanceof SignInOutcome.SignedIn signedIn) {
            imported(id, signedIn);
        } else {
            failed(id, ((SignInOutcome.HumanNeeded) outcome).reason());
        }
    }

    private void imported(CredentialId id, SignInOutcome.SignedIn signedIn) {
        try {
            credentials.importSecret(id, new SecretInput.CookieFile(signedIn.cookieFile()));
        } catch (InvalidSecretException e) {
            failed(id, "the site signed in, but its cookies were refused: " + e.getMessage());
            return;
        }
        Logger.info("signed {} in; refreshing the new session at once so the daemon owns its chain", id);
        RefreshReport report = credentials.refresh(id, true);
        if (!(report instanceof RefreshReport.Refreshed)) {
            Logger.warn("the first refresh of {} after its sign-in did not succeed: {}", id,
                    report.credential().lastError().orElse(report.credential().status().wireName()));
        }
    }

    private void failed(CredentialId id, String reason) {
        String line = REASON_PREFIX + reason;
        if (credentials.find(id).isEmpty()) {
            Logger.error("credential {} needs a human: {}", id, line);
            return;
        }
        RefreshReport report = pipeline.markNeedsHuman(id, line);
        notifications.humanStillNeeded(report.credential());
    }

    /** Counts this attempt when one is allowed; else says when the next is. */
    private synchronized Optional<Instant> nextAllowed(CredentialId id) {
        Instant now = clock.instant();
        Deque<Instant> made = attempts.computeIfAbsent(id, key -> new ArrayDeque<>());
        while (!made.isEmpty() && !made.peekFirst().plus(DAY).isAfter(now)) {
            made.removeFirst();
        }
        if (made.size() >= settings.attemptsPerDay()) {
            return Optional.of(made.peekFirst().plus(DAY));
        }
        made.addLast(now);
        return Optional.empty();
    }

    /** Stops the worker and kills a browser still running. */
    @Override
    public void close() {
        ExecutorService current = worker;
        worker = null;
        if (current == null) {
            return;
        }
        current.shutdownNow();
        Optional.ofNullable(running.get()).ifPresent(ChromiumProcess::close);
        if (!stopped(current)) {
            Logger.warn("a sign-in was still running {} s after the stop", STOP_WAIT.toSeconds());
        }
    }

    /** @return whether the worker ended within {@link #STOP_WAIT} (a killed browser ends its attempt at once) */
    private static boolean stopped(ExecutorService worker) {
        try {
            return worker.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
