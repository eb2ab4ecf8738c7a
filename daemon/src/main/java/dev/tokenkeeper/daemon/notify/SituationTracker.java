package dev.tokenkeeper.daemon.notify;

import dev.tokenkeeper.daemon.plugin.Renewal;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.StoredCredential;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Decides when a credential's situation changed enough to tell a human: one event per change,
 * never one per attempt. It remembers, per credential, the last event raised, when transient
 * failures began, and whether the refresh-token chain has a fixed end (its end did not move
 * through a refresh); that memory is persisted so a restart does not raise an event again.
 */
public final class SituationTracker {

    /** Two ends within this are the same end (the upstream counts in whole seconds). */
    private static final Duration SAME_END = Duration.ofSeconds(2);

    /**
     * When to speak up.
     *
     * @param failingAfter  transient failures for longer than this raise {@code failing}
     * @param expiringFirst a fixed chain end closer than this raises the first {@code expiring} (7 days)
     * @param expiringLast  closer than this, the second (1 day)
     */
    public record Thresholds(Duration failingAfter, Duration expiringFirst, Duration expiringLast) {
    }

    /**
     * What is remembered of one credential (nullable fields keep the state file plain).
     *
     * @param lastEvent     the wire name of the last event raised, or null
     * @param expiringStage 0, 1 (first threshold raised) or 2 (second raised) for the current chain
     * @param failingSince  when the current run of transient failures began, or null
     * @param chainEnd      the refresh-token end seen at the last refresh, or null
     * @param lastRefreshAt the last refresh seen, or null
     * @param fixedEnd      true when the last refresh left the chain's end where it was
     */
    public record Memory(String lastEvent, int expiringStage, Instant failingSince, Instant chainEnd, Instant lastRefreshAt,
                         boolean fixedEnd) {
        static final Memory NONE = new Memory(null, 0, null, null, null, false);
    }

    private final Thresholds thresholds;
    private final String host;
    private final Map<CredentialId, Memory> memories = new HashMap<>();
    private final Function<String, Set<String>> importForms;
    private final Predicate<StoredCredential> untilExpiry;
    private boolean dirty;

    /**
     * @param thresholds when to speak up
     * @param host       the daemon's host name, for the events
     * @param remembered the persisted memory
     */
    public SituationTracker(Thresholds thresholds, String host, Map<CredentialId, Memory> remembered) {
        this(thresholds, host, remembered, provider -> Set.of());
    }

    /**
     * @param thresholds  when to speak up
     * @param host        the daemon's host name, for the events
     * @param remembered  the persisted memory
     * @param importForms the import forms of each provider, for the command that renews a credential
     */
    public SituationTracker(Thresholds thresholds, String host, Map<CredentialId, Memory> remembered,
                            Function<String, Set<String>> importForms) {
        this(thresholds, host, remembered, importForms, credential -> false);
    }

    /**
     * @param thresholds  when to speak up
     * @param host        the daemon's host name, for the events
     * @param remembered  the persisted memory
     * @param importForms the import forms of each provider, for the command that renews a credential
     * @param untilExpiry whether a credential's secret cannot refresh: its end is fixed from the import on
     */
    public SituationTracker(Thresholds thresholds, String host, Map<CredentialId, Memory> remembered,
                            Function<String, Set<String>> importForms, Predicate<StoredCredential> untilExpiry) {
        this.untilExpiry = untilExpiry;
        this.importForms = importForms;
        this.thresholds = thresholds;
        this.host = host;
        this.memories.putAll(remembered);
    }

    /** @param remembered what a previous run remembered, read from the state file at start */
    synchronized void remember(Map<CredentialId, Memory> remembered) {
        memories.putAll(remembered);
    }

