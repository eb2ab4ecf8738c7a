package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.daemon.assembly.Assembly;
import dev.tokenkeeper.daemon.assembly.Inputs;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.log.Logging;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.tinylog.configuration.Configuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The daemon in the test's process, built by the one {@link Assembly} with the control API on port
 * 0, in a temp state folder, with the SQLite store (or a store given), the providers given as
 * objects and a {@link MutableClock}. Its scheduler ticks only when the test says: {@link #advance}
 * moves the clock and runs what became due on the way (refreshes, retries after a backoff, the
 * keep-alive, the sweep, the {@code expiring} check), so hours of token life take milliseconds and
 * nothing waits on the wall clock.
 * <pre>{@code
 * @RegisterExtension
 * static TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new VintedProvider())
 *         .setting("VINTED_BASE_URL", vinted.baseUrl()).clock(clock);
 * }</pre>
 * On a static field one daemon serves the whole class; on an instance field each test gets its own.
 */
public final class TokenkeeperExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    /** How long one tick's refreshes (real HTTP calls to a local imitation) may take. */
    private static final Duration SETTLE = Duration.ofSeconds(20);
    /** Ticks at one instant before the harness calls it a loop (a refresh that plans itself at once, forever). */
    private static final int MAX_TICKS_AT_ONE_INSTANT = 100;

    private final List<TokenProvider> providers = new ArrayList<>();
    private final Map<String, String> settings = new HashMap<>();
    private Supplier<TokenStore> store = TokenkeeperExtension::sqlite;
    private MutableClock clock = MutableClock.startingNow();
    private Duration grain = Duration.ofMinutes(1);

    private Path state;
    private Assembly assembly;
    private boolean perClass;
    private HttpClient http;
    private int logFrom;

    private TokenkeeperExtension() {
    }

    /**
     * @param provider a provider given as an object (configured from the settings as the daemon does)
     * @return a harness with that provider
     */
    public static TokenkeeperExtension withProvider(TokenProvider provider) {
        return new TokenkeeperExtension().provider(provider);
    }

    /**
     * @param provider one more provider
     * @return this
     */
    public TokenkeeperExtension provider(TokenProvider provider) {
        providers.add(provider);
        return this;
    }

    /**
     * @param name  a setting, as the daemon's environment would hold it
     * @param value its value
     * @return this
     */
    public TokenkeeperExtension setting(String name, String value) {
        settings.put(name, value);
        return this;
    }

    /**
     * @param more settings, as the daemon's environment would hold them (such as an imitation's)
     * @return this
     */
    public TokenkeeperExtension settings(Map<String, String> more) {
        settings.putAll(more);
        return this;
    }

    /**
     * @param time the clock every part reads (share it with the imitations)
     * @return this
     */
    public TokenkeeperExtension clock(MutableClock time) {
        this.clock = time;
        return this;
    }

    /**
     * @param made makes the store to use, one per daemon built (SQLite in the state folder by default)
     * @return this
     */
    public TokenkeeperExtension store(Supplier<TokenStore> made) {
        this.store = made;
        settings.put("TOKENKEEPER_STORE", made.get().id());
        return this;
    }

    /**
     * @param step the largest step {@link #advance} moves the clock in between due times, so the
     *             notification check and consumers see the time pass in steps no larger (1 min by default)
     * @return this
     */
    public TokenkeeperExtension grain(Duration step) {
        this.grain = step;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            stop();
        }
    }

    /** Builds and starts the daemon; the extension's callbacks call it. */
    public void start() {
        try {
            if (state == null) {
                state = Files.createTempDirectory("tokenkeeper-inprocess");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> environment = new HashMap<>();
        environment.put("TOKENKEEPER_STATE_DIR", state.resolve("state").toString());
        environment.put("TOKENKEEPER_LISTEN", "127.0.0.1:0");
        environment.putAll(settings);
        Logging.configure(environment);
        if (System.getProperty("org.sqlite.tmpdir") == null) {
            // The assembly would point SQLite's native library at this state folder, which stop() deletes:
            // a later class's SQLite store could not load it.
            System.setProperty("org.sqlite.tmpdir", System.getProperty("java.io.tmpdir"));
        }
        if (!Configuration.isFrozen()) {
            Configuration.set("writer", CapturedLog.class.getName());
        }
        logFrom = CapturedLog.size();
        Inputs inputs = Inputs.given().clock(clock).store(store.get()).tickByHand();
        for (TokenProvider provider : providers) {
            inputs = inputs.provider(provider);
        }
        assembly = Assembly.build(DaemonConfig.from(Settings.of(environment, Map.of())), inputs).start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Closes the daemon and removes its state folder. */
    public void stop() {
        if (assembly != null) {
            assembly.close();
            assembly = null;
        }
        http = null;
        if (state != null) {
            try (Stream<Path> files = Files.walk(state)) {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            state = null;
        }
    }

    /**
     * Moves the clock forward by {@code step}, stopping at every instant something is due on the
     * way (and at least every {@link #grain}), and at each runs what is due there and waits until
     * the refreshes it started have finished.
     *
     * @param step how far to move the clock
     * @return the time the clock shows afterwards
     */
    public Instant advance(Duration step) {
        Instant target = clock.instant().plus(step);
        runDue();
        while (clock.instant().isBefore(target)) {
            Instant next = clock.instant().plus(grain);
            Instant due = assembly.scheduler().nextDue().orElse(next);
            if (due.isBefore(next)) {
                next = due.isAfter(clock.instant()) ? due : clock.instant();
            }
            clock.setTo(next.isAfter(target) ? target : next);
            runDue();
        }
        return clock.instant();
    }

    /** Runs what is due at the clock's time now, again while that plans more at this time. */
    public void runDue() {
        for (int ticks = 0; ticks < MAX_TICKS_AT_ONE_INSTANT; ticks++) {
            assembly.tick();
            awaitIdle();
            if (assembly.scheduler().nextDue().filter(at -> !at.isAfter(clock.instant())).isEmpty()) {
                return;
            }
        }
        throw new AssertionError("something stays due at " + clock.instant() + " after " + MAX_TICKS_AT_ONE_INSTANT
                + " ticks");
    }

    private void awaitIdle() {
        try {
            if (!assembly.scheduler().awaitIdle(SETTLE)) {
                throw new AssertionError("scheduled refreshes still running after " + SETTLE.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while refreshes ran", e);
        }
    }

    /** @return the clock every part reads */
    public MutableClock clock() {
        return clock;
    }

    /** @return the assembly (scheduler, pipeline, store, sealer, metrics) */
    public Assembly assembly() {
        return assembly;
    }

    /** @return the credential operations, called directly */
    public CredentialService credentials() {
        return assembly.credentials();
    }

    /** @return the control API's port */
    public int port() {
        return assembly.port();
    }

    /** @return {@code http://127.0.0.1:<port>} */
    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** @return the admin token (the control API's bearer token) */
    public String adminToken() {
        try {
            return Files.readString(state.resolve("state").resolve("admin-token")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @return what the daemon logged since it started (the lines of other daemons this JVM ran at the
     *         same time are among them): look for secrets here
     */
    public String log() {
        return String.join("\n", CapturedLog.since(logFrom));
    }

    /** @return the state folder */
    public Path stateDirectory() {
        return state.resolve("state");
    }

    /**
     * Calls the control API as the admin.
     *
     * @param method the HTTP method
     * @param path   the path and query, such as {@code /api/v1/credentials}
     * @param body   a JSON body, or null
     * @return the answer
     */
    public HttpResponse<String> call(String method, String path, String body) {
        return callAs(adminToken(), method, path, body);
    }

    private static TokenStore sqlite() {
        return ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
                .filter(found -> found.id().equals("sqlite")).findFirst()
                .orElseThrow(() -> new IllegalStateException("store-sqlite is not on the test class path"));
    }

    /**
     * Calls the control API with another bearer token (a consumer's, a wrong one) or none.
     *
     * @param bearer the bearer token, or null to send no {@code Authorization} header
     * @param method the HTTP method
     * @param path   the path and query
     * @param body   a JSON body, or null
     * @return the answer
     */
    public HttpResponse<String> callAs(String bearer, String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(baseUri().resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Closes the daemon as a clean stop does and builds it again on the same state folder and clock;
     * {@link #log()} keeps the lines of both runs.
     */
    public void restart() {
        int from = logFrom;
        assembly.close();
        assembly = null;
        start();
        logFrom = from;
    }

    /**
     * Adds a consumer as {@code tokenkeeper consumer add} does.
     *
     * @param name        the consumer's name
     * @param credentials the credentials it may read, {@code provider:account}
     * @return its bearer token
     */
    public String addConsumer(String name, String... credentials) {
        ObjectNode body = CONSUMER_JSON.createObjectNode().put("name", name);
        ArrayNode readable = body.putArray("credentials");
        for (String credential : credentials) {
            readable.add(credential);
        }
        HttpResponse<String> added = call("POST", "/api/v1/consumers", body.toString());
        if (added.statusCode() != 201) {
            throw new AssertionError("consumer add answered HTTP " + added.statusCode() + ": " + added.body());
        }
        try {
            return CONSUMER_JSON.readTree(added.body()).path("token").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final ObjectMapper CONSUMER_JSON = new ObjectMapper();

    /**
     * Sends one request per bearer, {@code concurrency} at a time, as a crowd of clients would.
     *
     * @param bearers     the bearer of each request
     * @param method      the method
     * @param path        the path
     * @param concurrency requests in flight at once
     * @return how many requests got each status
     */
    public Map<Integer, Integer> callAsEach(List<String> bearers, String method, String path, int concurrency) {
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (String bearer : bearers) {
                sent.add(pool.submit(() -> statuses.merge(callAs(bearer, method, path, null).statusCode(), 1, Integer::sum)));
            }
            for (Future<?> one : sent) {
                one.get(2, TimeUnit.MINUTES);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("a request of the crowd failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
        return statuses;
    }

    /**
     * A page of the web console, after a login with the admin token (a session of its own).
     *
     * @param path the page, e.g. {@code /ui/}
     * @return the page's answer
     */
    public HttpResponse<String> consolePage(String path) {
        try {
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(baseUri().resolve("/ui/login"))
                    .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("token=" + java.net.URLEncoder.encode(adminToken(),
                            java.nio.charset.StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow(() -> new AssertionError(
                    "the console gave no session: " + login.statusCode())).split(";")[0];
            return http.send(HttpRequest.newBuilder(baseUri().resolve(path)).timeout(Duration.ofSeconds(30))
                    .header("Cookie", cookie).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
