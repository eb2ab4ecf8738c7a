package dev.tokenkeeper.store.supabase;

import static dev.tokenkeeper.api.contract.Credentials.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.contract.Credentials;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every way a Supabase project can be wrong or away gives one clear exception, never with the key. */
class SupabaseErrorsTest {

    private static final String MISSING_TABLE_ADVICE = "run `tokenkeeper doctor --print-sql supabase` and paste the"
            + " output into the Supabase SQL editor";
    private static final String KEY_ADVICE = "use the service_role key from Project Settings > API, not the anon key";
    private static final CredentialId ID = CredentialId.parse("gazelle:default");

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(T0);
    private final FakePostgrest supabase = FakePostgrest.start();

    @AfterEach
    void tearDown() {
        supabase.close();
    }

    private TestContext context() {
        return new TestContext(supabase.settings(), state, clock);
    }

    /** A store with a short request timeout, opened on {@code context}. */
    private static SupabaseTokenStore opened(TestContext context) {
        SupabaseTokenStore store = new SupabaseTokenStore(Duration.ofMillis(500));
        store.open(context);
        return store;
    }

    /** Asserts a one-line message of exactly this type that contains every part and no key. */
    private <T extends StoreException> T fails(Class<T> type, Executable call, String... parts) {
        T error = assertThrows(type, call);
        assertEquals(type, error.getClass(), error.getMessage());
        String message = error.getMessage();
        assertFalse(message.contains(supabase.serviceKey()), message);
        assertFalse(message.contains(supabase.anonKey()), message);
        assertFalse(message.contains("\n"), "one line: " + message);
        assertTrue(message.startsWith("supabase: "), message);
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + part + "' in: " + message);
        }
        return error;
    }

    @Test
    void missingSettingsAreNamed() {
        TestContext none = context().without(SupabaseSettings.URL).without(SupabaseSettings.KEY);
        fails(StoreException.class, () -> opened(none), "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are not set");
        fails(StoreException.class, () -> opened(context().without(SupabaseSettings.KEY)),
                "SUPABASE_SERVICE_ROLE_KEY is not set");
        fails(StoreException.class, () -> opened(context().with(SupabaseSettings.URL, "  ")), "SUPABASE_URL is not set");
        assertEquals(0, supabase.requestCount());
    }

    @Test
    void malformedSettingsAreNamed() {
        for (String url : List.of("ftp://example.com", "abcd.supabase.co", "https://", "https://user:pw@x.supabase.co",
                "https://x.supabase.co/?q=1", "http://bad host")) {
            fails(StoreException.class, () -> opened(context().with(SupabaseSettings.URL, url)),
                    "SUPABASE_URL", "Project Settings > API");
        }
        fails(StoreException.class, () -> opened(context().with(SupabaseSettings.TIMEOUT, "soon")),
                SupabaseSettings.TIMEOUT);
        fails(StoreException.class, () -> opened(context().with(SupabaseSettings.KEY, supabase.serviceKey() + " x")),
                SupabaseSettings.KEY);
        assertEquals(0, supabase.requestCount());
    }

    @Test
    void aUrlCopiedWithRestV1OrASlashStillWorks() {
        for (String suffix : List.of("/", "/rest/v1", "/rest/v1/")) {
            SupabaseTokenStore store = opened(context().with(SupabaseSettings.URL, supabase.url() + suffix));
            assertTrue(store.insert(Credentials.minimal("gazelle:n" + suffix.length(), (byte) 1)));
            store.close();
        }
    }

    @Test
    void unreachableProjectNamesSupabaseUrl() {
        supabase.down(true);
        fails(StoreUnavailableException.class, () -> opened(context()),
                "cannot reach SUPABASE_URL " + supabase.url(), "connection refused", "check SUPABASE_URL");
    }

    @Test
    void unknownHostNamesSupabaseUrl() {
        fails(StoreUnavailableException.class,
                () -> opened(context().with(SupabaseSettings.URL, "https://tokenkeeper-test.invalid")),
                "cannot reach SUPABASE_URL https://tokenkeeper-test.invalid");
    }

    @Test
    void aUrlThatIsNotASupabaseProjectSaysSo() {
        fails(StoreException.class, () -> opened(context().with(SupabaseSettings.URL, supabase.url() + "/api")),
                "SUPABASE_URL " + supabase.url() + " does not answer like a Supabase project (HTTP 404",
                "no Route matched");
    }

    @Test
    void wrongKeyIsRejectedWithOneMessage() {
        String wrong = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.wrong-signature";
        StoreException error = fails(StoreException.class, () -> opened(context().with(SupabaseSettings.KEY, wrong)),
                "SUPABASE_SERVICE_ROLE_KEY was rejected (HTTP 401, Invalid API key)", KEY_ADVICE);
        assertFalse(error.getMessage().contains(wrong));
        assertFalse(error.getMessage().contains("wrong-signature"));
    }

    @Test
    void keyWithABadSignatureIsRejectedWithPostgrestsCode() {
        supabase.jwtSecretRotated(true);
        fails(StoreException.class, () -> opened(context()),
                "SUPABASE_SERVICE_ROLE_KEY was rejected (HTTP 401, PGRST301 JWSError (JWSInvalidSignature))", KEY_ADVICE);
    }

    @Test
    void anonKeyIsRejectedAsNotTheServiceRoleKey() {
        fails(StoreException.class, () -> opened(context().with(SupabaseSettings.KEY, supabase.anonKey())),
                "SUPABASE_SERVICE_ROLE_KEY was rejected (HTTP 401, 42501 permission denied for table "
                        + FakePostgrest.CREDENTIALS + ")", KEY_ADVICE);
    }

    @Test
    void missingTablesTellTheUserToRunTheSql() {
        supabase.dropTable(FakePostgrest.CREDENTIALS);
        fails(StoreException.class, () -> opened(context()),
                "table tokenkeeper_credentials does not exist (PGRST205): " + MISSING_TABLE_ADVICE);

        supabase.createTable(FakePostgrest.CREDENTIALS);
        supabase.dropTable(FakePostgrest.HISTORY);
        fails(StoreException.class, () -> opened(context()),
                "table tokenkeeper_refresh_history does not exist (PGRST205): " + MISSING_TABLE_ADVICE);

        supabase.createTable(FakePostgrest.HISTORY);
        SupabaseTokenStore store = opened(context());
        supabase.dropTable(FakePostgrest.HISTORY);
        fails(StoreException.class, () -> store.appendHistory(event()),
                "table tokenkeeper_refresh_history does not exist (PGRST205)", MISSING_TABLE_ADVICE);
    }

    @Test
    void downProjectMakesEveryMethodUnavailableAndNothingIsLost() {
        SupabaseTokenStore store = opened(context());
        StoredCredential v1 = Credentials.minimal(ID.toString(), (byte) 1);
        assertTrue(store.insert(v1));

        supabase.down(true);
        everyMethodIsUnavailable(store, v1, "connection refused");
        supabase.down(false);

        assertEquals(Optional.of(v1), store.get(ID), "the same data after the outage");
        assertTrue(store.compareAndSet(Credentials.next(v1, "after the outage"), 1));
    }

    @Test
    void serviceUnavailableAnswersAreUnavailable() {
        SupabaseTokenStore store = opened(context());
        StoredCredential v1 = Credentials.minimal(ID.toString(), (byte) 1);
        store.insert(v1);

        supabase.fault(FakePostgrest.Fault.SERVICE_UNAVAILABLE);
        everyMethodIsUnavailable(store, v1, "answered HTTP 503, PGRST001 Database client error");
        fails(StoreUnavailableException.class, () -> opened(context()), "HTTP 503");
        supabase.fault(FakePostgrest.Fault.NONE);

        assertEquals(Optional.of(v1), store.get(ID));
    }

    @Test
    void droppedConnectionsAreUnavailable() {
        SupabaseTokenStore store = opened(context());
        StoredCredential v1 = Credentials.minimal(ID.toString(), (byte) 1);
        store.insert(v1);

        supabase.fault(FakePostgrest.Fault.DROP_CONNECTIONS);
        everyMethodIsUnavailable(store, v1, "connection closed without an answer");
        supabase.fault(FakePostgrest.Fault.NONE);

        assertEquals(Optional.of(v1), store.get(ID));
    }

    @Test
    void slowAnswersTimeOutAsUnavailable() {
        SupabaseTokenStore store = opened(context());
        supabase.delay(Duration.ofMillis(1500));
        fails(StoreUnavailableException.class, () -> store.get(ID), "no answer within");
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void anAnswerThatStallsMidBodyTimesOutAsUnavailable() {
        SupabaseTokenStore store = opened(context());
        StoredCredential v1 = Credentials.minimal(ID.toString(), (byte) 1);
        store.insert(v1);
        supabase.fault(FakePostgrest.Fault.STALL_MID_BODY);

        long started = System.nanoTime();
        fails(StoreUnavailableException.class, () -> store.get(ID), "no answer within", "stalled");
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        // 500 ms timeout: the whole answer, body included, is bounded by it (generously, for a loaded machine).
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "gave up after " + took);
        assertTrue(supabase.stalledAnswers() >= 1, "the fake stalled the answer");
        everyMethodIsUnavailable(store, v1, "no answer within");

        supabase.fault(FakePostgrest.Fault.NONE);
        assertEquals(Optional.of(v1), store.get(ID));
    }

    @Test
    void answersLargerThanOneMebibyteAreRefused() {
        SupabaseTokenStore store = opened(context());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("credential_id", ID.toString());
        row.put("at", T0.toEpochMilli());
        row.put("outcome", "refreshed");
        row.put("detail", "x".repeat(PostgrestClient.MAX_BODY_BYTES));
        row.put("version", 1);
        supabase.insertRow(FakePostgrest.HISTORY, row);

        fails(StoreException.class, () -> store.history(ID, Instant.EPOCH, 10), "larger than 1 MiB");
    }

    @Test
    void rowsTheStoreCannotReadAreReportedWithoutTheirValues() {
        SupabaseTokenStore store = opened(context());
        Map<String, Object> row = SeedRows.of(Credentials.minimal(ID.toString(), (byte) 1));
        row.put("sealed_secret", "not base64 %%% secret-ish");
        supabase.insertRow(FakePostgrest.CREDENTIALS, row);

        StoreException error = fails(StoreException.class, () -> store.get(ID), "cannot read", "sealed_secret");
        assertFalse(error.getMessage().contains("secret-ish"), error.getMessage());
    }

    @Test
    void errorDetailsWhichListRowValuesAreNeverRepeated() {
        SupabaseSettings settings = new SupabaseSettings(URI.create(supabase.url()), supabase.serviceKey(),
                SupabaseSettings.DEFAULT_PREFIX, Duration.ofSeconds(1));
        byte[] body = ("{\"code\":\"23502\",\"details\":\"Failing row contains (gazelle:default, c2VjcmV0LXNlYWxlZA==)\","
                + "\"hint\":null,\"message\":\"null value in column \\\"status\\\" of relation"
                + " \\\"tokenkeeper_credentials\\\" violates not-null constraint\"}").getBytes(StandardCharsets.UTF_8);

        StoreException error = new PostgrestErrors(settings, new ObjectMapper())
                .translate("update credential gazelle:default", FakePostgrest.CREDENTIALS, new PostgrestResponse(400, body));

        assertTrue(error.getMessage().contains("HTTP 400, 23502 null value in column \"status\""), error.getMessage());
        assertFalse(error.getMessage().contains("c2VjcmV0LXNlYWxlZA=="), error.getMessage());
        assertFalse(error.getMessage().contains(supabase.serviceKey()));
    }

    private void everyMethodIsUnavailable(SupabaseTokenStore store, StoredCredential v1, String reason) {
        List<Executable> calls = List.of(
                () -> store.get(ID),
                store::list,
                () -> store.insert(Credentials.minimal("gazelle:other", (byte) 2)),
                () -> store.compareAndSet(Credentials.next(v1, "during the outage"), 1),
                () -> store.delete(ID),
                () -> store.tryLease(ID, "daemon-a", T0.plusSeconds(60)),
                () -> store.releaseLease(ID, "daemon-a"),
                () -> store.appendHistory(event()),
                () -> store.history(ID, Instant.EPOCH, 10));
        for (Executable call : calls) {
            fails(StoreUnavailableException.class, call, reason);
        }
    }

    private static RefreshEvent event() {
        return new RefreshEvent(ID, T0, RefreshOutcome.REFRESHED, "", Duration.ZERO, 2);
    }
}