    /**
     * Looks at a credential as committed (after every change, and periodically).
     *
     * @param credential the credential
     * @param now        the time
     * @return the event to send, when its situation changed
     */
    public synchronized Optional<Notification> observe(StoredCredential credential, Instant now) {
        Memory before = memories.getOrDefault(credential.id(), Memory.NONE);
        Instant lastRefresh = credential.lastRefreshAt().orElse(null);
        // A secret that cannot refresh ends when its access token does: a fixed end from the import on.
        boolean cannotRefresh = untilExpiry.test(credential);
        Instant end = credential.refreshExpiresAt().or(() -> cannotRefresh ? credential.accessExpiresAt() : Optional.empty())
                .orElse(null);
        boolean fixedEnd = before.fixedEnd();
        int stage = before.expiringStage();
        Instant chainEnd = before.chainEnd();
        if (!Objects.equals(lastRefresh, before.lastRefreshAt())) {
            if (end == null || chainEnd == null || before.lastRefreshAt() == null || lastRefresh == null) {
                fixedEnd = false;
                stage = end != null && chainEnd != null && Duration.between(chainEnd, end).abs().compareTo(SAME_END) <= 0
                        ? stage : 0;
            } else {
                Duration moved = Duration.between(chainEnd, end);
                Duration elapsed = Duration.between(before.lastRefreshAt(), lastRefresh);
                // A renewing chain moves its end by about the time between the refreshes; two refreshes
                // too close together to tell that from rounding say nothing new.
                if (elapsed.dividedBy(2).compareTo(SAME_END) > 0) {
                    fixedEnd = moved.compareTo(elapsed.dividedBy(2)) <= 0;
                }
                if (moved.abs().compareTo(SAME_END) > 0) {
                    stage = 0;
                }
            }
            chainEnd = end;
        }
        Instant failingSince = credential.status() == CredentialStatus.ACTIVE && credential.lastError().isPresent()
                ? Optional.ofNullable(before.failingSince()).orElse(now) : null;

        boolean fixed = fixedEnd || cannotRefresh;
        EventKind situation = null;
        int newStage = stage;
        boolean healthy = false;
        switch (credential.status()) {
            case REQUIRES_CONFIGURATION, ERROR -> situation = EventKind.REQUIRES_CONFIGURATION;
            case EXPIRED -> situation = EventKind.EXPIRED;
            case ACTIVE -> {
                Duration left = end == null ? null : Duration.between(now, end);
                if (failingSince != null) {
                    if (Duration.between(failingSince, now).compareTo(thresholds.failingAfter()) >= 0) {
                        situation = EventKind.FAILING;
                    }
                } else if (fixed && left != null && left.compareTo(thresholds.expiringLast()) <= 0) {
                    situation = EventKind.EXPIRING;
                    newStage = 2;
                } else if (fixed && left != null && left.compareTo(thresholds.expiringFirst()) <= 0) {
                    situation = EventKind.EXPIRING;
                    newStage = Math.max(stage, 1);
                } else {
                    healthy = true;
                }
            }
            default -> throw new IllegalStateException("unknown status " + credential.status());
        }

        EventKind last = before.lastEvent() == null ? null : EventKind.fromWire(before.lastEvent());
        EventKind raise = null;
        if (healthy) {
            if (last != null && last.isProblem()) {
                raise = EventKind.RECOVERED;
            }
        } else if (situation == EventKind.EXPIRING) {
            // Each threshold once per chain, whatever happened in between.
            raise = newStage > stage ? EventKind.EXPIRING : null;
        } else if (situation != null && situation != last) {
            raise = situation;
        }
        Memory after = new Memory(raise == null ? before.lastEvent() : raise.wireName(),
                situation == EventKind.EXPIRING ? newStage : stage, failingSince, chainEnd, lastRefresh, fixedEnd);
        memories.put(credential.id(), after);
        // Worth persisting: what decides the next event. The refresh times alone change on every refresh.
        dirty |= !Objects.equals(after.lastEvent(), before.lastEvent()) || after.expiringStage() != before.expiringStage()
                || (after.failingSince() == null) != (before.failingSince() == null) || after.fixedEnd() != before.fixedEnd();
        if (raise == null) {
            return Optional.empty();
        }
        Instant since = failingSince;
        return Optional.of(event(raise, credential, now, since, cannotRefresh));
    }

    /**
     * The {@code requires_configuration} event for a credential that needed a human before and still
     * does, for a new reason.
     *
     * @param credential the credential, needing a human
     * @param now        the time
     * @return the event to send
     */
    public synchronized Notification again(StoredCredential credential, Instant now) {
        return observe(credential, now).orElseGet(() -> event(EventKind.REQUIRES_CONFIGURATION, credential, now, null,
                untilExpiry.test(credential)));
    }

