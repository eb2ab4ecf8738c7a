package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.http.OnFirstUse;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread that aborts exchanges past their deadline. A blocking read is bounded by the socket
 * timeout only per read; a body that trickles a byte at a time needs someone else to end it.
 *
 * <p>Deadlines are seconds long and nearly every one is disarmed long before it is due, so the thread
 * looks at the armed ones every {@link #TICK} (a deadline fires up to one tick late) while any is armed,
 * and sleeps while none is. Arming and disarming join and leave a set: a task scheduled and cancelled on
 * a timer's queue per exchange cost a due storm about 3 µs per refresh (issue 26).
 */
final class Deadlines {

    /** How often the armed deadlines are looked at. */
    static final Duration TICK = Duration.ofMillis(50);

    /** The deadlines every {@link UpstreamClient} shares; the thread starts with the first exchange. */
    static final Deadlines SHARED = new Deadlines();

    private final Set<Deadline> armed = ConcurrentHashMap.newKeySet();
    private final OnFirstUse<Thread> watcher = new OnFirstUse<>(this::startWatcher);
    /** Set by the watcher before it sleeps for want of deadlines; {@link #arm} wakes it. */
    private volatile boolean sleeping;

    /** A deadline armed for one exchange. */
    interface Armed {
        /** The exchange is over: the deadline no longer applies. */
        void disarm();
    }

    private final class Deadline implements Armed {
        private final Runnable abort;
        private final long dueNanos;

        Deadline(Runnable abort, long dueNanos) {
            this.abort = abort;
            this.dueNanos = dueNanos;
        }

        @Override
        public void disarm() {
            armed.remove(this);
        }
    }

    /**
     * @param abort what ends the exchange (run on the deadlines' thread, so quickly: it closes a socket)
     * @param after how long the exchange may take
     * @return the armed deadline, to disarm when the exchange is over
     */
    Armed arm(Runnable abort, Duration after) {
        Deadline deadline = new Deadline(abort, System.nanoTime() + after.toNanos());
        armed.add(deadline);
        Thread thread = watcher.get();
        if (sleeping) {
            LockSupport.unpark(thread);
        }
        return deadline;
    }

    private Thread startWatcher() {
        Thread thread = new Thread(this::watch, "gazelle-deadlines");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void watch() {
        while (true) {
            if (armed.isEmpty()) {
                sleeping = true;
                // Armed after the flag was set: arm() sees it and wakes this thread, or this look sees the deadline.
                if (armed.isEmpty()) {
                    LockSupport.park(this);
                }
                sleeping = false;
                continue;
            }
            LockSupport.parkNanos(this, TICK.toNanos());
            long now = System.nanoTime();
            for (Deadline deadline : armed) {
                if (now - deadline.dueNanos >= 0 && armed.remove(deadline)) {
                    abort(deadline);
                }
            }
        }
    }

    private static void abort(Deadline deadline) {
        try {
            deadline.abort.run();
        } catch (RuntimeException e) {
            // An abort closes a socket; one that fails leaves nothing to do, and the watcher must go on.
        }
    }

    /** @return how many deadlines are armed (tests) */
    int armedCount() {
        return armed.size();
    }
}
