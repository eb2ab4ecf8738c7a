package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local imitation of a Supabase project's PostgREST API for tests: a real HTTP server on
 * {@code 127.0.0.1} (random port) with in-memory tables, answering with PostgREST's status codes,
 * headers and {@code {"code","details","hint","message"}} error bodies. Thread-safe; each table has
 * its own lock, so every request is atomic and a conditional {@code PATCH} is a true compare-and-set.
 *
 * <p><b>Tables</b> (as {@code tokenkeeper doctor --print-sql supabase} creates them, plus the legacy
 * one): {@code tokenkeeper_credentials} (primary key {@code id}, NOT NULL and the {@code status}
 * CHECK enforced), {@code tokenkeeper_refresh_history} ({@code id} bigserial) and
 * {@code system_settings} ({@code key} text primary key, {@code value} jsonb, {@code updated_at}
 * timestamptz defaulting to now).
 *
 * <p><b>The PostgREST subset</b>, on {@code /rest/v1/<table>}:
 * <ul>
 *   <li>{@code GET} (and {@code HEAD}): 200 with a JSON array and {@code Content-Range}.</li>
 *   <li>{@code POST} with an object or an array of objects, all or nothing: 201, empty unless
 *       {@code Prefer: return=representation}. A duplicate primary key is 409 {@code 23505} (details
 *       name the key), unless {@code Prefer: resolution=merge-duplicates} (upsert: the given columns
 *       replace the stored ones) or {@code resolution=ignore-duplicates}; {@code on_conflict} may name
 *       the primary key.</li>
 *   <li>{@code PATCH} with an object: sets those columns on every matching row in one atomic step;
 *       204, or 200 with the changed rows for {@code Prefer: return=representation} ({@code []} when
 *       none matched).</li>
 *   <li>{@code DELETE}: 204, or 200 with the deleted rows for {@code return=representation}.</li>
 *   <li>Filters {@code col=[not.]op.value} with {@code eq neq lt lte gt gte} (typed: bigint columns
 *       compare as numbers, a non-number is 400 {@code 22P02}) and {@code is.null|true|false};
 *       {@code or=(...)} and {@code and=(...)} with a flat list of {@code col.op.value} (values may be
 *       double-quoted); {@code select=} a column list or {@code *}; {@code order=col[.asc|.desc]
 *       [.nullsfirst|.nullslast],...}; {@code limit}; {@code offset}. A filter, select or order on an
 *       unknown column is 400 {@code 42703}; an unknown body column 400 {@code PGRST204}; a bad
 *       query 400 {@code PGRST100}; a bad body 400 {@code PGRST102}; NOT NULL and CHECK violations
 *       400 {@code 23502}/{@code 23514} with details listing the row's values (as PostgreSQL does).</li>
 *   <li>Auth as Supabase's gateway and PostgREST do it: no {@code apikey} header is 401 {@code {"message":
 *       "No API key found in request",...}}, an unknown one 401 {@code "Invalid API key"}; a bearer
 *       token that is neither key (or any, after {@link #jwtSecretRotated}) is 401 {@code PGRST301}
 *       ({@code JWSError (JWSInvalidSignature)}, with {@code WWW-Authenticate}); the {@link #anonKey() anon key} passes but has no grant:
 *       401 {@code 42501 permission denied for table ...}.</li>
 *   <li>An unknown or {@link #dropTable dropped} table is 404 {@code PGRST205 Could not find the
 *       table 'public.x' in the schema cache}; a path outside {@code /rest/v1/<table>} is the
 *       gateway's 404 {@code no Route matched with those values}.</li>
 * </ul>
 *
 * <p><b>Outages</b>: {@link #down(boolean) down(true)} stops the server, so connections are
 * <em>refused</em> (a real outage, not an error answer); {@code down(false)} starts it again on the
 * same port. {@link #fault(Fault)} answers 503 {@code PGRST001} (database unreachable) or closes
 * each connection without an answer; {@link #delay(Duration)} holds every answer back.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (FakePostgrest supabase = FakePostgrest.start()) {
 *     Map<String, String> env = supabase.settings();   // SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY
 *     ...
 *     List<ObjectNode> rows = supabase.rows("system_settings");
 * }
 * }</pre>
 *
 * <p>Classpath note for other modules: this class needs the {@code jdk.httpserver} module
 * ({@code --add-modules jdk.httpserver}) and Jackson.
 */
public final class FakePostgrest implements AutoCloseable {

    /** The credentials table. */
    public static final String CREDENTIALS = "tokenkeeper_credentials";
    /** The history table. */
    public static final String HISTORY = "tokenkeeper_refresh_history";
    /** The legacy settings table. */
    public static final String SYSTEM_SETTINGS = "system_settings";
    /** The consumers table. */
    public static final String CONSUMERS = "tokenkeeper_consumers";

    /** A way to fail every request while switched on. */
    public enum Fault {
        /** Answer normally. */
        NONE,
        /** 503 {@code {"code":"PGRST001","message":"Database client error. Retrying the connection.",...}}. */
        SERVICE_UNAVAILABLE,
        /** Read the request, then close the connection without an answer. */
        DROP_CONNECTIONS,
        /**
         * A wedged proxy: read the request (the database never sees it), send 200 headers announcing
         * a body and half of that body, then nothing more (no bytes, no FIN) until the fault is
         * switched off or the server closes; then the connection is closed, the body still cut short.
         */
        STALL_MID_BODY
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_BODY = 4 << 20;

    private final String serviceKey = "fake-service-role-" + random();
    private final String anonKey = "fake-anon-" + random();
    private final Map<String, FakeTable> tables = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "fake-postgrest");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicInteger requests = new AtomicInteger();
    private final Map<String, AtomicInteger> requestsByTable = new ConcurrentHashMap<>();
    private final List<String> requestLines = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger patches = new AtomicInteger();
    private final AtomicInteger stalled = new AtomicInteger();
    private final Object stallEnded = new Object();
    private final int port;
    private volatile Fault fault = Fault.NONE;
    private volatile Duration delay = Duration.ZERO;
    private volatile boolean jwtSecretRotated;
    private HttpServer server; // guarded by this; null while down or closed
    private boolean closed;

    private FakePostgrest() throws IOException {
        createTable(CREDENTIALS);
        createTable(HISTORY);
        createTable(SYSTEM_SETTINGS);
        createTable(CONSUMERS);
        server = listen(0);
        port = server.getAddress().getPort();
    }

    /**
     * Starts a server with the three tables, empty.
     *
     * @return the running server
     * @throws UncheckedIOException when no port can be opened
     */
    public static FakePostgrest start() {
        try {
            return new FakePostgrest();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fake PostgREST", e);
        }
    }

    /** @return the project URL to use as {@code SUPABASE_URL}, e.g. {@code http://127.0.0.1:41234} */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** @return the key that has the service role */
    public String serviceKey() {
        return serviceKey;
    }

    /** @return a key with the anon role, which the tables do not grant anything to */
    public String anonKey() {
        return anonKey;
    }

    /** @return {@code SUPABASE_URL} and {@code SUPABASE_SERVICE_ROLE_KEY} pointing here */
    public Map<String, String> settings() {
        return Map.of("SUPABASE_URL", url(), "SUPABASE_SERVICE_ROLE_KEY", serviceKey);
    }

    /**
     * Makes the server unreachable or reachable again: {@code true} stops it (connections to the
     * port are refused), {@code false} starts it on the same port with the same tables.
     *
     * @param down whether the server should be down
     * @throws UncheckedIOException when the port cannot be taken again
     */
    public synchronized void down(boolean down) {
        if (closed) {
            throw new IllegalStateException("the fake PostgREST is closed");
        }
        if (down && server != null) {
            server.stop(0);
            server = null;
        } else if (!down && server == null) {
            try {
                server = listen(port);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot listen on port " + port + " again", e);
            }
        }
    }

    /** @param fault how to fail every request from now on; {@link Fault#NONE} to stop failing */
    public void fault(Fault fault) {
        synchronized (stallEnded) {
            this.fault = Objects.requireNonNull(fault, "fault");
            stallEnded.notifyAll();
        }
    }

    /** @return how many answers are stalled mid-body right now */
    public int stalledAnswers() {
        return stalled.get();
    }

    /** @param delay how long to hold back every answer; {@link Duration#ZERO} for none */
    public void delay(Duration delay) {
        this.delay = Objects.requireNonNull(delay, "delay");
    }

    /**
     * @param rotated whether the project's JWT secret changed since the keys were issued: the keys
     *                still pass the gateway, but PostgREST answers 401 {@code PGRST301} to them
     */
    public void jwtSecretRotated(boolean rotated) {
        this.jwtSecretRotated = rotated;
    }

    /** @param table a table to remove, rows and all; later requests on it get 404 {@code PGRST205} */
    public void dropTable(String table) {
        tables.remove(table);
    }

    /**
     * Creates one of the three known tables, empty (replacing it if it exists).
     *
     * @param table {@link #CREDENTIALS}, {@link #HISTORY} or {@link #SYSTEM_SETTINGS}
     */
    public void createTable(String table) {
        FakeTable created = switch (table) {
            case CREDENTIALS -> FakeTable.credentials(table);
            case HISTORY -> FakeTable.history(table);
            case SYSTEM_SETTINGS -> FakeTable.systemSettings();
            case CONSUMERS -> FakeTable.consumers(table);
            default -> throw new IllegalArgumentException("the fake knows the schema of " + CREDENTIALS + ", "
                    + HISTORY + " and " + SYSTEM_SETTINGS + " only, not " + table);
        };
        tables.put(table, created);
    }

    /**
     * @param table a table
     * @return a copy of its rows, every column, in insertion order
     * @throws IllegalArgumentException when there is no such table
     */
    public List<ObjectNode> rows(String table) {
        return table(table).snapshot();
    }

    /**
     * Adds a row as a {@code POST} would (defaults, types and constraints apply), for seeding.
     *
     * @param table a table
     * @param row   column name to value (Jackson-convertible)
     */
    public void insertRow(String table, Map<String, ?> row) {
        table(table).insert(List.of(JSON.valueToTree(row)), FakeTable.Resolution.ERROR);
    }

    /** @return how many requests reached the server, whatever the answer (error answers included) */
    public int requestCount() {
        return requests.get();
    }

    /**
     * @param table a table name
     * @return how many requests on {@code /rest/v1/<table>} reached the server, whatever the answer
     */
    public int requestCount(String table) {
        AtomicInteger count = requestsByTable.get(table);
        return count == null ? 0 : count.get();
    }

    /**
     * @return every request that reached the server so far, as {@code METHOD /rest/v1/<table>?<query>}
     *         (the query still URL-encoded), in arrival order
     */
    public List<String> requestLines() {
        synchronized (requestLines) {
            return List.copyOf(requestLines);
        }
    }

    /** @return how many {@code PATCH} requests reached the server */
    public int patchCount() {
        return patches.get();
    }

    /** Stops the server. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (server != null) {
                server.stop(0);
                server = null;
            }
        }
        synchronized (stallEnded) {
            stallEnded.notifyAll();
        }
        executor.shutdownNow();
    }

    private FakeTable table(String name) {
        FakeTable table = tables.get(name);
        if (table == null) {
            throw new IllegalArgumentException("no table " + name);
        }
        return table;
    }

    private HttpServer listen(int onPort) throws IOException {
        HttpServer created = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 64);
        created.createContext("/", this::handle);
        created.setExecutor(executor);
        created.start();
        return created;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            requests.incrementAndGet();
            String requested = exchange.getRequestURI().getRawPath();
            String query = exchange.getRequestURI().getRawQuery();
            requestLines.add(exchange.getRequestMethod() + " " + requested + (query == null ? "" : "?" + query));
            if (requested.startsWith("/rest/v1/")) {
                requestsByTable.computeIfAbsent(java.net.URLDecoder.decode(requested.substring("/rest/v1/".length()),
                        StandardCharsets.UTF_8), table -> new AtomicInteger()).incrementAndGet();
            }
            if (exchange.getRequestMethod().equals("PATCH")) {
                patches.incrementAndGet();
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readNBytes(MAX_BODY);
            }
            pause();
            Fault now = fault;
            if (now == Fault.DROP_CONNECTIONS) {
                return; // closing an exchange before its headers were sent closes the connection
            }
            if (now == Fault.STALL_MID_BODY) {
                stallMidBody(exchange);
                return;
            }
            try {
                if (now == Fault.SERVICE_UNAVAILABLE) {
                    throw PostgrestFailure.of(503, "PGRST001", "Database client error. Retrying the connection.",
                            "no connection to the server\n", null);
                }
                answer(exchange, body);
            } catch (PostgrestFailure failure) {
                if (failure.status() == 401 && "PGRST301".equals(failure.body().path("code").asText())) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer error=\"invalid_token\", "
                            + "error_description=\"" + failure.body().path("message").asText() + "\"");
                }
                send(exchange, failure.status(), failure.body());
            }
        }
    }

    private void answer(HttpExchange exchange, byte[] body) throws IOException {
        boolean anon = authorize(exchange);
        String path = exchange.getRequestURI().getRawPath();
        if (!path.startsWith("/rest/v1/") || path.length() == "/rest/v1/".length()
                || path.indexOf('/', "/rest/v1/".length()) >= 0) {
            throw PostgrestFailure.gateway(404, "no Route matched with those values", null);
        }
        String name = java.net.URLDecoder.decode(path.substring("/rest/v1/".length()), StandardCharsets.UTF_8);
        FakeTable table = tables.get(name);
        if (table == null) {
            throw PostgrestFailure.of(404, "PGRST205", "Could not find the table 'public." + name
                    + "' in the schema cache", null, null);
        }
        if (anon) {
            throw PostgrestFailure.of(401, "42501", "permission denied for table " + name, null, null);
        }
        FakeQuery query = FakeQuery.parse(table, exchange.getRequestURI().getRawQuery());
        Set<String> prefer = prefer(exchange);
        boolean representation = prefer.contains("return=representation");
        List<String> applied = new ArrayList<>();
        if (representation) {
            applied.add("return=representation");
        }
        switch (exchange.getRequestMethod()) {
            case "GET", "HEAD" -> {
                List<ObjectNode> rows = table.select(query.where(), query.order(), query.offset(), query.limit());
                contentRange(exchange, query.offset(), rows.size());
                send(exchange, 200, project(query, rows));
            }
            case "POST" -> {
                FakeTable.Resolution resolution = FakeTable.Resolution.ERROR;
                if (prefer.contains("resolution=merge-duplicates")) {
                    resolution = FakeTable.Resolution.MERGE;
                    applied.add("resolution=merge-duplicates");
                } else if (prefer.contains("resolution=ignore-duplicates")) {
                    resolution = FakeTable.Resolution.IGNORE;
                    applied.add("resolution=ignore-duplicates");
                }
                if (query.onConflict().isPresent() && !query.onConflict().get().equals(table.primaryKey())) {
                    throw PostgrestFailure.of(400, "42P10", "there is no unique or exclusion constraint matching"
                            + " the ON CONFLICT specification", null, null);
                }
                List<ObjectNode> written = table.insert(objects(body, true), resolution);
                preferenceApplied(exchange, applied);
                sendRows(exchange, 201, representation, project(query, written));
            }
            case "PATCH" -> {
                List<ObjectNode> changes = objects(body, false);
                List<ObjectNode> updated = table.update(query.where(), changes.get(0));
                preferenceApplied(exchange, applied);
                contentRange(exchange, 0, updated.size());
                sendRows(exchange, representation ? 200 : 204, representation, project(query, updated));
            }
            case "DELETE" -> {
                List<ObjectNode> removed = table.delete(query.where());
                preferenceApplied(exchange, applied);
                contentRange(exchange, 0, removed.size());
                sendRows(exchange, representation ? 200 : 204, representation, project(query, removed));
            }
            default -> throw PostgrestFailure.of(405, "PGRST117", "Unsupported HTTP method: "
                    + exchange.getRequestMethod(), null, null);
        }
    }

    /** @return true for the anon role, false for the service role; throws for anything else */
    private boolean authorize(HttpExchange exchange) {
        String apikey = exchange.getRequestHeaders().getFirst("apikey");
        if (apikey == null) {
            throw PostgrestFailure.gateway(401, "No API key found in request",
                    "No `apikey` request header or url param was found.");
        }
        if (!apikey.equals(serviceKey) && !apikey.equals(anonKey)) {
            throw PostgrestFailure.gateway(401, "Invalid API key",
                    "Double check your Supabase `anon` or `service_role` API key.");
        }
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization == null) {
            return true; // PostgREST runs a request without a JWT as the anonymous role
        }
        String token = authorization.startsWith("Bearer ") ? authorization.substring("Bearer ".length()).trim() : "";
        if (jwtSecretRotated) {
            token = "";
        }
        if (token.equals(serviceKey)) {
            return false;
        }
        if (token.equals(anonKey)) {
            return true;
        }
        throw PostgrestFailure.of(401, "PGRST301", "JWSError (JWSInvalidSignature)", null, null);
    }

    private static List<ObjectNode> objects(byte[] body, boolean arrayAllowed) {
        JsonNode parsed;
        try {
            parsed = JSON.readTree(body);
        } catch (IOException e) {
            parsed = null;
        }
        List<ObjectNode> objects = new ArrayList<>();
        if (parsed instanceof ObjectNode object) {
            objects.add(object);
        } else if (arrayAllowed && parsed instanceof ArrayNode array) {
            for (JsonNode item : array) {
                if (!(item instanceof ObjectNode object)) {
                    throw PostgrestFailure.of(400, "PGRST102", "All object keys must match", null, null);
                }
                objects.add(object);
            }
        } else {
            throw PostgrestFailure.of(400, "PGRST102", "Empty or invalid json", null, null);
        }
        return objects;
    }

    private static Set<String> prefer(HttpExchange exchange) {
        Set<String> preferences = new LinkedHashSet<>();
        for (String header : exchange.getRequestHeaders().getOrDefault("Prefer", List.of())) {
            for (String item : header.split(",")) {
                preferences.add(item.trim());
            }
        }
        return preferences;
    }

    private static ArrayNode project(FakeQuery query, List<ObjectNode> rows) {
        ArrayNode array = JSON.createArrayNode();
        rows.forEach(row -> array.add(query.project(row)));
        return array;
    }

    private static void contentRange(HttpExchange exchange, int offset, int count) {
        exchange.getResponseHeaders().set("Content-Range",
                count == 0 ? "*/*" : offset + "-" + (offset + count - 1) + "/*");
    }

    private static void preferenceApplied(HttpExchange exchange, List<String> applied) {
        if (!applied.isEmpty()) {
            exchange.getResponseHeaders().set("Preference-Applied", String.join(", ", applied));
        }
    }

    private static void sendRows(HttpExchange exchange, int status, boolean representation, ArrayNode rows)
            throws IOException {
        if (representation) {
            send(exchange, status, rows);
        } else {
            exchange.sendResponseHeaders(status, -1);
        }
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IOException("cannot write JSON", e);
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private void stallMidBody(HttpExchange exchange) throws IOException {
        byte[] half = "[{\"id\":\"stalled\",\"status\":\"act".getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(200, half.length * 2L);
        OutputStream out = exchange.getResponseBody();
        out.write(half);
        out.flush();
        stalled.incrementAndGet();
        try {
            synchronized (stallEnded) {
                while (fault == Fault.STALL_MID_BODY && !isClosed()) {
                    stallEnded.wait(1_000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stalled.decrementAndGet();
        }
        // The exchange is closed with the body cut short: the client sees the connection end early.
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    private void pause() {
        Duration wait = delay;
        if (!wait.isZero()) {
            try {
                Thread.sleep(wait.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String random() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** @return the URL only; the keys are not shown */
    @Override
    public String toString() {
        return "FakePostgrest[" + url() + "]";
    }
}
