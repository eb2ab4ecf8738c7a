package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two daemons on one PostgREST imitation: a credential imported through A is planned by B within
 * twice the poll interval ({@code TOKENKEEPER_SUPABASE_POLL_SECONDS}), with no consumer traffic
 * and long before B's validation sweep.
 */
class SupabaseChangePollTest {

    private static final int POLL_SECONDS = 2;

    @TempDir
    Path temp;

    @Test
    void aCredentialImportedThroughOneDaemonIsPlannedByTheOtherWithinTwoPolls() throws Exception {
        Path shared = Files.createDirectories(temp.resolve("shared"));
        try (FakePostgrest supabase = FakePostgrest.start(); FakeGazelle gazelle = FakeGazelle.start()) {
            Map<String, String> env = new HashMap<>(DaemonProcess.fastRefreshSettings());
            env.putAll(gazelle.settings());
            env.putAll(supabase.settings());
            env.put("TOKENKEEPER_STORE", "supabase");
            env.put("TOKENKEEPER_MASTER_KEY_FILE", SharedStoreDaemonsTest.sharedKey(shared).toString());
            env.put("TOKENKEEPER_SUPABASE_POLL_SECONDS", String.valueOf(POLL_SECONDS));
            try (DaemonProcess a = new DaemonProcess(temp.resolve("a"), env);
                 DaemonProcess b = new DaemonProcess(temp.resolve("b"), env)) {
                a.start();
                b.start();
                String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("late")).toString();
                long before = System.nanoTime();
                assertEquals(201, a.call("PUT", "/api/v1/credentials/gazelle:late", body).status());
                await().atMost(Duration.ofSeconds(2L * POLL_SECONDS)).pollInterval(Duration.ofMillis(50)).until(() -> {
                    DaemonProcess.Response shown = b.call("GET", "/api/v1/credentials/gazelle:late", null);
                    return shown.status() == 200 && shown.json().hasNonNull("nextRefreshAt");
                });
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
                assertTrue(millis <= 2_000L * POLL_SECONDS, millis + " ms");
                assertEquals(0, gazelle.refreshRequestCount(), "no consumer traffic, no refresh yet (30-day token)");
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(b.output().contains(secret));
                }
                System.out.printf("supabase poll every %d s: B planned a credential imported through A after %d ms%n",
                        POLL_SECONDS, millis);
            }
        }
    }
}
