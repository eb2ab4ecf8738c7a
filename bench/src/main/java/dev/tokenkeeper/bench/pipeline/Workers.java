package dev.tokenkeeper.bench.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/** Runs {@code count} tasks on a fixed number of threads, each thread taking the next index. */
public final class Workers {

    private Workers() {
    }

    /**
     * @param count   tasks
     * @param threads threads
     * @param task    the task of each index
     * @return tasks per second over the whole run
     * @throws InterruptedException when interrupted
     */
    public static double perSecond(int count, int threads, IntConsumer task) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    for (int i = next.getAndIncrement(); i < count && failure.get() == null; i = next.getAndIncrement()) {
                        task.accept(i);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-worker-" + t);
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
        long took = System.nanoTime() - start;
        if (failure.get() != null) {
            throw new IllegalStateException("a benchmark task failed: " + failure.get(), failure.get());
        }
        return count / (took / 1e9);
    }
}
