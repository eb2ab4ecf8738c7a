package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.http.OnFirstUse;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One timer thread that aborts exchanges past their deadline. A blocking read is bounded by the socket
 * timeout only per read; a body that trickles a byte at a time needs someone else to end it.
 */
final class Deadlines {

    /** The timer every {@link UpstreamClient} shares; its thread starts with the first exchange. */
    static final Deadlines SHARED = new Deadlines();

    private final OnFirstUse<ScheduledThreadPoolExecutor> timer = new OnFirstUse<>(Deadlines::startTimer);

    /** A deadline armed for one exchange. */
    interface Armed {
        /** The exchange is over: the deadline no longer applies. */
        void disarm();
    }

    /**
     * @param abort what ends the exchange
     * @param after how long the exchange may take
     * @return the armed deadline, to disarm when the exchange is over
     */
    Armed arm(Runnable abort, Duration after) {
        ScheduledFuture<?> pending = timer.get().schedule(abort, after.toNanos(), TimeUnit.NANOSECONDS);
        return () -> pending.cancel(false);
    }

    private static ScheduledThreadPoolExecutor startTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "gazelle-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        // Nearly every deadline is disarmed long before it is due: keep the queue to the live ones.
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
