package dev.tokenkeeper.store.supabase;

import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.contract.TestContext;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SUPABASE_URL: https everywhere, clear-text http only to this machine. */
class SupabaseUrlTest {

    private static SupabaseSettings settings(String url) {
        return SupabaseSettings.from(new TestContext(Map.of("SUPABASE_URL", url, "SUPABASE_SERVICE_ROLE_KEY",
                "service-role-key-for-the-test"), Path.of("."), Clock.systemUTC()));
    }

    @Test
    void plainHttpToARemoteHostIsRefused() {
        for (String url : new String[] {"http://abcdefghijklmnop.supabase.co", "http://10.0.0.5:54321",
                "http://localhost.evil.example", "http://127.0.0.1.nip.io"}) {
            StoreException refused = assertThrows(StoreException.class, () -> settings(url), url);
            assertTrue(refused.getMessage().contains("must start with https://"), refused.getMessage());
        }
    }

    @Test
    void httpsAndLoopbackHttpAreAccepted() {
        assertEquals("https://abcdefghijklmnop.supabase.co", settings("https://abcdefghijklmnop.supabase.co").projectUrl().toString());
        assertEquals("http://127.0.0.1:54321", settings("http://127.0.0.1:54321").projectUrl().toString());
        assertEquals("http://localhost:54321", settings("http://localhost:54321").projectUrl().toString());
        assertEquals("http://[::1]:54321", settings("http://[::1]:54321").projectUrl().toString());
    }
}
