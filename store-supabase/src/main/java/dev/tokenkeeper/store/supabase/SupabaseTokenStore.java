package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.ChangeListener;
import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.ChangeFeed;
import dev.tokenkeeper.api.store.Consumers;
import dev.tokenkeeper.api.store.Leases;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.api.store.SetupScript;
import dev.tokenkeeper.api.store.StoreCapability;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A {@link TokenStore} in a Supabase project, reached through its PostgREST HTTP API
 * ({@code {SUPABASE_URL}/rest/v1/...}) with a service-role key, so that several daemons on several
 * machines can share it. The tables are created once by the user with {@link #setupSql()}.
 *
 * <p>Every coordination step is one conditional request, atomic in PostgreSQL, never a read then a
 * write: {@link #compareAndSet} is {@code PATCH ?id=eq.X&version=eq.N} (an empty answer means
 * another writer won), {@link #tryLease} is one {@code PATCH} whose filter accepts a free, expired
 * or own lease, {@link #insert} relies on the primary key.
 *
 * <p>Settings: {@code SUPABASE_URL}, {@code SUPABASE_SERVICE_ROLE_KEY} (both required),
 * {@code TOKENKEEPER_SUPABASE_TABLE_PREFIX} (default {@code tokenkeeper_}) and
 * {@code TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS} (default 30, per request). Instants are kept to the
 * millisecond.
 *
 * <p>Failures: no answer, 408, 429 and 5xx are {@link StoreUnavailableException} (the daemon keeps
 * serving and spools); a rejected key, a missing table and everything else are
 * {@link StoreException}s with one line saying what to do. The key never appears in a message.
 *
 * <p>Thread-safe.
 */
public final class SupabaseTokenStore implements TokenStore, Leases, Consumers, ChangeFeed, Purge, SetupScript {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RETURN_IDS = "return=representation";
    private static final String RETURN_NOTHING = "return=minimal";
    /** Rows per page of {@link #list()}, small enough to stay far below the answer size limit. */
    static final int LIST_PAGE = 100;

    /** Everything that exists only between {@link #open} and {@link #close}. */
    private record Opened(SupabaseSettings settings, PostgrestClient client, PostgrestErrors errors, Clock clock) {
    }

    private final Optional<Duration> timeoutOverride;
    /** The prefix read by {@link #open}, kept even when open fails so that {@link #setupSql()} names the right tables. */
    private volatile String tablePrefix = SupabaseSettings.DEFAULT_PREFIX;
    private volatile Opened opened;
    private volatile boolean closed;
    private volatile Duration pollInterval = Duration.ofSeconds(DEFAULT_POLL_SECONDS);
    private volatile ChangePoller poller;

    /** The setting for how often {@link #watch} looks for other daemons' changes (0 turns it off). */
    static final String POLL_SECONDS = "TOKENKEEPER_SUPABASE_POLL_SECONDS";
    static final int DEFAULT_POLL_SECONDS = 10;

    /** Creates a store that does nothing until {@link #open}; {@link java.util.ServiceLoader} calls this. */
    public SupabaseTokenStore() {
        this.timeoutOverride = Optional.empty();
    }

    /** @param timeout the per-request timeout, instead of the setting (tests use a short one) */
    SupabaseTokenStore(Duration timeout) {
        this.timeoutOverride = Optional.of(timeout);
    }

    /** @return {@code supabase} */
    @Override
    public String id() {
        return "supabase";
    }

    /** @return one line for {@code tokenkeeper providers} */
    @Override
    public String description() {
        return "Supabase project through its PostgREST API (may be shared by several daemons)";
    }

    /**
     * The script that creates the two tables with row-level security on and access for the
     * service role only; the user pastes it into the Supabase SQL editor once.
     *
     * @return the script, naming the tables with {@code TOKENKEEPER_SUPABASE_TABLE_PREFIX} once
     *         {@link #open} has read the settings (even if it then failed), with the default prefix before
     */
    @Override
    public String setupSql() {
        return SetupSql.forPrefix(tablePrefix);
    }

    /**
     * Offers what it implements: leases, consumers, a purge (that says the rows are out of its
     * reach), the setup script, and the change feed unless {@code TOKENKEEPER_SUPABASE_POLL_SECONDS}
     * is 0 (known once {@link #open} read it).
     */
    @Override
    public <C extends StoreCapability> Optional<C> capability(Class<C> type) {
        if (type == ChangeFeed.class && pollInterval.isZero()) {
            return Optional.empty();
        }
        return StoreCapability.offeredBy(type, this);
    }

    /**
     * Reads the settings and checks, with one cheap {@code GET} per table, that the project answers,
     * accepts the key and has both tables.
     *
     * @param context settings, state folder and clock
     * @throws StoreUnavailableException when the project cannot be reached (naming {@code SUPABASE_URL})
     * @throws StoreException            when a setting is missing or wrong, the key is rejected or a
     *                                   table is missing; the message says what to do
     */
    @Override
    public synchronized void open(PluginContext context) {
        Objects.requireNonNull(context, "context");
        if (opened != null || closed) {
            throw new IllegalStateException("supabase store: open() may be called only once");
        }
        SupabaseSettings read = SupabaseSettings.from(context);
        pollInterval = pollInterval(context);
        tablePrefix = read.tablePrefix();
        SupabaseSettings settings = timeoutOverride
                .map(timeout -> new SupabaseSettings(read.projectUrl(), read.key(), read.tablePrefix(), timeout))
                .orElse(read);
        Opened candidate = new Opened(settings, new PostgrestClient(settings), new PostgrestErrors(settings, JSON),
                context.clock());
        for (String table : List.of(settings.credentialsTable(), settings.historyTable())) {
            rows(candidate, "check table " + table, "GET", PostgrestQuery.on(table).select("id").limit(1),
                    Optional.empty(), Optional.empty());
        }
        // The mac column came with a later setup script; an older table is refused here, naming the fix.
        rows(candidate, "check table " + settings.consumersTable() + " (its mac column)", "GET",
                PostgrestQuery.on(settings.consumersTable()).select(CONSUMER_COLUMNS).limit(1),
                Optional.empty(), Optional.empty());
        opened = candidate;
    }

    private static Duration pollInterval(PluginContext context) {
        String raw = context.setting(POLL_SECONDS, String.valueOf(DEFAULT_POLL_SECONDS)).trim();
        try {
            double seconds = Double.parseDouble(raw);
            if (seconds >= 0 && seconds <= 86_400) {
                return Duration.ofMillis(Math.round(seconds * 1000));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StoreException("supabase: " + POLL_SECONDS + "=" + raw + " is not a number of seconds from 0 (off) to 86400");
    }

    /** @return false: a poll sees two writes between polls as one change, its own included */
    @Override
    public boolean announcesOwnChanges() {
        return false;
    }

    /**
     * Polls for other daemons' changes every {@code TOKENKEEPER_SUPABASE_POLL_SECONDS} (default
     * {@value #DEFAULT_POLL_SECONDS}): one small {@code GET} for the id, version and
     * {@code updated_at} of the rows changed since the newest change seen (deletions of credentials
     * are not announced), and one for the consumer rows, announced when they changed.
     *
     * @param listener told about changed credentials, on the store's polling thread
     * @throws IllegalStateException when polling is off (the store then offers no change feed)
     */
    @Override
    public synchronized void watch(ChangeListener listener) {
        Objects.requireNonNull(listener, "listener");
        Opened open = state();
        if (poller != null || pollInterval.isZero()) {
            throw new IllegalStateException("supabase store: watch() may be called only once, and only when "
                    + POLL_SECONDS + " is not 0");
        }
        poller = new ChangePoller(since -> {
            PostgrestQuery query = credentials(open).select("id,version,updated_at").order("updated_at.asc,id.asc")
                    .limit(ChangePoller.MOST_ROWS);
            if (since != Long.MIN_VALUE) {
                query.where("updated_at", "gte", since);
            }
            return rows(open, "look for changed credentials", "GET", query, Optional.empty(), Optional.empty());
        }, () -> rows(open, "look for changed consumers", "GET", consumersQuery(open).select(CONSUMER_COLUMNS)
                .order("name.asc"), Optional.empty(), Optional.empty()), listener);
        poller.start(pollInterval);
    }

    @Override
    public Optional<StoredCredential> get(CredentialId id) {
        Objects.requireNonNull(id, "id");
        Opened open = state();
        ArrayNode rows = rows(open, "read credential " + id, "GET", credentials(open)
                .where("id", "eq", id).select(CredentialRows.COLUMNS), Optional.empty(), Optional.empty());
        if (rows.size() > 1) {
            throw new StoreException("supabase: table " + open.settings().credentialsTable() + " has " + rows.size()
                    + " rows for " + id + ": its id column is not the primary key; run `"
                    + PostgrestErrors.PRINT_SQL + "` and compare");
        }
        return rows.isEmpty() ? Optional.empty() : Optional.of(credential(open, rows.get(0)));
    }

    /**
     * Reads page by page in id order ({@value #LIST_PAGE} rows a request), each page starting after
     * the last id of the one before.
     *
     * @return every stored credential, in id order
     */
    @Override
    public List<StoredCredential> list() {
        List<StoredCredential> all = new ArrayList<>();
        Optional<CredentialId> after = Optional.empty();
        while (true) {
            List<StoredCredential> page = listPage(after, LIST_PAGE);
            all.addAll(page);
            if (page.size() < LIST_PAGE) {
                return all;
            }
            after = Optional.of(page.get(page.size() - 1).id());
        }
    }

    /** One {@code GET} of the rows after {@code after} by id, at most {@code limit}. */
    @Override
    public List<StoredCredential> listPage(Optional<CredentialId> after, int limit) {
        Opened open = state();
        PostgrestQuery page = credentials(open).select(CredentialRows.COLUMNS).order("id.asc")
                .limit(TokenStore.pageLimit(limit));
        after.ifPresent(id -> page.where("id", "gt", id.toString()));
        List<StoredCredential> found = new ArrayList<>();
        for (JsonNode row : rows(open, "list credentials", "GET", page, Optional.empty(), Optional.empty())) {
            found.add(credential(open, row));
        }
        return found;
    }

    /**
     * One {@code POST}; the primary key refuses a second row with the same id.
     *
     * @param credential the credential, normally with version 1
     * @return false when a credential with that id already exists (PostgREST's 409, code 23505)
     */
    @Override
    public boolean insert(StoredCredential credential) {
        Objects.requireNonNull(credential, "credential");
        Opened open = state();
        return insertRow(open, "insert credential " + credential.id(), credentials(open), CredentialRows.row(credential));
    }

    /**
     * One {@code POST} of a row whose key may be taken.
     *
     * @return false when the primary key or a unique column refused it (PostgREST's 409, code 23505)
     */
    private static boolean insertRow(Opened open, String action, PostgrestQuery table, JsonNode row) {
        PostgrestResponse response = open.client().send("POST", table, Optional.of(bytes(row)),
                Optional.of(RETURN_NOTHING), action);
        if (response.successful()) {
            return true;
        }
        if (response.status() == 409 && PostgrestError.parse(JSON, response.body()).is("23505")) {
            return false;
        }
        throw open.errors().translate(action, table.table(), response);
    }

    /**
     * One {@code PATCH ?id=eq.X&version=eq.N}; the lease columns are left as they are.
     *
     * @param updated         the new state; its version must be {@code expectedVersion + 1}
     * @param expectedVersion the version the caller read
     * @return true when written; false when the stored version differs or the credential is gone
     */
    @Override
    public boolean compareAndSet(StoredCredential updated, long expectedVersion) {
        Objects.requireNonNull(updated, "updated").checkFollows(expectedVersion);
        Opened open = state();
        return !rows(open, "update credential " + updated.id(), "PATCH", credentials(open)
                        .where("id", "eq", updated.id()).where("version", "eq", expectedVersion).select("id"),
                Optional.of(bytes(CredentialRows.assignments(updated))), Optional.of(RETURN_IDS)).isEmpty();
    }

    /**
     * Deletes the credential row; its history stays.
     *
     * @param id the credential
     * @return false when there was none
     */
    @Override
    public boolean delete(CredentialId id) {
        Objects.requireNonNull(id, "id");
        Opened open = state();
        return !rows(open, "delete credential " + id, "DELETE",
                credentials(open).where("id", "eq", id).select("id"), Optional.empty(), Optional.of(RETURN_IDS))
                .isEmpty();
    }

    /**
     * One conditional {@code PATCH}: taken when nobody holds the lease, it ran out by the context
     * clock, or {@code owner} holds it already (then {@code until} replaces its end).
     *
     * @param id    the credential
     * @param owner a name unique to the calling daemon process
     * @param until when the lease runs out if not released
     * @return true when the caller now holds the lease; false also when the credential is gone
     */
    @Override
    public boolean tryLease(CredentialId id, String owner, Instant until) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(until, "until");
        Opened open = state();
        long now = open.clock().millis();
        ObjectNode lease = JsonNodeFactory.instance.objectNode()
                .put("lease_owner", owner)
                .put("lease_until", until.toEpochMilli());
        PostgrestQuery query = credentials(open).where("id", "eq", id)
                .anyOf(PostgrestQuery.condition("lease_owner", "is", "null"),
                        PostgrestQuery.condition("lease_until", "is", "null"),
                        PostgrestQuery.condition("lease_until", "lte", now),
                        PostgrestQuery.textCondition("lease_owner", "eq", owner))
                .select("id");
        return !rows(open, "lease credential " + id, "PATCH", query, Optional.of(bytes(lease)),
                Optional.of(RETURN_IDS)).isEmpty();
    }

    @Override
    public void releaseLease(CredentialId id, String owner) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(owner, "owner");
        Opened open = state();
        ObjectNode free = JsonNodeFactory.instance.objectNode().putNull("lease_owner");
        free.putNull("lease_until");
        exchange(open, "release the lease of credential " + id, "PATCH",
                credentials(open).where("id", "eq", id).where("lease_owner", "eq", owner),
                Optional.of(bytes(free)), Optional.of(RETURN_NOTHING));
    }

    /**
     * Three requests, as PostgREST has no transaction across them: the compare-and-set, then the
     * history append and the lease release, both best effort (the credential is committed; a lease
     * runs out by itself).
     */
    @Override
    public boolean commitRefresh(StoredCredential updated, long expectedVersion, RefreshEvent event, String owner) {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(owner, "owner");
        if (!compareAndSet(updated, expectedVersion)) {
            return false;
        }
        try {
            appendHistory(event);
            releaseLease(updated.id(), owner);
        } catch (StoreException bestEffort) {
            // The credential itself is committed; history and lease are secondary.
        }
        return true;
    }

    @Override
    public void appendHistory(RefreshEvent event) {
        Objects.requireNonNull(event, "event");
        Opened open = state();
        exchange(open, "append history of credential " + event.id(), "POST",
                PostgrestQuery.on(open.settings().historyTable()), Optional.of(bytes(HistoryRows.row(event))),
                Optional.of(RETURN_NOTHING));
    }

    /**
     * One {@code GET ...&order=at.desc,id.desc&limit=N}, turned around.
     *
     * @param id    the credential
     * @param since the earliest time to include
     * @param limit the most events to return; 0 gives an empty list
     * @return the newest {@code limit} events at or after {@code since}, oldest first (events with
     *         the same time in the order they were appended)
     * @throws IllegalArgumentException when {@code limit} is negative
     */
    @Override
    public List<RefreshEvent> history(CredentialId id, Instant since, int limit) {
        RefreshEvent.checkHistoryQuery(id, since, limit);
        Opened open = state();
        if (limit == 0) {
            return List.of();
        }
        ArrayNode rows = rows(open, "read history of credential " + id, "GET",
                PostgrestQuery.on(open.settings().historyTable())
                        .where("credential_id", "eq", id)
                        .where("at", "gte", since.toEpochMilli())
                        .select(HistoryRows.COLUMNS)
                        .order("at.desc,id.desc")
                        .limit(limit),
                Optional.empty(), Optional.empty());
        List<RefreshEvent> events = new ArrayList<>(rows.size());
        for (JsonNode row : rows) {
            events.add(read(open, "history", row, HistoryRows::read));
        }
        Collections.reverse(events);
        return events;
    }

    /**
     * Supabase is reached through its REST API, which cannot vacuum a table: the overwritten rows
     * stay in the project's PostgreSQL files until its autovacuum reuses their space, and in its
     * write-ahead log and backups until they are recycled.
     *
     * @return {@link PurgeResult.OutOfReach}, saying so
     */
    @Override
    public PurgeResult purgeOverwritten() {
        return new PurgeResult.OutOfReach("supabase: the REST API cannot vacuum the credentials table; overwritten"
                + " rows stay in the project's database files until its autovacuum reuses their space (an owner can"
                + " run `VACUUM FULL` on the table in the SQL editor), and in its write-ahead log and backups until"
                + " they are recycled");
    }

    /** Forgets the connection settings; later calls throw {@link StoreException}. Safe to call twice. */
    @Override
    public synchronized void close() {
        closed = true;
        ChangePoller polling = poller;
        poller = null;
        if (polling != null) {
            polling.close();
        }
        opened = null;
    }

    /** @return a short description naming the project URL (never the key), for logs */
    @Override
    public String toString() {
        Opened current = opened;
        return "SupabaseTokenStore[" + (current == null ? (closed ? "closed" : "not open")
                : current.settings().printableUrl()) + "]";
    }

    /**
     * One {@code POST}; the primary key refuses a taken name. Other daemons see the change at their
     * next poll ({@link #watch}).
     */
    @Override
    public boolean insertConsumer(Consumer consumer) {
        Objects.requireNonNull(consumer, "consumer");
        Opened open = state();
        ObjectNode row = JSON.createObjectNode()
                .put("name", consumer.name())
                .put("token_hash", consumer.tokenHash())
                .put("credentials", consumer.credentials().stream().map(CredentialId::toString)
                        .collect(Collectors.joining(" ")))
                .put("created_at", consumer.createdAt().toEpochMilli())
                .put("mac", consumer.mac().orElse(null));
        return insertRow(open, "insert consumer " + consumer.name(), consumersQuery(open), row);
    }

    @Override
    public Optional<Consumer> consumerByTokenHash(String tokenHash) {
        Objects.requireNonNull(tokenHash, "tokenHash");
        Opened open = state();
        ArrayNode rows = rows(open, "find a consumer", "GET", consumersQuery(open).where("token_hash", "eq", tokenHash)
                .select(CONSUMER_COLUMNS), Optional.empty(), Optional.empty());
        return rows.isEmpty() ? Optional.empty() : Optional.of(read(open, "consumer", rows.get(0), SupabaseTokenStore::consumer));
    }

    @Override
    public List<Consumer> consumers() {
        Opened open = state();
        List<Consumer> all = new ArrayList<>();
        for (JsonNode row : rows(open, "list consumers", "GET", consumersQuery(open).select(CONSUMER_COLUMNS)
                .order("name.asc"), Optional.empty(), Optional.empty())) {
            all.add(read(open, "consumer", row, SupabaseTokenStore::consumer));
        }
        return all;
    }

    /** One conditional {@code PATCH ?name=eq.X&token_hash=eq.H} of the {@code mac} column. */
    @Override
    public boolean setConsumerMac(String name, String tokenHash, String mac) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tokenHash, "tokenHash");
        Objects.requireNonNull(mac, "mac");
        Opened open = state();
        return !rows(open, "authenticate consumer " + name, "PATCH", consumersQuery(open).where("name", "eq", name)
                        .where("token_hash", "eq", tokenHash).select("name"),
                Optional.of(bytes(JSON.createObjectNode().put("mac", mac))), Optional.of(RETURN_IDS)).isEmpty();
    }

    @Override
    public boolean deleteConsumer(String name) {
        Objects.requireNonNull(name, "name");
        Opened open = state();
        return !rows(open, "delete consumer " + name, "DELETE", consumersQuery(open).where("name", "eq", name)
                .select("name"), Optional.empty(), Optional.of(RETURN_IDS)).isEmpty();
    }

    private static final String CONSUMER_COLUMNS = "name,token_hash,credentials,created_at,mac";

    private static PostgrestQuery consumersQuery(Opened open) {
        return PostgrestQuery.on(open.settings().consumersTable());
    }

    private static Consumer consumer(JsonNode row) {
        return new Consumer(row.path("name").asText(), row.path("token_hash").asText(),
                Arrays.stream(row.path("credentials").asText().split(" ")).map(CredentialId::parse).toList(),
                Instant.ofEpochMilli(row.path("created_at").asLong()),
                Optional.ofNullable(row.path("mac").isTextual() ? row.path("mac").asText() : null));
    }

    private Opened state() {
        Opened current = opened;
        if (current == null) {
            if (closed) {
                throw new StoreException("supabase: the store is closed: this is a bug in tokenkeeper's shutdown order");
            }
            throw new IllegalStateException("supabase store used before open()");
        }
        return current;
    }

    private static PostgrestQuery credentials(Opened open) {
        return PostgrestQuery.on(open.settings().credentialsTable());
    }

    /** Sends a request and insists on a 2xx answer. */
    private static PostgrestResponse exchange(Opened open, String action, String method, PostgrestQuery query,
                                              Optional<byte[]> body, Optional<String> prefer) {
        PostgrestResponse response = open.client().send(method, query, body, prefer, action);
        if (!response.successful()) {
            throw open.errors().translate(action, query.table(), response);
        }
        return response;
    }

    /** Sends a request and reads the JSON array of rows it must answer with. */
    private static ArrayNode rows(Opened open, String action, String method, PostgrestQuery query,
                                  Optional<byte[]> body, Optional<String> prefer) {
        PostgrestResponse response = exchange(open, action, method, query, body, prefer);
        try {
            JsonNode node = JSON.readTree(response.body());
            if (node instanceof ArrayNode array) {
                return array;
            }
        } catch (IOException e) {
            // reported below
        }
        throw new StoreException("supabase: the answer to " + action + " from " + open.settings().printableUrl()
                + " is not a JSON array of rows: check that " + SupabaseSettings.URL
                + " is the Project URL from Project Settings > API");
    }

    private static StoredCredential credential(Opened open, JsonNode row) {
        return read(open, "credential", row, CredentialRows::read);
    }

    private static <T> T read(Opened open, String what, JsonNode row, Function<JsonNode, T> reader) {
        try {
            return reader.apply(row);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new StoreException("supabase: the project holds a " + what + " row this tokenkeeper cannot read ("
                    + e.getMessage() + "): was it written by a newer version or edited by hand?", e);
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON tree: " + e.getOriginalMessage(), e);
        }
    }
}
