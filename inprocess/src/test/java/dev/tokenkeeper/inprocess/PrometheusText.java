package dev.tokenkeeper.inprocess;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4): {@code # HELP},
 * {@code # TYPE} and sample lines {@code name{label="value",...} value [timestamp]}. Any line that
 * is none of these, a sample whose family was typed differently, or a malformed label set fails.
 */
final class PrometheusText {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+-?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\[\"\\\\n])*)\"\\s*(,|$)");

    /**
     * One sample.
     *
     * @param name   metric name
     * @param labels label name to value
     * @param value  the value
     */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples = new ArrayList<>();
    private final Map<String, String> types = new HashMap<>();

    private PrometheusText() {
    }

    static PrometheusText parse(String text) {
        PrometheusText parsed = new PrometheusText();
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# HELP ")) {
                String name = line.substring(7).split(" ", 2)[0];
                require(NAME.matcher(name).matches(), number, line);
            } else if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ");
                require(parts.length == 2 && NAME.matcher(parts[0]).matches()
                        && List.of("counter", "gauge", "histogram", "summary", "untyped").contains(parts[1]), number, line);
                require(parsed.types.put(parts[0], parts[1]) == null, number, "family typed twice: " + line);
            } else if (line.startsWith("#")) {
                continue;
            } else {
                Matcher m = SAMPLE.matcher(line);
                require(m.matches(), number, line);
                Map<String, String> labels = new LinkedHashMap<>();
                if (m.group(3) != null && !m.group(3).isEmpty()) {
                    Matcher label = LABEL.matcher(m.group(3));
                    int at = 0;
                    while (at < m.group(3).length()) {
                        require(label.find(at) && label.start() == at, number, "bad labels: " + line);
                        labels.put(label.group(1), label.group(2));
                        at = label.end();
                    }
                }
                double value = switch (m.group(4)) {
                    case "+Inf" -> Double.POSITIVE_INFINITY;
                    case "-Inf" -> Double.NEGATIVE_INFINITY;
                    case "NaN" -> Double.NaN;
                    default -> Double.parseDouble(m.group(4));
                };
                parsed.samples.add(new Sample(m.group(1), labels, value));
            }
        }
        return parsed;
    }

    private static void require(boolean ok, int line, String text) {
        if (!ok) {
            throw new IllegalArgumentException("not Prometheus text format at line " + line + ": " + text);
        }
    }

    List<Sample> samples() {
        return samples;
    }

    Optional<String> type(String family) {
        return Optional.ofNullable(types.get(family));
    }

    double value(String name, Map<String, String> labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Sample::value).sum();
    }
}
