package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.contract.TestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The page walk over the real SQLite store. */
class CredentialPagesTest {

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T00:00:00Z"));
    private TokenStore store;

    @BeforeEach
    void open() {
        store = EmbeddedStore.found();
        store.open(TestContext.of(state, clock));
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** @return the ids written, in id order */
    private List<String> stored(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = count; i >= 1; i--) { // written out of order: the walk orders them
            CredentialId id = CredentialId.parse("acme:shop-" + (char) ('a' + i - 1));
            Instant now = clock.instant();
            assertTrue(store.insert(new StoredCredential(id, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {(byte) i}),
                    now, Optional.of(now.plusSeconds(3600)), Optional.empty(), 1, Optional.of(now), Optional.empty(), now)));
            ids.add(0, id.toString());
        }
        return ids;
    }

    private static List<String> walked(Iterable<StoredCredential> pages) {
        List<String> seen = new ArrayList<>();
        pages.forEach(credential -> seen.add(credential.id().toString()));
        return seen;
    }

    @Test
    void everyCredentialIsWalkedOnceInIdOrderWhateverThePageSize() {
        List<String> ids = stored(5);
        for (int page : new int[] {1, 2, 5, 6, CredentialPages.PAGE}) {
            assertEquals(ids, walked(new CredentialPages(store, page)), "pages of " + page);
        }
        List<String> byIterator = new ArrayList<>();
        for (StoredCredential credential : new CredentialPages(store, 2)) {
            byIterator.add(credential.id().toString());
        }
        assertEquals(ids, byIterator);
    }

    @Test
    void eachPageIsReadWhenTheOneBeforeIsUsedUpAndAnEmptyStoreHasNothing() {
        assertEquals(List.of(), walked(new CredentialPages(store, 2)));
        List<String> ids = stored(3);
        Iterator<StoredCredential> walk = new CredentialPages(store, 2).iterator();
        assertEquals(ids.get(0), walk.next().id().toString());
        assertEquals(ids.get(1), walk.next().id().toString());
        // Rows read a page at a time: a row written after the first page's end is found by the next read.
        Instant now = clock.instant();
        CredentialId later = CredentialId.parse("acme:shop-z");
        assertTrue(store.insert(new StoredCredential(later, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {9}),
                now, Optional.empty(), Optional.empty(), 1, Optional.of(now), Optional.empty(), now)));
        assertTrue(walk.hasNext());
        assertEquals(ids.get(2), walk.next().id().toString());
        assertEquals(later.toString(), walk.next().id().toString());
        assertFalse(walk.hasNext());
        assertFalse(walk.hasNext(), "asking again reads nothing new");
        NoSuchElementException end = assertThrows(NoSuchElementException.class, walk::next);
        assertEquals("no credential after acme:shop-z", end.getMessage());
    }

    @Test
    void aPageOfLessThanOneCredentialIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new CredentialPages(store, 0));
        assertTrue(refused.getMessage().contains("at least one credential"), refused.getMessage());
    }
}
