package dev.tokenkeeper.bench.report;

import java.util.ArrayList;
import java.util.List;

/** The one table the benchmark run prints: one row per figure, with its baseline, ratio and goal. */
public final class ResultTable {

    /**
     * One figure.
     *
     * @param section  which measurement (1 to 5)
     * @param figure   what was measured
     * @param value    the figure, with its unit
     * @param baseline the baseline measured in the same run, with its unit ("" when none fits)
     * @param ratio    value against baseline ("" when none fits)
     * @param goal     the goal and whether it is met
     */
    public record Row(String section, String figure, String value, String baseline, String ratio, String goal) {
    }

    private final List<Row> rows = new ArrayList<>();

    /**
     * @param row a figure
     */
    public synchronized void add(Row row) {
        rows.add(row);
        System.out.println("  -> " + row.section() + " " + row.figure() + ": " + row.value()
                + (row.baseline().isEmpty() ? "" : " (baseline " + row.baseline() + ", ratio " + row.ratio() + ")")
                + (row.goal().isEmpty() ? "" : " [" + row.goal() + "]"));
    }

    /** @return the table as Markdown */
    public synchronized String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("| # | figure | value | baseline (same run) | ratio | goal |\n");
        out.append("| --- | --- | --- | --- | --- | --- |\n");
        for (Row row : rows) {
            out.append("| ").append(row.section()).append(" | ").append(row.figure()).append(" | ").append(row.value())
                    .append(" | ").append(row.baseline()).append(" | ").append(row.ratio()).append(" | ")
                    .append(row.goal()).append(" |\n");
        }
        return out.toString();
    }

    /**
     * @param value a number
     * @return it with at most one decimal for large values and three significant digits for small ones
     */
    public static String fmt(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        double abs = Math.abs(value);
        if (abs >= 100) {
            return String.format("%,.0f", value);
        }
        if (abs >= 10) {
            return String.format("%.1f", value);
        }
        if (abs >= 1) {
            return String.format("%.2f", value);
        }
        return String.format("%.3f", value);
    }

    /**
     * @param met whether the goal is met
     * @param goal the goal's text
     * @return "goal: met" or "goal: NOT met"
     */
    public static String goal(boolean met, String goal) {
        return goal + (met ? " — met" : " — NOT met");
    }
}
