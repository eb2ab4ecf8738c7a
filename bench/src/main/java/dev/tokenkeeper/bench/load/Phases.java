package dev.tokenkeeper.bench.load;

import dev.tokenkeeper.bench.report.Samples;

import java.util.ArrayList;
import java.util.List;

/** The load phases of one kind over a measurement's runs, and their medians. */
public final class Phases {

    private final List<LoadDriver.Result> results = new ArrayList<>();

    /**
     * @param result one phase
     * @return the same phase
     */
    public LoadDriver.Result add(LoadDriver.Result result) {
        results.add(result);
        return result;
    }

    /** @return the median of the phases' requests per second */
    public double rate() {
        return Samples.median(results.stream().map(LoadDriver.Result::perSecond).toList());
    }

    /**
     * @param fraction 0.5, 0.99
     * @return the median of the phases' latency at that percentile, in milliseconds
     */
    public double millis(double fraction) {
        return Samples.median(results.stream().map(r -> r.millis(fraction)).toList());
    }

    /** @return errors over all phases */
    public long errors() {
        return results.stream().mapToLong(LoadDriver.Result::errors).sum();
    }
}
