package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import dev.tokenkeeper.store.postgres.PostgresTokenStore;
import dev.tokenkeeper.store.sqlite.SqliteTokenStore;
import dev.tokenkeeper.store.supabase.FakePostgrest;
import dev.tokenkeeper.store.supabase.SupabaseTokenStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tokenkeeper doctor}'s line for a store that several daemons share without a due queue of its
 * own (issue 26): Supabase, opened on the PostgREST imitation, gets one {@code warn store:} line in
 * doctor's form; SQLite (one daemon) and PostgreSQL (the due queue in the store) get none.
 */
class DoctorDueQueueAdviceTest {

    /** Every doctor line's form (CliEndToEndTest checks the same of a whole run). */
    private static final String LINE = "(ok  |warn|FAIL) (credential [^ ]+|[^:]+): .+";

    @TempDir
    Path state;

    @Test
    void aSupabaseStoreIsSaidToPlanEveryCredentialInEachDaemonAndTheOthersAreNot() {
        try (FakePostgrest supabase = FakePostgrest.start(); TokenStore store = new SupabaseTokenStore()) {
            store.open(new TestContext(supabase.settings(), state, MutableClock.startingNow()));
            Optional<String> advice = DoctorCommand.dueQueueAdvice(store);
            assertTrue(advice.isPresent(), "supabase has no due queue");
            String line = "warn store: " + advice.get();
            assertTrue(line.matches(LINE), line);
            assertEquals(1, line.lines().count(), line);
            assertTrue(line.contains("supabase has no due queue: each daemon plans every credential"), line);
            assertTrue(line.contains("TOKENKEEPER_STORE=postgres"), line);
        }
        assertEquals(Optional.empty(), DoctorCommand.dueQueueAdvice(new SqliteTokenStore()), "one daemon's store");
        assertEquals(Optional.empty(), DoctorCommand.dueQueueAdvice(new PostgresTokenStore()), "the due queue is in it");
    }
}
