package dev.tokenkeeper.daemon.http;

/**
 * Tells Jetty how many object references fill a cache line before its first server is made.
 * <p>
 * Jetty pads its contended arrays by that number. Without the property it asks the platform MBean
 * server whether object references are compressed, and making that server registers every platform
 * MXBean (logging, diagnostic commands, flight recorder): about 0.1 s of CPU in a start, for one flag.
 */
final class JettyMemory {

    static final String PROPERTY = "org.eclipse.jetty.util.referencesPerCacheLine";
    private static final int CACHE_LINE_BYTES = 64;
    /** HotSpot compresses references on heaps below 32 GiB (the daemon's is 256 MiB). */
    private static final long COMPRESSED_BELOW = 32L << 30;

    private JettyMemory() {
    }

    /** Sets the property unless the operator did. */
    static void answerWithoutJmx() {
        if (System.getProperty(PROPERTY) == null) {
            int referenceBytes = Runtime.getRuntime().maxMemory() < COMPRESSED_BELOW ? 4 : 8;
            System.setProperty(PROPERTY, Integer.toString(CACHE_LINE_BYTES / referenceBytes));
        }
    }
}
