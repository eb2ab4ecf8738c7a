package dev.tokenkeeper.provider.vinted;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock tests move by hand; shared by {@link FakeVinted} and the provider so both agree on "now". Thread-safe. */
public final class ManualClock extends Clock {

    private final AtomicReference<Instant> now;

    /** @param start the initial time */
    public ManualClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    /** @return a clock at the current wall-clock second */
    public static ManualClock startingNow() {
        return new ManualClock(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
    }

    /**
     * @param step how far to move forward
     * @return the new time
     */
    public Instant advance(Duration step) {
        return now.updateAndGet(current -> current.plus(step));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a ManualClock is always UTC");
    }
}
