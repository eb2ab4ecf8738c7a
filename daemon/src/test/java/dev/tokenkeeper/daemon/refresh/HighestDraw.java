package dev.tokenkeeper.daemon.refresh;

import java.util.random.RandomGenerator;

/**
 * A random source that always draws the largest value a bounded draw allows ({@code bound - 1}),
 * so that a test can assert the exact edge of a jitter or backoff range instead of a band.
 */
final class HighestDraw implements RandomGenerator {

    @Override
    public long nextLong() {
        return Long.MAX_VALUE;
    }

    @Override
    public long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        return bound - 1;
    }
}
