package dev.tokenkeeper.provider.gazelle.http;

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

    private volatile ScheduledThreadPoolExecutor timer;

    /** A deadline armed for one exchange; closing it disarms it. */
    interface Armed extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * @param abort what ends the exchange
     * @param after how long the exchange may take
     * @return the armed deadline, to close when the exchange is over
     */
    Armed arm(Runnable abort, Duration after) {
        ScheduledFuture<?> pending = timer().schedule(abort, after.toNanos(), TimeUnit.NANOSECONDS);
        return () -> pending.cancel(false);
    }

    private ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor built = timer;
        if (built == null) {
            synchronized (this) {
                built = timer;
                if (built == null) {
                    built = new ScheduledThreadPoolExecutor(1, runnable -> {
                        Thread thread = new Thread(runnable, "gazelle-deadlines");
                        thread.setDaemon(true);
                        return thread;
                    });
                    // Nearly every deadline is disarmed long before it is due: keep the queue to the live ones.
                    built.setRemoveOnCancelPolicy(true);
                    timer = built;
                }
            }
        }
        return built;
    }
}
