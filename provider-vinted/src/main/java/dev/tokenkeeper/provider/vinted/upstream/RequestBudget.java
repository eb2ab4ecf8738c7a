package dev.tokenkeeper.provider.vinted.upstream;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;

/**
 * At most {@code limit} upstream requests in any sliding window: Vinted's anti-bot wall starts after
 * bursts (about 20 requests in five minutes), so the provider stays well under it whatever the daemon
 * asks. Thread-safe.
 */
public final class RequestBudget {

    /** The window Vinted's burst detection is believed to use. */
    public static final Duration WINDOW = Duration.ofMinutes(5);

    private final int limit;
    private final Duration window;
    private final Clock clock;
    private final Deque<Instant> sent = new ArrayDeque<>();

    /**
     * @param limit  requests allowed per window
     * @param window the sliding window
     * @param clock  the clock
     */
    public RequestBudget(int limit, Duration window, Clock clock) {
        if (limit < 1) {
            throw new IllegalArgumentException("request budget must be at least 1, got " + limit);
        }
        this.limit = limit;
        this.window = Objects.requireNonNull(window, "window");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Takes {@code permits} slots at once, or none: a refresh reserves both its requests before sending
     * the first, so that it never spends a slot on a home page it cannot follow up.
     *
     * @param permits how many requests the caller is about to send
     * @return empty when granted; otherwise how long until that many slots are free
     */
    public synchronized Optional<Duration> tryAcquire(int permits) {
        Instant now = clock.instant();
        Instant horizon = now.minus(window);
        while (!sent.isEmpty() && !sent.peekFirst().isAfter(horizon)) {
            sent.pollFirst();
        }
        int free = limit - sent.size();
        if (permits > limit) {
            return Optional.of(window);
        }
        if (free >= permits) {
            for (int i = 0; i < permits; i++) {
                sent.addLast(now);
            }
            return Optional.empty();
        }
        // The (permits - free)-th oldest request has to leave the window first.
        Iterator<Instant> oldestFirst = sent.iterator();
        Instant frees = now;
        for (int i = 0; i < permits - free; i++) {
            frees = oldestFirst.next();
        }
        Duration wait = Duration.between(now, frees.plus(window));
        return Optional.of(wait.isNegative() || wait.isZero() ? Duration.ofMillis(1) : wait);
    }

    /**
     * Gives back slots reserved but not used (a refresh that stopped after the home page).
     *
     * @param permits how many of the caller's most recent reservations to return
     */
    public synchronized void giveBack(int permits) {
        for (int i = 0; i < permits && !sent.isEmpty(); i++) {
            sent.pollLast();
        }
    }

    /** @return requests sent within the current window */
    public synchronized int used() {
        Instant horizon = clock.instant().minus(window);
        return (int) sent.stream().filter(at -> at.isAfter(horizon)).count();
    }

    /** @return requests allowed per window */
    public int limit() {
        return limit;
    }
}
