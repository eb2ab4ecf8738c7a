package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CredentialService} in the daemon built by the harness, called directly, with the real
 * Gazelle provider and its imitation on the controlled clock (1-hour access tokens). The scheduler
 * is stopped, so every refresh seen here is the consumer's own.
 */
class CredentialServiceInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CredentialId ID = CredentialId.parse("gazelle:default");

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock).accessLifetime(Duration.ofHours(1));

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings());

    private CredentialService credentials;

    @BeforeEach
    void importChain() {
        daemon.assembly().scheduler().pause();
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + ID,
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString());
        assertEquals(201, imported.statusCode(), imported.body());
        credentials = daemon.credentials();
    }

    @AfterEach
    void closeImitation() {
        gazelle.close();
    }

    @Test
    void aTokenValidLongEnoughIsServedWithoutAskingTheUpstream() {
        LiveCredential first = credentials.token(ID, Duration.ofMinutes(30));
        daemon.advance(Duration.ofMinutes(20));
        LiveCredential again = credentials.token(ID, Duration.ofMinutes(30));
        assertEquals(first.presentation().token(), again.presentation().token());
        assertEquals(0, gazelle.refreshRequestCount());
    }

    @Test
    void askingForMoreValidityThanIsLeftRefreshesFirst() {
        String before = credentials.token(ID, Duration.ofMinutes(1)).presentation().token();
        daemon.advance(Duration.ofMinutes(40));
        LiveCredential live = credentials.token(ID, Duration.ofMinutes(30));
        assertNotEquals(before, live.presentation().token());
        assertTrue(live.validFor(clock.instant(), Duration.ofMinutes(30)), "valid for the 30 minutes asked");
        assertTrue(gazelle.isAccessTokenValid(live.presentation().token()));
        assertEquals(1, gazelle.refreshRequestCount());
    }

    @Test
    void consumersAskingAtOnceAfterExpiryShareOneRefresh() throws Exception {
        daemon.advance(Duration.ofMinutes(61));
        int consumers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(consumers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < consumers; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return credentials.token(ID, Duration.ofMinutes(1)).presentation().token();
                }));
            }
            go.countDown();
            Set<String> tokens = new HashSet<>();
            for (Future<String> answer : answers) {
                tokens.add(answer.get(30, TimeUnit.SECONDS));
            }
            assertEquals(1, tokens.size(), "every consumer got the same new token");
            assertTrue(gazelle.isAccessTokenValid(tokens.iterator().next()));
            assertEquals(1, gazelle.refreshRequestCount(), "one refresh for all of them");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRejectedTokenIsReplacedAndAnOlderOneIsAnsweredWithTheCurrentWithoutAsking() {
        String used = credentials.token(ID, Duration.ofMinutes(1)).presentation().token();
        // Past the least time between two refreshes (an import counts as one).
        daemon.advance(Duration.ofMinutes(10));
        String replaced = credentials.rejected(ID, used).presentation().token();
        assertNotEquals(used, replaced);
        assertEquals(1, gazelle.refreshRequestCount());
        daemon.advance(Duration.ofMinutes(5));
        // A second consumer reports the token the first one already reported: it gets the new one at once.
        assertEquals(replaced, credentials.rejected(ID, used).presentation().token());
        assertEquals(1, gazelle.refreshRequestCount(), "no upstream call for a token already replaced");
        assertEquals(replaced, credentials.token(ID, Duration.ofMinutes(1)).presentation().token());
    }
}
