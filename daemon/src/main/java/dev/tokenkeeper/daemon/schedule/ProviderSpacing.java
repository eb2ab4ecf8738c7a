package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Keeps the planned refreshes of one provider's accounts apart (some upstreams wall a burst of
 * refreshes): each plan is moved to the nearest time at least the provider's spacing away
 * from the others, earlier rather than later (a refresh a little early is harmless, a late one eats
 * the room left for retries), and later only when there is no room between now and it.
 * Thread-safe.
 */
final class ProviderSpacing {

    private static final int MAX_MOVES = 10_000;

    private final Map<String, NavigableMap<Instant, CredentialId>> slots = new HashMap<>();
    private final Map<CredentialId, Instant> slotOf = new HashMap<>();

    /**
     * @param id      the credential
     * @param desired when the planner wants it refreshed
     * @param spacing the provider's spacing (positive)
     * @param now     the current time
     * @return the time to plan it at
     */
    synchronized Instant place(CredentialId id, Instant desired, Duration spacing, Instant now) {
        forget(id);
        NavigableMap<Instant, CredentialId> provider = slots.computeIfAbsent(id.provider(), key -> new TreeMap<>());
        // Slots already past do not constrain new ones beyond one spacing.
        provider.headMap(now.minus(spacing), false).clear();
        Instant at = desired;
        for (int move = 0; move < MAX_MOVES; move++) {
            Map.Entry<Instant, CredentialId> conflict = provider.higherEntry(at.minus(spacing));
            if (conflict == null || !conflict.getKey().isBefore(at.plus(spacing))) {
                break;
            }
            at = conflict.getKey().minus(spacing);
        }
        if (at.isBefore(now) || conflicts(provider, at, spacing)) {
            at = desired.isBefore(now) ? now : desired;
            for (int move = 0; move < MAX_MOVES && conflicts(provider, at, spacing); move++) {
                at = provider.higherEntry(at.minus(spacing)).getKey().plus(spacing);
            }
        }
        while (provider.containsKey(at)) {
            at = at.plusNanos(1);
        }
        provider.put(at, id);
        slotOf.put(id, at);
        return at;
    }

    /** @param id a credential no longer planned */
    synchronized void forget(CredentialId id) {
        Instant old = slotOf.remove(id);
        if (old != null) {
            NavigableMap<Instant, CredentialId> provider = slots.get(id.provider());
            if (provider != null && id.equals(provider.get(old))) {
                provider.remove(old);
            }
        }
    }

    private static boolean conflicts(NavigableMap<Instant, CredentialId> provider, Instant at, Duration spacing) {
        Map.Entry<Instant, CredentialId> near = provider.higherEntry(at.minus(spacing));
        return near != null && near.getKey().isBefore(at.plus(spacing));
    }
}
