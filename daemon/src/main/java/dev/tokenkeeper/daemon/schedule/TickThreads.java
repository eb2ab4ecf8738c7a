package dev.tokenkeeper.daemon.schedule;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.quartz.spi.ThreadPool;
import org.tinylog.Logger;

/**
 * The threads Quartz runs the scheduler's ticks on: a fixed {@link ThreadPoolExecutor} behind
 * Quartz's thread-pool interface, instead of Quartz's {@code SimpleThreadPool}. That pool hands a
 * job to a worker thread by setting a field the worker reads in its loop; a worker that had not yet
 * run its first loop when the pool was shut down ends without running the job handed to it and is
 * never taken off the busy list, and {@code shutdown(true)} then waits for it forever (a daemon
 * started and at once stopped, under load, hung so). An executor runs what it accepted, and its wait
 * at shutdown has a bound. (Public only because Quartz names the scheduler to its pool by reflection.)
 */
public final class TickThreads implements ThreadPool {

    private final int size;
    private final Duration stopWait;
    private final ThreadPoolExecutor threads;
    private final Object lock = new Object();
    private int free;
    private boolean shutDown;

    /**
     * @param size     the threads (Quartz hands out at most this many jobs at once)
     * @param prefix   the threads' names' prefix
     * @param stopWait how long {@code shutdown(true)} waits for running jobs
     */
    TickThreads(int size, String prefix, Duration stopWait) {
        this.size = size;
        this.free = size;
        this.stopWait = stopWait;
        AtomicInteger count = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(size, size, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public boolean runInThread(Runnable job) {
        synchronized (lock) {
            awaitAThread();
            if (shutDown) {
                // A tick Quartz had taken when the stop began is dropped: there is nothing left for it
                // to dispatch to. (False would make Quartz log an error and mark the trigger failed.)
                return true;
            }
            free--;
        }
        try {
            threads.execute(() -> {
                try {
                    job.run();
                } finally {
                    release();
                }
            });
            return true;
        } catch (RejectedExecutionException stopped) {
            // Shut down meanwhile: dropped as above.
            release();
            return true;
        }
    }

    @Override
    public int blockForAvailableThreads() {
        synchronized (lock) {
            awaitAThread();
            return free;
        }
    }

    /** Called holding {@code lock}: returns once a thread is free or the pool stopped. */
    private void awaitAThread() {
        boolean interrupted = false;
        while (free == 0 && !shutDown) {
            try {
                // Woken by release() or shutdown(): a running tick ends within its own bounds.
                lock.wait(500);
            } catch (InterruptedException e) {
                // Waited on still (an interrupted wait would return at once and spin); the flag is kept.
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void release() {
        synchronized (lock) {
            free++;
            lock.notifyAll();
        }
    }

    @Override
    public void initialize() {
        threads.prestartAllCoreThreads();
    }

    @Override
    public void shutdown(boolean waitForJobsToComplete) {
        synchronized (lock) {
            shutDown = true;
            lock.notifyAll();
        }
        threads.shutdown();
        if (!waitForJobsToComplete) {
            return;
        }
        try {
            if (!threads.awaitTermination(stopWait.toMillis(), TimeUnit.MILLISECONDS)) {
                Logger.warn("the scheduler's ticks still running after {} s; stopping without them", stopWait.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public int getPoolSize() {
        return size;
    }

    @Override
    public void setInstanceId(String id) {
        // The threads' names say whose they are.
    }

    @Override
    public void setInstanceName(String name) {
        // The threads' names say whose they are.
    }
}
