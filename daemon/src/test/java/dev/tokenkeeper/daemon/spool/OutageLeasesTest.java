package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.contract.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lease decisions a daemon makes alone while the store is down, and in the grace after it,
 * on a controlled clock. The same rules through the spool over a real store are in {@link SpooledStoreTest}.
 */
class OutageLeasesTest {

    private static final CredentialId ID = CredentialId.parse("gazelle:default");
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration GRACE = Duration.ofSeconds(4);

    private final MutableClock clock = new MutableClock(T0);
    private final OutageLeases leases = new OutageLeases(GRACE, clock);

    private static StoredCredential row(long version, int secret) {
        return new StoredCredential(ID, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {(byte) secret}), T0,
                Optional.of(T0.plusSeconds(3600)), Optional.empty(), version, Optional.of(T0), Optional.empty(), T0);
    }

    private boolean mayRefreshWhileDown(StoredCredential known) {
        return leases.refusalWhileDown(Optional.of(known)).isEmpty();
    }

    /** Another daemon's version seen in the store: from now on this daemon is not alone. */
    private void anotherDaemonWrote(StoredCredential before, StoredCredential after) {
        leases.seen(before, after, leases.ticket());
    }

    @Test
    void aDaemonThatNeverSawAnotherOneOwnsEverythingAlsoRightAfterAnOutage() {
        StoredCredential row = row(1, 1);
        leases.wrote(row);
        leases.seen(row(0, 0), row, leases.ticket());
        leases.storeDown();
        assertTrue(mayRefreshWhileDown(row), "its own version seen again is no other daemon's hand");
        assertTrue(leases.refusalWhileDown(Optional.empty()).isEmpty());
        leases.storeBack();
        assertTrue(leases.inGrace());
        assertEquals(Optional.empty(), leases.refusalJustAfterOutage(Optional.of(row)));
    }

    @Test
    void aVersionThisDaemonDidNotWriteOrALeaseItMetShowsAnotherDaemon() {
        leases.storeDown();
        leases.seen(row(2, 2), row(2, 2), leases.ticket());
        leases.seen(null, row(3, 3), leases.ticket());
        assertTrue(mayRefreshWhileDown(row(3, 3)), "the same version read again, or a first read, shows nobody");

        anotherDaemonWrote(row(3, 3), row(4, 4));
        String refusal = leases.refusalWhileDown(Optional.of(row(4, 4))).orElseThrow();
        assertTrue(refusal.startsWith("gazelle:default may be refreshed by another daemon"), refusal);
        assertTrue(leases.refusalWhileDown(Optional.empty()).orElseThrow().startsWith("the credential may be"));

        OutageLeases met = new OutageLeases(GRACE, clock);
        met.anotherDaemonLeased();
        assertTrue(met.refusalWhileDown(Optional.of(row(1, 1))).isPresent());
    }

    @Test
    void onlyASecretObtainedDuringThisOutageIsThisDaemons() {
        anotherDaemonWrote(row(1, 1), row(2, 2));
        leases.storeDown();
        assertFalse(mayRefreshWhileDown(row(2, 2)));

        StoredCredential obtained = row(3, 3);
        leases.spooled(Optional.of(row(2, 2)), obtained);
        leases.storeDown(); // every failed call reports the outage again: still the same one
        assertTrue(mayRefreshWhileDown(obtained));
        assertFalse(mayRefreshWhileDown(row(4, 4)), "a secret this daemon did not obtain");

        leases.storeBack();
        leases.storeDown();
        assertFalse(mayRefreshWhileDown(obtained), "in a new outage another daemon may have refreshed it meanwhile");
    }

    @Test
    void aStatusChangeSpooledDuringTheOutageObtainsNoSecret() {
        anotherDaemonWrote(row(1, 1), row(2, 2));
        leases.storeDown();
        StoredCredential refused = row(2, 2).withStatus(CredentialStatus.REQUIRES_CONFIGURATION, Optional.of("x"), T0);
        leases.spooled(Optional.of(row(2, 2)), refused);
        assertFalse(mayRefreshWhileDown(refused), "the secret is the one from before the outage");

        StoredCredential first = row(1, 7);
        leases.spooled(Optional.empty(), first);
        assertTrue(mayRefreshWhileDown(first), "nothing was known before: the spooled secret is this daemon's");
    }

    @Test
    void aRowFirstReadThatAnotherDaemonWroteSinceThisOneStartedEndsBeingAlone() {
        StoredCredential fromBeforeTheStart = row(2, 2);
        leases.seen(null, fromBeforeTheStart, leases.ticket());
        leases.storeDown();
        assertTrue(mayRefreshWhileDown(fromBeforeTheStart), "a row from before the start may be this daemon's own");

        clock.advance(Duration.ofSeconds(1));
        StoredCredential byAnother = new StoredCredential(ID, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {3}), T0,
                Optional.of(T0.plusSeconds(3600)), Optional.empty(), 3, Optional.of(clock.instant()), Optional.empty(),
                clock.instant());
        leases.seen(null, byAnother, leases.ticket());
        assertFalse(mayRefreshWhileDown(byAnother), "written since the start, not here: another daemon is about");
    }

    @Test
    void withThePlanInMemoryARowFirstReadIsOneCreatedSinceTheStartAndTellsOfNoOneElse() {
        OutageLeases inMemory = new OutageLeases(GRACE, clock, false, SpooledStore.NOTICES_KEPT);
        clock.advance(Duration.ofSeconds(1));
        StoredCredential createdSince = new StoredCredential(ID, CredentialStatus.ACTIVE, SealedSecret.of(new byte[] {3}), T0,
                Optional.of(T0.plusSeconds(3600)), Optional.empty(), 3, Optional.of(clock.instant()), Optional.empty(),
                clock.instant());
        inMemory.seen(null, createdSince, inMemory.ticket());
        inMemory.storeDown();
        assertTrue(inMemory.refusalWhileDown(Optional.of(createdSince)).isEmpty(),
                "the start read every row: one first read now was created since, which alone shows no other daemon");
    }

    /** @return the credential's row this daemon spooled during an outage, another daemon having written it before */
    private StoredCredential obtainedDuringAnOutageWithAnotherDaemonAbout() {
        anotherDaemonWrote(row(1, 1), row(2, 2));
        leases.storeDown();
        StoredCredential obtained = row(3, 3);
        leases.spooled(Optional.of(row(2, 2)), obtained);
        return obtained;
    }

    @Test
    void anAnnouncedChangeMakesTheRowDoubtfulUntilAReadStartedAfterIt() {
        StoredCredential obtained = obtainedDuringAnOutageWithAnotherDaemonAbout();
        long readBeforeTheNotice = leases.ticket();
        leases.announced(ID);
        assertFalse(mayRefreshWhileDown(obtained), "another daemon may have just written it");

        leases.seen(obtained, obtained, readBeforeTheNotice);
        assertFalse(mayRefreshWhileDown(obtained), "a read begun before the notice cannot have seen that change");
        leases.seen(obtained, obtained, leases.ticket());
        assertTrue(mayRefreshWhileDown(obtained));
    }

    @Test
    void theAnnouncementsOfThisDaemonsOwnWritesRaiseNoDoubt() {
        leases.watched(true);
        StoredCredential obtained = obtainedDuringAnOutageWithAnotherDaemonAbout();

        leases.writing(ID);
        leases.writing(ID);
        leases.writing(ID);
        leases.notWritten(ID);
        leases.announced(ID);
        leases.announced(ID);
        assertTrue(mayRefreshWhileDown(obtained), "two writes happened, two notices were this daemon's own");
        leases.announced(ID);
        assertFalse(mayRefreshWhileDown(obtained), "a third notice is another daemon's");
    }

    @Test
    void afterAGapInTheAnnouncementsNoNoticeCountsAsOwn() {
        leases.watched(true);
        StoredCredential obtained = obtainedDuringAnOutageWithAnotherDaemonAbout();
        leases.writing(ID);
        leases.notWritten(ID);
        leases.writing(ID);
        leases.announcementsMissed();
        leases.announced(ID);
        assertFalse(mayRefreshWhileDown(obtained), "the notice may be of a change this daemon never saw");
    }

    @Test
    void onAFeedThatDoesNotAnnounceOwnWritesEveryNoticeIsAnotherDaemonsUntilReadAgain() {
        // PostgreSQL's listener skips a store's own rows: the writes counted off against the notices once took
        // the next notice of another daemon's change for this daemon's own (and were kept for good).
        leases.watched(false);
        StoredCredential obtained = obtainedDuringAnOutageWithAnotherDaemonAbout();
        leases.writing(ID);
        assertEquals(0, leases.remembered(), "no notice is expected of it");

        leases.announced(ID);
        assertFalse(mayRefreshWhileDown(obtained), "another daemon's write, after this one's");
        leases.seen(obtained, obtained, leases.ticket());
        assertTrue(mayRefreshWhileDown(obtained), "read again since: whoever wrote, this is the newest");
    }

    @Test
    void whatTellsThisDaemonsOwnWritesApartIsNotKeptOnceAnotherDaemonWasSeen() {
        // A version per credential ever written was kept for good: a million credentials, a million entries.
        for (int i = 0; i < 1_000; i++) {
            leases.wrote(new StoredCredential(CredentialId.parse("gazelle:c" + i), CredentialStatus.ACTIVE,
                    SealedSecret.of(new byte[] {1}), T0, Optional.empty(), Optional.empty(), 1, Optional.of(T0),
                    Optional.empty(), T0));
        }
        assertEquals(1_000, leases.remembered(), "alone, its own versions tell it that it still is");
        leases.anotherDaemonLeased();
        assertEquals(0, leases.remembered());
        leases.wrote(row(5, 5));
        assertEquals(0, leases.remembered(), "nothing more to learn from its own versions");
    }

    @Test
    void noticesOfCredentialsNotSpooledHereAreKeptForABoundedTimeOnly() {
        // Every other daemon's change was kept until read here: with four daemons on a million credentials, three
        // quarters of a million entries per daemon, read by nothing.
        Duration kept = Duration.ofMinutes(15);
        OutageLeases fleet = new OutageLeases(GRACE, clock, true, kept);
        fleet.anotherDaemonLeased();
        for (int i = 0; i < 1_000; i++) {
            fleet.announced(CredentialId.parse("gazelle:n" + i));
        }
        assertEquals(0, fleet.notices(), "no refresh of them under way here: any later one reads the row after the notice");
        for (int i = 0; i < 1_000; i++) {
            CredentialId id = CredentialId.parse("gazelle:c" + i);
            fleet.leased(id);
            fleet.announced(id);
        }
        assertEquals(1_000, fleet.notices());
        clock.advance(kept.dividedBy(2));
        fleet.leased(ID);
        fleet.announced(ID);
        assertEquals(1_001, fleet.notices(), "younger than a refresh can take: all kept");
        clock.advance(kept.dividedBy(2).plusSeconds(1));
        CredentialId later = CredentialId.parse("gazelle:later");
        fleet.leased(later);
        fleet.announced(later);
        assertEquals(2, fleet.notices(), "those older than " + kept + " are dropped, the younger two stay");
        fleet.leaseEnded(later);
        fleet.announced(later);
        fleet.announced(CredentialId.parse("gazelle:c1"));
        assertEquals(2, fleet.notices(), "a lease over (and one never told over, after the horizon) keeps no new notice");
    }

    @Test
    void duringAClaimEveryNoticeIsKeptAndAfterItOnlyThoseOfTheRowsItLeased() {
        OutageLeases fleet = new OutageLeases(GRACE, clock, true, Duration.ofMinutes(15));
        fleet.anotherDaemonLeased();
        fleet.announced(CredentialId.parse("gazelle:before"));
        long readFrom = fleet.ticket();
        fleet.claiming();
        // The claim read its rows; a change committed since is announced before the claim marks them leased.
        fleet.announced(ID);
        fleet.announced(CredentialId.parse("gazelle:not-claimed"));
        assertEquals(2, fleet.notices());
        fleet.leased(ID);
        fleet.claimed(readFrom);
        assertEquals(1, fleet.notices(), "the claimed row's notice stays, the other one goes");
        fleet.storeDown();
        StoredCredential obtained = row(3, 3);
        fleet.spooled(Optional.of(row(2, 2)), obtained);
        assertFalse(fleet.refusalWhileDown(Optional.of(obtained)).isEmpty(), "its change after the claim's read: not this daemon's");
    }

    @Test
    void aNoticeOfACredentialSpooledHereStaysHoweverOldUntilARead() {
        Duration kept = Duration.ofMinutes(15);
        OutageLeases fleet = new OutageLeases(GRACE, clock, true, kept);
        fleet.seen(row(1, 1), row(2, 2), fleet.ticket());
        long readBeforeTheNotice = fleet.ticket();
        fleet.leased(ID);
        fleet.storeDown();
        fleet.announced(ID);
        StoredCredential obtained = row(3, 3);
        fleet.spooled(Optional.of(row(2, 2)), obtained);
        clock.advance(kept.multipliedBy(3));
        fleet.announced(CredentialId.parse("gazelle:other"));
        assertFalse(fleet.refusalWhileDown(Optional.of(obtained)).isEmpty(), "its notice is still there");
        fleet.seen(obtained, obtained, readBeforeTheNotice);
        assertFalse(fleet.refusalWhileDown(Optional.of(obtained)).isEmpty());
        fleet.seen(obtained, obtained, fleet.ticket());
        assertTrue(fleet.refusalWhileDown(Optional.of(obtained)).isEmpty(), "read again after it");
    }

    @Test
    void tooManyNoticesAtOnceAreDroppedAndThenNoSecretSpooledIsThisDaemonsForAsLongAsOneWasKept() {
        Duration kept = Duration.ofMinutes(15);
        OutageLeases fleet = new OutageLeases(GRACE, clock, true, kept);
        fleet.seen(row(1, 1), row(2, 2), fleet.ticket());
        fleet.storeDown();
        StoredCredential before = row(3, 3);
        fleet.spooled(Optional.of(row(2, 2)), before);
        fleet.announced(ID);
        fleet.claiming(); // a claim under way keeps every notice
        for (int i = 0; i <= OutageLeases.MOST_NOTICES; i++) {
            fleet.announced(CredentialId.parse("gazelle:c" + i));
        }
        assertTrue(fleet.notices() <= OutageLeases.MOST_NOTICES, fleet.notices() + " notices kept");
        assertFalse(fleet.refusalWhileDown(Optional.of(before)).isEmpty(), "the notice of a spooled credential stays");

        CredentialId other = CredentialId.parse("gazelle:c7");
        StoredCredential spooledInTheFlood = new StoredCredential(other, CredentialStatus.ACTIVE,
                SealedSecret.of(new byte[] {9}), T0, Optional.empty(), Optional.empty(), 9, Optional.of(T0),
                Optional.empty(), T0);
        fleet.spooled(Optional.empty(), spooledInTheFlood);
        assertFalse(fleet.refusalWhileDown(Optional.of(spooledInTheFlood)).isEmpty(),
                "its notice may have been dropped: not this daemon's");
        clock.advance(kept.dividedBy(2));
        for (int i = 0; i <= OutageLeases.MOST_NOTICES; i++) {
            fleet.announced(CredentialId.parse("gazelle:d" + i));
        }
        fleet.claimed(Long.MAX_VALUE);
        clock.advance(kept.dividedBy(2).plusSeconds(1));
        fleet.spooled(Optional.empty(), spooledInTheFlood);
        assertFalse(fleet.refusalWhileDown(Optional.of(spooledInTheFlood)).isEmpty(),
                "notices dropped half-way through keep the flood going for as long again");
        clock.advance(kept.dividedBy(2));
        fleet.spooled(Optional.empty(), spooledInTheFlood);
        assertTrue(fleet.refusalWhileDown(Optional.of(spooledInTheFlood)).isEmpty(),
                "once the flood is over, a secret spooled is this daemon's again");
    }

    @Test
    void rightAfterTheOutageACredentialOfAnotherDaemonWaitsForTheGraceOnTheClock() {
        anotherDaemonWrote(row(1, 1), row(2, 2));
        assertFalse(leases.inGrace(), "there was no outage");
        leases.storeDown();
        assertFalse(leases.inGrace(), "the store is still down");
        assertTrue(leases.refusalJustAfterOutage(Optional.of(row(2, 2))).isEmpty(), "not after an outage: no grace");
        clock.advance(Duration.ofMinutes(5));
        leases.storeBack();

        String refusal = leases.refusalJustAfterOutage(Optional.of(row(2, 2))).orElseThrow();
        assertTrue(refusal.startsWith("less than 4 s ago; gazelle:default is left to the daemon"), refusal);
        clock.advance(Duration.ofSeconds(3));
        leases.storeBack(); // the store answering again does not restart the grace
        clock.advance(GRACE.minusSeconds(3).minusMillis(1));
        assertTrue(leases.inGrace());
        clock.advance(Duration.ofMillis(1));
        assertFalse(leases.inGrace(), "the grace is over after " + GRACE);
        assertEquals(Optional.empty(), leases.refusalJustAfterOutage(Optional.of(row(2, 2))));
    }

    @Test
    void theDaemonThatObtainedTheSecretDuringTheOutageNeedsNoGrace() {
        StoredCredential obtained = obtainedDuringAnOutageWithAnotherDaemonAbout();
        leases.storeBack();
        assertTrue(leases.inGrace());
        assertEquals(Optional.empty(), leases.refusalJustAfterOutage(Optional.of(obtained)));
        assertTrue(leases.refusalJustAfterOutage(Optional.empty()).orElseThrow().contains("the credential is left to"));
    }
}
