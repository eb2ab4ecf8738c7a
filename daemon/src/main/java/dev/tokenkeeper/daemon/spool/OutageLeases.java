package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;

import org.tinylog.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides the refresh lease while the store cannot. With other daemons about, a daemon refreshes a
 * credential during an outage only when it obtained the credential's current secret during this
 * outage, that is under a store lease it took before the store went away (its commit could only go
 * to the spool). Nobody can have leased the credential since, so that daemon alone knows the newest
 * secret. Any other daemon that refreshed it too would present a refresh token that is spent or
 * about to be, and a rotating upstream counts that as a reuse.
 *
 * <p>Having written the credential last <em>before</em> the outage is not enough: another daemon
 * may have taken the lease a moment before the store went away, and its refresh may still be on the
 * way to its own spool. (A loaded test run caught exactly that: B leased a credential A had
 * refreshed, the store stopped about 130 ms later, and both spent the same refresh token.) So with several
 * daemons, credentials are not refreshed during an outage beyond the ones whose refresh was already
 * under way; consumers get the token there is, or a clear 503 once it expires. Exactly once comes
 * before availability.
 *
 * <p>A daemon that has never seen another daemon's hand in the store (no lease held by someone else,
 * no version it did not write) is alone and owns everything: a single daemon keeps refreshing
 * through an outage, the rows from before its own restart included. The price: two daemons that
 * both started moments ago and have not written yet both count as alone until the first write.
 *
 * <p>A credential the store announced as changed ({@code watch}) and that was not read again since
 * (the store went away in between) is nobody's here: another daemon may have just refreshed it.
 * Such a notice only matters for a credential whose secret this daemon spools during an outage, and
 * that secret comes from a refresh under way when the notice arrived, or later (from a secret
 * spooled before): so a notice is kept only for a credential whose store lease this daemon holds
 * (or whose claim is under way) or whose secret it spooled, while it is spooled and otherwise for a
 * bounded time (longer than any refresh can take from its read to its spooled commit), not for every
 * credential another daemon ever changed (with four daemons on a million credentials, three quarters
 * of a million entries, and in a due storm three notices per refresh that lived just long enough to
 * fill the collector's old generation). Should
 * more notices than {@link #MOST_NOTICES} fall within that time, they are dropped and for that long no
 * secret spooled counts as this daemon's: exactly once before availability.
 *
 * <p>Right after the store is back, a credential this daemon does not own is left alone for a grace
 * period, long enough for its owner to push the change it spooled meanwhile.
 */
final class OutageLeases {

    /** The most notices of other daemons' changes kept (~130 bytes each): beyond it, see {@link #flood}. */
    static final int MOST_NOTICES = 100_000;

    /** A notice of another daemon's change: its ticket, and when it came (the clock's millis). */
    private record Notice(long ticket, long atMillis) {
    }

    private final Duration grace;
    /** How long a notice is kept for a credential this daemon has not spooled: longer than any refresh. */
    private final long noticeMillis;
    private final Clock clock;
    /** When this daemon started: a row written later, not by it, was written by another daemon. */
    private final Instant startedAt;
    /**
     * Whether a row read for the first time tells of another daemon: on a store whose due queue
     * hands each daemon only the rows it claims, nothing else would. With the plan in memory the
     * start reads every row, so a first read is of a row created since (by this daemon or another,
     * which its version then shows).
     */
    private final boolean firstReadsTell;
    /** The secrets this daemon obtained during the current (or last) outage, written to its spool. */
    private final Map<CredentialId, SealedSecret> ownSecrets = new ConcurrentHashMap<>();
    /**
     * The last version this daemon wrote, per credential, while it has seen no other daemon: it only
     * tells whether one is about, so it is emptied and no longer kept once one was seen (it held an
     * entry per credential ever written).
     */
    private final Map<CredentialId, Long> ownVersions = new ConcurrentHashMap<>();
    /**
     * Credentials whose store lease this daemon took (a claim or a lease), until its refresh committed, spooled
     * or gave it back, with when (the clock's millis): only their refreshes can be under way here.
     */
    private final Map<CredentialId, Long> leased = new ConcurrentHashMap<>();
    /** Claims under way: see {@link #claiming}. */
    private final AtomicInteger claiming = new AtomicInteger();
    /** Credentials announced as changed and not read since, with the announcement (see the class comment). */
    private final Map<CredentialId, Notice> unconfirmed = new ConcurrentHashMap<>();
    /** When the next notices older than {@link #noticeMillis} are dropped. */
    private volatile long nextPruneMillis;
    /** When too many notices are looked for again (at most once a second: each look reads them all). */
    private volatile long nextFloodCheckMillis = Long.MIN_VALUE;
    /** Until when no secret spooled counts as this daemon's: notices were dropped before their time. */
    private volatile long floodUntilMillis = Long.MIN_VALUE;
    /** Announcements still to come of this daemon's own writes, per credential, on a feed that makes them. */
    private final Map<CredentialId, Integer> ownNoticesDue = new ConcurrentHashMap<>();
    /**
     * Whether the store's feed announces each of this daemon's own writes back to it. Until a feed says
     * so, none is expected: PostgreSQL's skips a store's own rows, and a store without a feed announces
     * nothing, so counting own writes there kept an entry per credential written, and the next notice of
     * another daemon's change was taken for this daemon's own.
     */
    private volatile boolean ownWritesAnnounced;
    private final AtomicLong tickets = new AtomicLong();
    private volatile boolean anotherDaemonSeen;
    private volatile boolean down;
    private volatile long backSinceMillis;
    private volatile boolean everDown;

    /**
     * @param grace how long after an outage a credential this daemon does not own is left alone
     * @param clock when the store came back, and how long ago
     */
    OutageLeases(Duration grace, Clock clock) {
        this(grace, clock, true, SpooledStore.NOTICES_KEPT);
    }

    /**
     * @param grace          how long after an outage a credential this daemon does not own is left alone
     * @param clock          when the store came back, and how long ago
     * @param firstReadsTell whether a row first read, written since the start and not here, shows another daemon
     * @param noticesKept    how long a notice of another daemon's change is kept for a credential this
     *                       daemon has not spooled: longer than a refresh can take from reading the row to
     *                       spooling its commit (lease, upstream deadline and store timeouts, generously)
     */
    OutageLeases(Duration grace, Clock clock, boolean firstReadsTell, Duration noticesKept) {
        this.grace = grace;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.firstReadsTell = firstReadsTell;
        this.noticeMillis = noticesKept.toMillis();
        this.nextPruneMillis = clock.millis() + noticeMillis / 4;
    }

    /**
     * @param after the row this daemon wrote (to the store or to its spool)
     */
    void wrote(StoredCredential after) {
        if (!anotherDaemonSeen) {
            ownVersions.put(after.id(), after.version());
            if (anotherDaemonSeen) {
                ownVersions.clear();
            }
        }
    }

    /**
     * This daemon's change went to its spool: the store is down, or the credential is already ahead of it.
     *
     * @param before the newest row known before this daemon's write, if any
     * @param after  the row this daemon spooled
     */
    synchronized void spooled(Optional<StoredCredential> before, StoredCredential after) {
        wrote(after);
        // Within a flood the notice of a change after this refresh's read may have been dropped.
        if ((before.isEmpty() || !before.get().secret().equals(after.secret())) && !flooded()) {
            ownSecrets.put(after.id(), after.secret());
        }
    }

    /**
     * @param before the row seen before, if any
     * @param row      the row the store returned now
     * @param readFrom the {@link #ticket()} taken before the read
     */
    void seen(StoredCredential before, StoredCredential row, long readFrom) {
        unconfirmed.computeIfPresent(row.id(), (id, notice) -> notice.ticket() < readFrom ? null : notice);
        boolean notOwn = !Long.valueOf(row.version()).equals(ownVersions.get(row.id()));
        // A row first read that was written after this daemon started, and not by it: on the store's due
        // queue a daemon reads only the rows it claims, so a row's earlier version is often unknown here.
        if (notOwn && (before != null ? row.version() > before.version() : firstReadsTell && row.updatedAt().isAfter(startedAt))) {
            anotherDaemon();
        }
    }

    /** @return a mark to pass to {@link #seen} for a read started now */
    long ticket() {
        return tickets.incrementAndGet();
    }

    /**
     * The store's feed is watched from now on.
     *
     * @param announcesOwn whether it announces each change made through this daemon's store, once
     *                     ({@link dev.tokenkeeper.api.store.ChangeFeed#announcesOwnChanges})
     */
    void watched(boolean announcesOwn) {
        ownWritesAnnounced = announcesOwn;
    }

    /**
     * The store announced a change of the credential: until a read made after this returns, this
     * daemon's row of it may be stale (the store may go away between the notice and the read).
     *
     * @param id the credential
     */
    void announced(CredentialId id) {
        // The store announces commits in their order: this daemon's own writes come as announced.
        Integer[] own = new Integer[1];
        if (ownWritesAnnounced) {
            ownNoticesDue.computeIfPresent(id, (key, due) -> {
                own[0] = due;
                return due > 1 ? due - 1 : null;
            });
        }
        if (own[0] != null) {
            return;
        }
        long now = clock.millis();
        // A notice matters only for a refresh under way here (its lease taken) or a secret spooled here:
        // any other refresh reads the row after the notice (four daemons otherwise kept three quarters of
        // a storm's credentials, each entry living just long enough to be copied into the old generation).
        if (leased.containsKey(id) || ownSecrets.containsKey(id) || claiming.get() > 0) {
            unconfirmed.put(id, new Notice(tickets.incrementAndGet(), now));
        }
        if (now >= nextPruneMillis || now >= nextFloodCheckMillis && unconfirmed.size() > MOST_NOTICES) {
            prune(now);
        }
    }

    /**
     * This daemon took the credential's store lease (a claim or a lease): a refresh of it may be under way.
     *
     * @param id the credential
     */
    void leased(CredentialId id) {
        leased.put(id, clock.millis());
    }

    /**
     * The refresh of a leased credential ended: committed, spooled, or its lease given back.
     *
     * @param id the credential
     */
    void leaseEnded(CredentialId id) {
        leased.remove(id);
    }

    /**
     * A claim of due rows starts: its rows are read before they can be marked {@link #leased}, so until it
     * {@link #claimed ended} every notice is kept.
     */
    void claiming() {
        claiming.incrementAndGet();
    }

    /**
     * The claim started with {@link #claiming} ended and its rows are marked {@link #leased}: the notices
     * that came meanwhile of credentials neither leased nor spooled here are dropped.
     *
     * @param readFrom the {@link #ticket()} taken before the claim
     */
    void claimed(long readFrom) {
        if (claiming.decrementAndGet() == 0) {
            unconfirmed.entrySet().removeIf(entry -> entry.getValue().ticket() > readFrom
                    && !leased.containsKey(entry.getKey()) && !ownSecrets.containsKey(entry.getKey()));
        }
    }

    /**
     * Drops the notices that can no longer matter: older than {@link #noticeMillis}, of a credential this
     * daemon has not spooled. Still too many: all but those of spooled credentials, and a flood begins.
     */
    private synchronized void prune(long now) {
        if (now >= nextPruneMillis) {
            nextPruneMillis = now + noticeMillis / 4;
            long oldest = now - noticeMillis;
            unconfirmed.entrySet().removeIf(entry -> entry.getValue().atMillis() < oldest
                    && !ownSecrets.containsKey(entry.getKey()));
            // A lease whose end was never told (a refresh that failed past its commit) is long over by now.
            leased.values().removeIf(at -> at < oldest);
        }
        if (now >= nextFloodCheckMillis && unconfirmed.size() > MOST_NOTICES) {
            nextFloodCheckMillis = now + 1_000;
            flood(now);
        }
    }

    /**
     * More changes of other daemons than can be followed one by one: for as long as a notice is kept
     * after the last one dropped, a secret spooled does not make its credential this daemon's (the
     * notice of a change after its read may be among those dropped now); the notices of the
     * credentials already spooled stay.
     */
    private void flood(long now) {
        boolean began = !flooded();
        floodUntilMillis = now + noticeMillis;
        unconfirmed.keySet().retainAll(ownSecrets.keySet());
        if (began) {
            Logger.warn("other daemons changed more than {} credentials within {} s: until {}, a credential refreshed here"
                    + " while the store is down is not refreshed again before the store answers", MOST_NOTICES,
                    noticeMillis / 1000, Instant.ofEpochMilli(floodUntilMillis));
        }
    }

    private boolean flooded() {
        return clock.millis() < floodUntilMillis;
    }

    /** @return how many notices of other daemons' changes are kept (tests) */
    int notices() {
        return unconfirmed.size();
    }

    /**
     * This daemon is about to write the credential to the store: the announcement that follows, on a
     * feed that announces own writes, is its own.
     *
     * @param id the credential
     */
    void writing(CredentialId id) {
        if (ownWritesAnnounced) {
            ownNoticesDue.merge(id, 1, Integer::sum);
        }
    }

    /**
     * The write announced by {@link #writing} did not happen.
     *
     * @param id the credential
     */
    void notWritten(CredentialId id) {
        ownNoticesDue.computeIfPresent(id, (key, due) -> due > 1 ? due - 1 : null);
    }

    /** Announcements may have been missed (the store's notification connection was lost): count none as own. */
    void announcementsMissed() {
        ownNoticesDue.clear();
    }

    void anotherDaemonLeased() {
        anotherDaemon();
    }

    /** @return how many entries of this daemon's own writes are kept: versions and notices still due (tests) */
    int remembered() {
        return ownVersions.size() + ownNoticesDue.size();
    }

    private void anotherDaemon() {
        anotherDaemonSeen = true;
        ownVersions.clear();
    }

    void storeDown() {
        if (!down) {
            // A new outage: what this daemon obtained in an earlier one may have been refreshed by others since.
            ownSecrets.clear();
        }
        down = true;
        everDown = true;
    }

    void storeBack() {
        if (down) {
            down = false;
            backSinceMillis = clock.millis();
        }
    }

    /**
     * @param known the newest row this daemon knows of
     * @return why this daemon must not refresh the credential while the store is down, if it must not
     */
    Optional<String> refusalWhileDown(Optional<StoredCredential> known) {
        if (owns(known)) {
            return Optional.empty();
        }
        return Optional.of(describe(known) + " may be refreshed by another daemon meanwhile (it was not refreshed "
                + "here during this outage); this daemon serves the token it has and refreshes it once the store answers");
    }

    /**
     * @param known the newest row this daemon knows of
     * @return why this daemon must not refresh the credential yet although the store is back, if it must not
     */
    Optional<String> refusalJustAfterOutage(Optional<StoredCredential> known) {
        if (!inGrace() || owns(known)) {
            return Optional.empty();
        }
        return Optional.of("less than " + grace.toSeconds() + " s ago; " + describe(known) + " is left to the daemon "
                + "that refreshed it during the outage until that one has pushed its change");
    }

    /** @return whether the store came back after an outage less than the grace period ago */
    boolean inGrace() {
        return everDown && !down && clock.millis() - backSinceMillis < grace.toMillis();
    }

    private boolean owns(Optional<StoredCredential> known) {
        if (!anotherDaemonSeen) {
            return true;
        }
        return known.isPresent() && !unconfirmed.containsKey(known.get().id())
                && known.get().secret().equals(ownSecrets.get(known.get().id()));
    }

    private static String describe(Optional<StoredCredential> known) {
        return known.map(c -> c.id().toString()).orElse("the credential");
    }
}
