package dev.tokenkeeper.bench.pipeline;

import dev.tokenkeeper.bench.report.Samples;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Two sides of a comparison run on the same worker threads: both warmed up once on at most 2,000
 * tasks, then measured in turn (first, second, first, second, ...) so that a warming or busy
 * machine favours neither.
 *
 * @param first  tasks per second of each run of the first side
 * @param second tasks per second of each run of the second side
 */
public record Alternation(List<Double> first, List<Double> second) {

    /**
     * @param count   tasks per run
     * @param threads worker threads
     * @param runs    measured runs of each side
     * @param first   the first side's task of each index
     * @param second  the second side's task of each index
     * @param afterWarmUp what to do between warm-up and measuring (e.g. reset counters)
     * @param perRun  a {@code printf} format of one run's line: run number, first rate, second rate
     * @return the rates
     * @throws InterruptedException when interrupted
     */
    public static Alternation measure(int count, int threads, int runs, IntConsumer first, IntConsumer second,
                                      Runnable afterWarmUp, String perRun) throws InterruptedException {
        int warm = Math.min(count, 2000);
        Workers.perSecond(warm, threads, first);
        Workers.perSecond(warm, threads, second);
        afterWarmUp.run();
        List<Double> firstRates = new ArrayList<>();
        List<Double> secondRates = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            firstRates.add(Workers.perSecond(count, threads, first));
            secondRates.add(Workers.perSecond(count, threads, second));
            System.out.printf(perRun, r + 1, firstRates.get(r), secondRates.get(r));
        }
        return new Alternation(firstRates, secondRates);
    }

    /** @return the median rate of the first side */
    public double firstMedian() {
        return Samples.median(first);
    }

    /** @return the median rate of the second side */
    public double secondMedian() {
        return Samples.median(second);
    }
}
