package io.kvevents.internal.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The samples of a Prometheus text exposition (format 0.0.4, what an engine's {@code /metrics} serves): comments
 * skipped, label values unescaped, {@code +Inf}/{@code -Inf}/{@code NaN} read, timestamps dropped.
 */
public final class Exposition {
    private Exposition() {
    }

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
        public Sample {
            labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        }

        public String label(String name) {
            return labels.get(name);
        }
    }

    /** @throws IllegalArgumentException naming the line that is not a sample */
    public static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        int number = 0;
        for (String line : text.split("\n")) {
            number++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            try {
                out.add(sample(l));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("line " + number + " of the metrics is not a sample: " + l, e);
            }
        }
        return out;
    }

    /** The samples named {@code name}. */
    public static List<Sample> named(List<Sample> samples, String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    private static Sample sample(String l) {
        int i = 0;
        while (i < l.length() && l.charAt(i) != '{' && !Character.isWhitespace(l.charAt(i))) {
            i++;
        }
        String name = l.substring(0, i);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < l.length() && l.charAt(i) == '{') {
            i++;
            while (true) {
                while (l.charAt(i) == ',' || l.charAt(i) == ' ') {
                    i++;
                }
                if (l.charAt(i) == '}') {
                    i++;
                    break;
                }
                int eq = l.indexOf('=', i);
                String key = l.substring(i, eq).strip();
                i = eq + 1;
                if (l.charAt(i) != '"') {
                    throw new IllegalArgumentException("a label value is not quoted");
                }
                i++;
                StringBuilder value = new StringBuilder();
                while (l.charAt(i) != '"') {
                    char c = l.charAt(i++);
                    if (c == '\\') {
                        char e = l.charAt(i++);
                        value.append(e == 'n' ? '\n' : e);
                    } else {
                        value.append(c);
                    }
                }
                i++;
                labels.put(key, value.toString());
            }
        }
        String[] rest = l.substring(i).strip().split("\\s+");
        return new Sample(name, labels, number(rest[0]));
    }

    private static double number(String s) {
        return switch (s) {
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(s);
        };
    }
}
