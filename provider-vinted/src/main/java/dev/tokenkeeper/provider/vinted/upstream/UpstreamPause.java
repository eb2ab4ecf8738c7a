package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.api.FailureKind;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A provider-wide "leave Vinted alone until ...": set when Vinted answers with its anti-bot wall or
 * asks us to slow down, so that the other sessions of the provider do not walk into the wall too.
 * Thread-safe.
 */
public final class UpstreamPause {

    /**
     * A pause in force.
     *
     * @param kind      why: {@link FailureKind#BLOCKED} or {@link FailureKind#RATE_LIMITED}
     * @param remaining how long it still lasts
     */
    public record Held(FailureKind kind, Duration remaining) {
    }

    private final Clock clock;
    private Instant until = Instant.EPOCH;
    private FailureKind kind = FailureKind.BLOCKED;

    /** @param clock the clock */
    public UpstreamPause(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Extends the pause to at least {@code duration} from now.
     *
     * @param why      the failure that asks for it
     * @param duration how long to leave Vinted alone
     */
    public synchronized void pauseFor(FailureKind why, Duration duration) {
        Instant end = clock.instant().plus(duration);
        if (end.isAfter(until)) {
            until = end;
            kind = why;
        }
    }

    /** @return the pause in force, or empty when requests may be sent */
    public synchronized Optional<Held> current() {
        Duration left = Duration.between(clock.instant(), until);
        return left.isNegative() || left.isZero() ? Optional.empty() : Optional.of(new Held(kind, left));
    }
}
