package dev.tokenkeeper.daemon.assembly;

/**
 * The JDK's common pool as the daemon's process needs it. On one or two CPUs the pool has a
 * parallelism of 1, and then every {@code CompletableFuture} stage with no executor of its own runs
 * on a new thread. The JDK's {@code HttpClient.sendAsync} (which {@code CappedBody} uses for its one
 * deadline over a whole exchange) hands each answer to such a stage: a thread started and ended per
 * upstream call (20,000 in a storm of 20,000 refreshes, where one daemon then did 603 refreshes/s
 * instead of 927). The JDK reads the setting once, when the pool is first used, so a process sets it
 * before anything runs: the daemon's {@code main} and the benchmarks' ({@code CommonPoolTest}).
 */
public final class CommonPool {

    private static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    private CommonPool() {
    }

    /** Gives the common pool two threads on a machine with at most two CPUs, unless the JVM was told otherwise. */
    public static void atLeastTwo() {
        if (System.getProperty(PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(PARALLELISM, "2");
        }
    }
}
