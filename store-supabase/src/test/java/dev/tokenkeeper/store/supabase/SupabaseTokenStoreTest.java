package dev.tokenkeeper.store.supabase;

import static dev.tokenkeeper.api.contract.Credentials.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.Credentials;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only the Supabase store does, against {@link FakePostgrest}: the wire format, paging, one request per
 * write, the setup SQL. The shared {@link TokenStore} contract is in {@link SupabaseStoreContractTest}.
 */
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
        store.open(new TestContext(supabase.settings(), state, clock));
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
    void keepsSealedBytesAsBase64Text() {
        byte[] sealed = new byte[4096];
        for (int i = 0; i < sealed.length; i++) {
            sealed[i] = (byte) (i * 31 + 7);
        }
        assertTrue(store.insert(Credentials.minimal("gazelle:default", sealed)));

        ObjectNode row = supabase.rows(FakePostgrest.CREDENTIALS).get(0);
        assertEquals(SealedSecret.of(sealed).toBase64(), row.get("sealed_secret").textValue());
        assertEquals(T0.toEpochMilli(), row.get("issued_at").longValue(), "times are epoch milliseconds");
    }

    @Test
    void listsMoreCredentialsThanOnePage() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < SupabaseTokenStore.LIST_PAGE * 2 + 5; i++) {
            String id = String.format("gazelle:account-%03d", i);
            expected.add(id);
            supabase.insertRow(FakePostgrest.CREDENTIALS, SeedRows.of(Credentials.minimal(id, (byte) i)));
        }
        int before = supabase.requestCount();

        assertEquals(expected, store.list().stream().map(c -> c.id().toString()).toList());
        assertEquals(3, supabase.requestCount() - before, "three pages");
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
    void compareAndSetLeavesTheLeaseColumnsAlone() {
        StoredCredential v1 = Credentials.minimal("gazelle:default", (byte) 1);
        store.insert(v1);
        assertTrue(store.tryLease(v1.id(), "daemon-a", T0.plusSeconds(60)));

        assertTrue(store.compareAndSet(Credentials.next(v1, "refreshed"), 1));

        ObjectNode row = supabase.rows(FakePostgrest.CREDENTIALS).get(0);
        assertEquals("daemon-a", row.get("lease_owner").textValue());
        assertEquals(T0.plusSeconds(60).toEpochMilli(), row.get("lease_until").longValue());
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
    void setupSqlCreatesBothTablesForTheServiceRoleOnly() {
        String sql = store.setupSql();
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
        assertTrue(new SupabaseTokenStore().setupSql().equals(sql), "available before open()");
    }

    @Test
    void tablePrefixRenamesTheTablesAndTheSql() {
        TestContext context = new TestContext(supabase.settings(), state, clock)
                .with(SupabaseSettings.TABLE_PREFIX, "tk_");
        SupabaseTokenStore prefixed = new SupabaseTokenStore();

        StoreException missing = assertThrows(StoreException.class, () -> prefixed.open(context));
        assertTrue(missing.getMessage().contains("table tk_credentials does not exist"), missing.getMessage());
        String sql = prefixed.setupSql();
        assertTrue(sql.contains("create table if not exists public.tk_credentials ("), "the SQL the message asks for");
        assertTrue(sql.contains("grant usage, select on sequence public.tk_refresh_history_id_seq to service_role"));
        assertFalse(sql.contains("public.tokenkeeper_"), sql);

        StoreException bad = assertThrows(StoreException.class, () -> new SupabaseTokenStore()
                .open(context.with(SupabaseSettings.TABLE_PREFIX, "tk; drop table x")));
        assertTrue(bad.getMessage().contains(SupabaseSettings.TABLE_PREFIX), bad.getMessage());
    }

    @Test
    void aStoreUsedBeforeOpenIsABug() {
        assertThrows(IllegalStateException.class, () -> new SupabaseTokenStore().list(), "used before open()");
    }

    @Test
    void toStringNamesTheProjectButNotTheKey() {
        assertEquals("SupabaseTokenStore[" + supabase.url() + "]", store.toString());
    }
}
