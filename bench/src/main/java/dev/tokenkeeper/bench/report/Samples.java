package dev.tokenkeeper.bench.report;

import java.util.Arrays;
import java.util.List;

/** Medians and percentiles over measured values. */
public final class Samples {

    private Samples() {
    }

    /**
     * @param values measurements (not changed)
     * @return their median (mean of the middle two for an even count), NaN when empty
     */
    public static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /**
     * @param sorted   values in ascending order
     * @param fraction 0.5 for the median, 0.99 for p99
     * @return the nearest-rank percentile, NaN when empty
     */
    public static double percentile(long[] sorted, double fraction) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(fraction * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    /**
     * @param values values in any order (sorted in place)
     * @param fraction the percentile
     * @return the nearest-rank percentile
     */
    public static double percentileOf(long[] values, double fraction) {
        Arrays.sort(values);
        return percentile(values, fraction);
    }
}
