package dev.tokenkeeper.daemon.refresh;

/**
 * A test-only switch for crash tests: when the system property {@code tokenkeeper.test.crashAt}
 * (or the environment variable {@code TOKENKEEPER_TEST_CRASH_AT}) names a pipeline step, the
 * process halts there as abruptly as {@code kill -9} would end it.
 */
final class CrashPoint {

    private static final String TARGET = System.getProperty("tokenkeeper.test.crashAt",
            System.getenv().getOrDefault("TOKENKEEPER_TEST_CRASH_AT", ""));

    private CrashPoint() {
    }

    static void reached(String step) {
        if (!TARGET.isEmpty() && TARGET.equals(step)) {
            Runtime.getRuntime().halt(137);
        }
    }
}
