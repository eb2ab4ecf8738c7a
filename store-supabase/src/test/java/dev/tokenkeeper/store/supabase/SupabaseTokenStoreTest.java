package dev.tokenkeeper.store.supabase;

import static dev.tokenkeeper.store.supabase.Credentials.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@link TokenStore} contract, the same as the SQLite store's, against {@link FakePostgrest}. */
class SupabaseTokenStoreTest {

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(T0);
    private FakePostgrest supabase;
    private SupabaseTokenStore store;

    @BeforeEach
    void open() {
        supabase = FakePostgrest.start();
        store = new SupabaseTokenStore();
        store.open(TestContext.of(supabase, state, clock));
    }

    @AfterEach
    void close() {
        store.close();
        supabase.close();
    }

    @Test
    void isDeclaredAsATokenStoreOnTheModuleAndClassPaths() throws Exception {
        assertEquals("supabase", store.id());
        ModuleDescriptor descriptor = SupabaseTokenStore.class.getModule().getDescriptor();
        assertTrue(descriptor.provides().stream().anyMatch(provides ->
                provides.service().equals(TokenStore.class.getName())
                        && provides.providers().equals(List.of(SupabaseTokenStore.class.getName()))), "module-info");
        try (InputStream services = SupabaseTokenStore.class.getModule()
                .getResourceAsStream("META-INF/services/" + TokenStore.class.getName())) {
            assertEquals(SupabaseTokenStore.class.getName(),
                    new String(services.readAllBytes(), StandardCharsets.UTF_8).trim(), "META-INF/services");
        }
    }

    @Test
    void roundTripsEveryField() {
        StoredCredential full = new StoredCredential(CredentialId.parse("gazelle:ops@example.com"),
                CredentialStatus.REQUIRES_CONFIGURATION, SealedSecret.of(new byte[] {1, 0, -1, 127, -128}),
                Instant.parse("2025-01-02T03:04:05.006Z"),
                Optional.of(Instant.parse("2025-01-02T04:04:05.006Z")),
                Optional.of(Instant.parse("2025-02-02T03:04:05.999Z")),
                42, Optional.of(Instant.parse("2025-01-02T03:04:05.001Z")),
                Optional.of("upstream said invalid_grant: \"import\" again, 100% sure & (really)"),
                Instant.parse("2025-01-02T03:04:06Z"));
        StoredCredential empty = Credentials.minimal("vinted:admin", (byte) 9);

        assertTrue(store.insert(full));
        assertTrue(store.insert(empty));

        assertEquals(Optional.of(full), store.get(full.id()));
        assertEquals(Optional.of(empty), store.get(empty.id()));
        for (CredentialStatus status : CredentialStatus.values()) {
            StoredCredential withStatus = Credentials.minimal("gazelle:status-" + status.wireName(), (byte) 1);
            withStatus = new StoredCredential(withStatus.id(), status, withStatus.secret(), withStatus.issuedAt(),
                    withStatus.accessExpiresAt(), withStatus.refreshExpiresAt(), 1, withStatus.lastRefreshAt(),
                    withStatus.lastError(), withStatus.updatedAt());
            assertTrue(store.insert(withStatus));
            assertEquals(status, store.get(withStatus.id()).orElseThrow().status());
        }
        assertEquals(Optional.empty(), store.get(CredentialId.parse("gazelle:nobody")));
    }

    @Test
    void keepsSealedBytesAsBase64Text() {
        byte[] sealed = new byte[4096];
        for (int i = 0; i < sealed.length; i++) {
            sealed[i] = (byte) (i * 31 + 7);
        }
        assertTrue(store.insert(Credentials.minimal("gazelle:default", sealed)));

        assertArrayEquals(sealed, store.get(CredentialId.parse("gazelle:default")).orElseThrow().secret().bytes());
        ObjectNode row = supabase.rows(FakePostgrest.CREDENTIALS).get(0);
        assertEquals(SealedSecret.of(sealed).toBase64(), row.get("sealed_secret").textValue());
        assertEquals(T0.toEpochMilli(), row.get("issued_at").longValue(), "times are epoch milliseconds");
        assertTrue(store.insert(Credentials.minimal("gazelle:empty")));
        assertEquals(0, store.get(CredentialId.parse("gazelle:empty")).orElseThrow().secret().length());
    }

    @Test
    void listsInIdOrder() {
        for (String id : List.of("vinted:b", "gazelle:z", "vinted:a", "gazelle:default", "a-b:x")) {
            assertTrue(store.insert(Credentials.minimal(id, (byte) 1)));
        }
        assertEquals(List.of("a-b:x", "gazelle:default", "gazelle:z", "vinted:a", "vinted:b"),
                store.list().stream().map(c -> c.id().toString()).toList());
    }

