package dev.tokenkeeper.store.supabase;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoreChange;
import dev.tokenkeeper.api.store.ChangeFeed;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.contract.TestContext;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Supabase store's change poll against {@link FakePostgrest}: another store's inserts and refreshes are announced, its own quiet rows are not. */
class SupabaseChangePollTest {

    @TempDir
    Path state;

    private final FakePostgrest supabase = FakePostgrest.start();
    private final SupabaseTokenStore a = new SupabaseTokenStore();
    private final SupabaseTokenStore b = new SupabaseTokenStore();

    @AfterEach
    void stop() {
        a.close();
        b.close();
        supabase.close();
    }

    private static StoredCredential credential(String id, long version) {
        Instant now = Instant.now();
        return new StoredCredential(CredentialId.parse(id), CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {1}),
                now, Optional.of(now.plusSeconds(60)), Optional.empty(), version, Optional.of(now), Optional.empty(), now);
    }

    @Test
    void changesThroughOneStoreAreAnnouncedByTheOthersPollAndQuietRowsAreNot() {
        TestContext context = new TestContext(supabase.settings(), state, Clock.systemUTC())
                .with("TOKENKEEPER_SUPABASE_POLL_SECONDS", "0.2");
        a.open(context);
        b.open(context);
        assertTrue(a.insert(credential("gazelle:old", 1)));
        List<StoreChange> seen = new CopyOnWriteArrayList<>();
        b.capability(ChangeFeed.class).orElseThrow().watch(seen::add);

        assertTrue(a.insert(credential("gazelle:new", 1)));
        StoreChange imported = new StoreChange.Credentials(Set.of(CredentialId.parse("gazelle:new")));
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(imported));
        seen.clear();
        assertTrue(a.compareAndSet(credential("gazelle:new", 2), 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(imported));
        await().pollDelay(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertFalse(seen.stream().anyMatch(change -> change instanceof StoreChange.Credentials c
                && c.ids().contains(CredentialId.parse("gazelle:old"))), "an unchanged row is not announced: " + seen);
    }

    @Test
    void zeroTurnsPollingOff() {
        a.open(new TestContext(supabase.settings(), state, Clock.systemUTC()).with("TOKENKEEPER_SUPABASE_POLL_SECONDS", "0"));
        assertTrue(a.capability(ChangeFeed.class).isEmpty(), "no change feed is offered");
        assertThrows(IllegalStateException.class, () -> a.watch(change -> { }));
    }
}
