package dev.tokenkeeper.daemon.assembly;

/**
 * One part of the daemon, built and waiting to start.
 *
 * @param name  what it is, for logs and errors
 * @param start starts it: threads, a server, a store's connections or queries
 * @param stop  stops and closes what {@code start} started
 */
public record Part(String name, Start start, AutoCloseable stop) {

    /** Starts a part. */
    @FunctionalInterface
    public interface Start {

        /** @throws Exception when the part cannot start */
        void run() throws Exception;
    }

    /**
     * @param name  what it is
     * @param start what starts it
     * @return a part with nothing to stop
     */
    static Part startOnly(String name, Start start) {
        return new Part(name, start, () -> { });
    }
}