    /** @return true once after the memory changed in a way worth persisting */
    public synchronized boolean takeDirty() {
        boolean was = dirty;
        dirty = false;
        return was;
    }

    /** @param id a deleted credential, forgotten */
    public synchronized void forget(CredentialId id) {
        memories.remove(id);
    }

    /** @return a copy of the memory, for persisting */
    public synchronized Map<CredentialId, Memory> snapshot() {
        return Map.copyOf(memories);
    }

    /**
     * @param at the time
     * @return a test event
     */
    public Notification test(Instant at) {
        return new Notification(UUID.randomUUID().toString(), EventKind.TEST, "", "", "", "", "test",
                Optional.empty(), Optional.empty(), Optional.empty(), at, host,
                "tokenkeeper on " + host + ": test notification; this channel works");
    }

    private Notification event(EventKind kind, StoredCredential credential, Instant now, Instant failingSince,
                               boolean cannotRefresh) {
        CredentialId id = credential.id();
        String reason = credential.lastError().orElse(switch (kind) {
            case EXPIRING -> cannotRefresh ? "no refresh token: it cannot be refreshed"
                    : "the refresh token cannot be renewed by refreshing";
            case RECOVERED -> "active again";
            default -> credential.status().wireName();
        });
        Optional<String> command = kind == EventKind.REQUIRES_CONFIGURATION || kind == EventKind.EXPIRING
                || kind == EventKind.EXPIRED && cannotRefresh
                ? Optional.of(cannotRefresh && credential.status() != CredentialStatus.ERROR
                        ? Renewal.untilExpiryCommand(id, importForms.apply(id.provider())) : command(credential))
                : Optional.empty();
        String prefix = "tokenkeeper on " + host + ": " + id;
        String text = switch (kind) {
            case REQUIRES_CONFIGURATION -> prefix + " needs a human: " + reason + ". Run: " + command.get();
            case EXPIRED -> cannotRefresh
                    ? prefix + ": the access token expired" + credential.accessExpiresAt().map(at -> " at " + at).orElse("")
                    + " and it has no refresh token. Run: " + command.get()
                    : prefix + ": the access token expired"
                    + credential.accessExpiresAt().map(at -> " at " + at).orElse("") + " and refreshing keeps failing: " + reason;
            case FAILING -> prefix + ": refreshes have failed since " + failingSince + " (" + reason + "); the token is still"
                    + " served" + credential.accessExpiresAt().map(at -> ", valid until " + at).orElse("");
            case EXPIRING -> cannotRefresh
                    ? prefix + ": it has no refresh token and its access token ends at " + credential.refreshExpiresAt()
                    .map(Instant::toString).orElse("?") + " (in " + human(credential.refreshExpiresAt()
                    .map(end -> Duration.between(now, end)).orElse(Duration.ZERO)) + "). Before then, run: " + command.get()
                    : prefix + ": its refresh token ends at " + credential.refreshExpiresAt().map(Instant::toString)
                    .orElse("?") + " (in " + human(credential.refreshExpiresAt().map(end -> Duration.between(now, end))
                    .orElse(Duration.ZERO)) + ") and refreshing cannot renew it. Before then, run: " + command.get();
            case RECOVERED -> prefix + " is active again";
            case TEST -> prefix + ": test";
        };
        return new Notification(UUID.randomUUID().toString(), kind, id.toString(), id.provider(), id.account(),
                credential.status().wireName(), reason, command, credential.accessExpiresAt(), credential.refreshExpiresAt(),
                now, host, text);
    }

    /** The exact command that gives the credential a new secret. */
    private String command(StoredCredential credential) {
        CredentialId id = credential.id();
        if (credential.status() == CredentialStatus.ERROR) {
            return "tokenkeeper doctor";
        }
        return Renewal.command(id, importForms.apply(id.provider()));
    }

    private static String human(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        if (seconds >= 2 * 86400) {
            return seconds / 86400 + " days";
        }
        if (seconds >= 2 * 3600) {
            return seconds / 3600 + " hours";
        }
        if (seconds >= 120) {
            return seconds / 60 + " minutes";
        }
        return seconds + " seconds";
    }
}
