package dev.tokenkeeper.daemon.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console's logged-in sessions, kept in memory only (a restart logs everyone out). A session
 * ends after {@link #IDLE} without a request or {@link #LIFETIME} in all; ids and CSRF tokens are 256
 * random bits. At most {@link #MAX_SESSIONS} live at once, so a flood of logins cannot grow the heap.
 */
final class ConsoleSessions {

    static final Duration IDLE = Duration.ofMinutes(30);
    static final Duration LIFETIME = Duration.ofHours(12);
    static final int MAX_SESSIONS = 256;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** One login: its CSRF token and when it ends. */
    record Session(String id, String csrf, Instant started, Instant lastSeen) {
        /** @return true when {@code presented} is this session's CSRF token (constant time) */
        boolean csrfMatches(String presented) {
            return presented != null && MessageDigest.isEqual(csrf.getBytes(StandardCharsets.UTF_8),
                    presented.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return "Session[hidden, started " + started + "]";
        }
    }

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    /** One message per session for the page after a POST (post/redirect/get). */
    private final Map<String, String> flashes = new ConcurrentHashMap<>();
    private final Clock clock;

    ConsoleSessions(Clock clock) {
        this.clock = clock;
    }

    /** @return a new session (the oldest is dropped when there are too many) */
    Session create() {
        Instant now = clock.instant();
        sweep(now);
        while (sessions.size() >= MAX_SESSIONS) {
            sessions.values().stream().min(Comparator.comparing(Session::lastSeen))
                    .ifPresent(oldest -> remove(oldest.id()));
        }
        Session session = new Session(random(), random(), now, now);
        sessions.put(session.id(), session);
        return session;
    }

    /** @return the live session with this id, its idle time reset; empty when unknown or ended */
    Optional<Session> find(String id) {
        if (id == null || id.isEmpty()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Session found = sessions.computeIfPresent(id, (key, s) -> expired(s, now) ? null
                : new Session(s.id(), s.csrf(), s.started(), now));
        return Optional.ofNullable(found);
    }

    void remove(String id) {
        if (id != null) {
            sessions.remove(id);
            flashes.remove(id);
        }
    }

    void flash(Session session, String message) {
        flashes.put(session.id(), message);
    }

    Optional<String> takeFlash(Session session) {
        return Optional.ofNullable(flashes.remove(session.id()));
    }

    int size() {
        return sessions.size();
    }

    private void sweep(Instant now) {
        sessions.values().removeIf(s -> expired(s, now));
        flashes.keySet().retainAll(sessions.keySet());
    }

    private static boolean expired(Session s, Instant now) {
        return now.isAfter(s.lastSeen().plus(IDLE)) || now.isAfter(s.started().plus(LIFETIME));
    }

    static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
