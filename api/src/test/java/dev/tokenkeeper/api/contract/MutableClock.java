package dev.tokenkeeper.api.contract;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A UTC clock that tests move by hand; shared by several stores like one wall clock by several daemons. */
public final class MutableClock extends Clock {

    private final AtomicReference<Instant> now;

    /** @param start the first instant the clock shows */
    public MutableClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    /** @return a clock at the current wall-clock second */
    public static MutableClock startingNow() {
        return new MutableClock(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
    }

    /**
     * @param step how far to move the clock forward
     * @return the new time
     */
    public Instant advance(Duration step) {
        return now.updateAndGet(instant -> instant.plus(step));
    }

    /**
     * @param instant what the clock shows from now on
     */
    public void setTo(Instant instant) {
        now.set(instant);
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
        throw new UnsupportedOperationException("tests use UTC");
    }
}