    @Test
    void listsMoreCredentialsThanOnePage() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < SupabaseTokenStore.LIST_PAGE * 2 + 5; i++) {
            String id = String.format("gazelle:account-%03d", i);
            expected.add(id);
            supabase.insertRow(FakePostgrest.CREDENTIALS, Credentials.row(Credentials.minimal(id, (byte) i)));
        }
        int before = supabase.requestCount();

        assertEquals(expected, store.list().stream().map(c -> c.id().toString()).toList());
        assertEquals(3, supabase.requestCount() - before, "three pages");
    }

    @Test
    void insertOfAnExistingIdReturnsFalseAndKeepsTheRow() {
        StoredCredential first = Credentials.minimal("gazelle:default", (byte) 1);
        assertTrue(store.insert(first));

        assertFalse(store.insert(Credentials.minimal("gazelle:default", (byte) 2)));
        assertEquals(Optional.of(first), store.get(first.id()));
    }

    @Test
    void deleteRemovesTheCredentialButKeepsItsHistory() {
        StoredCredential credential = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(credential);
        store.appendHistory(new RefreshEvent(credential.id(), T0, RefreshOutcome.IMPORTED, "", Duration.ZERO, 1));

        assertTrue(store.delete(credential.id()));
        assertFalse(store.delete(credential.id()));
        assertEquals(Optional.empty(), store.get(credential.id()));
        assertEquals(List.of(), store.list());
        assertEquals(1, store.history(credential.id(), Instant.EPOCH, 10).size());
        assertTrue(store.insert(credential), "the id may be imported again after a delete");
    }

    @Test
    void compareAndSetWritesOnlyOnTheExpectedVersion() {
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        StoredCredential v2 = Credentials.next(v1, "first writer");
        StoredCredential staleV2 = Credentials.next(v1, "second writer");

        assertTrue(store.compareAndSet(v2, 1));
        assertFalse(store.compareAndSet(staleV2, 1), "a writer that read version 1 must lose");
        assertEquals(Optional.of(v2), store.get(v1.id()));
        assertFalse(store.compareAndSet(Credentials.next(Credentials.minimal("gazelle:absent", (byte) 1), "x"), 1),
                "compare-and-set of a missing credential");
    }

    @Test
    void compareAndSetIsOneConditionalPatch() {
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        int requests = supabase.requestCount();
        int patches = supabase.patchCount();

        assertTrue(store.compareAndSet(Credentials.next(v1, "x"), 1));
        assertFalse(store.compareAndSet(Credentials.next(v1, "y"), 1));

        assertEquals(2, supabase.requestCount() - requests, "no read before the write");
        assertEquals(2, supabase.patchCount() - patches);
    }

    @Test
    void compareAndSetRejectsVersionsThatDoNotAddUp() {
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        StoredCredential v2 = Credentials.next(v1, "x");

        assertThrows(IllegalArgumentException.class, () -> store.compareAndSet(v2, 0));
        assertThrows(IllegalArgumentException.class, () -> store.compareAndSet(v2, 2));
        assertThrows(IllegalArgumentException.class, () -> store.compareAndSet(v1, 1));
        assertEquals(Optional.of(v1), store.get(v1.id()));
    }

    @Test
    void compareAndSetLeavesTheLeaseAlone() {
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        assertTrue(store.tryLease(v1.id(), "daemon-a", T0.plusSeconds(60)));

        assertTrue(store.compareAndSet(Credentials.next(v1, "refreshed"), 1));

        ObjectNode row = supabase.rows(FakePostgrest.CREDENTIALS).get(0);
        assertEquals("daemon-a", row.get("lease_owner").textValue());
        assertEquals(T0.plusSeconds(60).toEpochMilli(), row.get("lease_until").longValue());
        assertFalse(store.tryLease(v1.id(), "daemon-b", T0.plusSeconds(60)), "the lease survived the update");
        store.releaseLease(v1.id(), "daemon-a");
        assertTrue(store.tryLease(v1.id(), "daemon-b", T0.plusSeconds(60)));
    }

    @Test
    void leaseOwnersWithFilterSyntaxInTheirNamesAreTakenLiterally() {
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        String tricky = "host.example,(pid 12)\"quoted\"\\&x=1";

        assertTrue(store.tryLease(v1.id(), tricky, T0.plusSeconds(60)));
        assertEquals(tricky, supabase.rows(FakePostgrest.CREDENTIALS).get(0).get("lease_owner").textValue());
        assertTrue(store.tryLease(v1.id(), tricky, T0.plusSeconds(90)), "the owner re-enters");
        assertFalse(store.tryLease(v1.id(), "host.example", T0.plusSeconds(90)));
        store.releaseLease(v1.id(), tricky);
        assertTrue(store.tryLease(v1.id(), "host.example", T0.plusSeconds(90)));
    }

    @Test
    void historyReturnsTheNewestEventsSinceAGivenTimeOldestFirst() {
        CredentialId id = CredentialId.parse("gazelle:default");
        CredentialId other = CredentialId.parse("vinted:default");
        RefreshOutcome[] outcomes = RefreshOutcome.values();
        // Appended out of time order on purpose: the order is by time, not by arrival.
        int[] minutes = {5, 0, 3, 1, 4, 2, 6, 7, 9, 8};
        for (int minute : minutes) {
            store.appendHistory(new RefreshEvent(id, T0.plus(Duration.ofMinutes(minute)),
                    outcomes[minute % outcomes.length], "event " + minute, Duration.ofMillis(100 + minute), minute));
        }
        store.appendHistory(new RefreshEvent(other, T0.plus(Duration.ofMinutes(9)), RefreshOutcome.REFRESHED,
                "someone else", Duration.ZERO, 1));

        List<RefreshEvent> all = store.history(id, Instant.EPOCH, 100);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), all.stream().map(RefreshEvent::version).toList());
        assertEquals(new RefreshEvent(id, T0.plus(Duration.ofMinutes(3)), outcomes[3], "event 3",
                Duration.ofMillis(103), 3), all.get(3));

        assertEquals(List.of(7L, 8L, 9L),
                store.history(id, Instant.EPOCH, 3).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L),
                store.history(id, T0.plus(Duration.ofMinutes(4)), 100).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(8L, 9L),
                store.history(id, T0.plus(Duration.ofMinutes(4)), 2).stream().map(RefreshEvent::version).toList());
        assertEquals(List.of(), store.history(id, T0.plus(Duration.ofMinutes(10)), 5));
        assertEquals(List.of(), store.history(id, Instant.EPOCH, 0));
        assertThrows(IllegalArgumentException.class, () -> store.history(id, Instant.EPOCH, -1));
        assertEquals(1, store.history(other, Instant.EPOCH, 100).size());
    }

    @Test
    void eventsAtTheSameInstantKeepTheirAppendOrder() {
        CredentialId id = CredentialId.parse("gazelle:default");
        for (int i = 0; i < 5; i++) {
            store.appendHistory(new RefreshEvent(id, T0, RefreshOutcome.VALIDATED, "n" + i, Duration.ZERO, i));
        }
        assertEquals(List.of("n2", "n3", "n4"),
                store.history(id, T0, 3).stream().map(RefreshEvent::detail).toList());
    }

    @Test
    void setupSqlCreatesBothTablesForTheServiceRoleOnly() {
        String sql = store.setupSql().orElseThrow();
        String lower = sql.toLowerCase(java.util.Locale.ROOT);

        for (String table : List.of(FakePostgrest.CREDENTIALS, FakePostgrest.HISTORY)) {
            assertTrue(lower.contains("create table if not exists public." + table + " ("), table);
            assertTrue(lower.contains("alter table public." + table + " enable row level security"), table);
            assertTrue(lower.contains("revoke all on table public." + table + " from anon, authenticated"), table);
            assertTrue(lower.matches("(?s).*grant [a-z, ]+ on table public." + table + " to service_role;.*"), table);
        }
        assertFalse(lower.contains("create policy"), "no policy: nobody but the service role gets in");
        for (String column : List.of("id", "provider", "account", "status", "version", "sealed_secret", "issued_at",
                "access_expires_at", "refresh_expires_at", "last_refresh_at", "last_error", "updated_at",
                "lease_owner", "lease_until", "credential_id", "at", "outcome", "detail", "duration_ms")) {
            assertTrue(lower.matches("(?s).*\\n\\s+" + column + "\\s+(text|bigint|bigserial).*"), column);
        }
        assertTrue(sql.contains("system_settings") && sql.contains("gazelle_oauth_token"), "legacy table explained");
        assertTrue(new SupabaseTokenStore().setupSql().orElseThrow().equals(sql), "available before open()");
    }

    @Test
    void tablePrefixRenamesTheTablesAndTheSql() {
        TestContext context = TestContext.of(supabase, state, clock)
                .with(SupabaseSettings.TABLE_PREFIX, "tk_");
        SupabaseTokenStore prefixed = new SupabaseTokenStore();

        StoreException missing = assertThrows(StoreException.class, () -> prefixed.open(context));
        assertTrue(missing.getMessage().contains("table tk_credentials does not exist"), missing.getMessage());
        String sql = prefixed.setupSql().orElseThrow();
        assertTrue(sql.contains("create table if not exists public.tk_credentials ("), "the SQL the message asks for");
        assertTrue(sql.contains("grant usage, select on sequence public.tk_refresh_history_id_seq to service_role"));
        assertFalse(sql.contains("public.tokenkeeper_"), sql);

        StoreException bad = assertThrows(StoreException.class, () -> new SupabaseTokenStore()
                .open(context.with(SupabaseSettings.TABLE_PREFIX, "tk; drop table x")));
        assertTrue(bad.getMessage().contains(SupabaseSettings.TABLE_PREFIX), bad.getMessage());
    }

    @Test
    void closedStoreRefusesCalls() {
        store.close();
        store.close();
        StoreException closed = assertThrows(StoreException.class, () -> store.list());
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertThrows(IllegalStateException.class, () -> new SupabaseTokenStore().list(), "used before open()");
    }

    @Test
    void toStringNamesTheProjectButNotTheKey() {
        assertEquals("SupabaseTokenStore[" + supabase.url() + "]", store.toString());
    }
}
