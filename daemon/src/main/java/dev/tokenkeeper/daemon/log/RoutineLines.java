package dev.tokenkeeper.daemon.log;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.tinylog.Logger;
import org.tinylog.Supplier;

/**
 * Keeps lines about things that went as planned (a refresh committed) from flooding the journal: at
 * most {@code perMinute} of them a minute are written at info; past that each is written at debug
 * only, and the first one of a later minute is preceded by one info line saying how many were left
 * out. journald drops every line of a unit past 10,000 in 30 s by default ({@code RateLimitBurst}),
 * warnings and errors included, and a due storm of a large store reaches that in seconds: the lines
 * that need a human must not be lost to the ones that do not. Warnings and errors never pass here.
 */
public final class RoutineLines {

    private static final long MINUTE_MILLIS = 60_000;

    /** Where the lines go: tinylog, or a test's list. */
    interface Out {
        void info(String line);

        void debug(Supplier<String> line);
    }

    private static final Out TINYLOG = new Out() {
        @Override
        public void info(String line) {
            Logger.info(line);
        }

        @Override
        public void debug(Supplier<String> line) {
            Logger.debug(line);
        }
    };

    private final Clock clock;
    private final int perMinute;
    private final Out out;
    private final AtomicLong minuteStart;
    private final AtomicInteger written = new AtomicInteger();
    private final AtomicInteger leftOut = new AtomicInteger();

    /**
     * @param clock     the time
     * @param perMinute routine lines written at info per minute
     */
    public RoutineLines(Clock clock, int perMinute) {
        this(clock, perMinute, TINYLOG);
    }

    RoutineLines(Clock clock, int perMinute, Out out) {
        if (perMinute < 0) {
            throw new IllegalArgumentException("lines per minute must not be negative: " + perMinute);
        }
        this.clock = clock;
        this.perMinute = perMinute;
        this.out = out;
        this.minuteStart = new AtomicLong(clock.millis());
    }

    /**
     * Writes a routine line: at info while this minute's share lasts, else at debug. The message is
     * built only when it is written.
     *
     * @param message the line
     */
    public void log(Supplier<String> message) {
        long now = clock.millis();
        long start = minuteStart.get();
        if (now - start >= MINUTE_MILLIS && minuteStart.compareAndSet(start, now)) {
            int left = leftOut.getAndSet(0);
            written.set(0);
            if (left > 0) {
                out.info(left + " more routine line" + (left == 1 ? "" : "s") + " in the last " + (now - start) / 1000
                        + " s went to debug only (at most " + perMinute + " a minute at info;"
                        + " TOKENKEEPER_LOG_LEVEL=debug shows each)");
            }
        }
        if (written.incrementAndGet() <= perMinute) {
            out.info(message.get());
        } else {
            leftOut.incrementAndGet();
            out.debug(message);
        }
    }
}
