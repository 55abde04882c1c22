package io.kvevents.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** kubectl-style durations: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h30m}; a bare number is seconds. */
class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
        String v = value.strip();
        if (v.matches("\\d+(\\.\\d+)?")) {
            return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        }
        Matcher m = PART.matcher(v);
        long millis = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            double n = Double.parseDouble(m.group(1));
            millis += Math.round(n * switch (m.group(2)) {
                case "ms" -> 1;
                case "s" -> 1_000;
                case "m" -> 60_000;
                default -> 3_600_000;
            });
            end = m.end();
        }
        if (end == 0 || end != v.length()) {
            throw new TypeConversionException("'" + value + "' is not a duration (e.g. 500ms, 10s, 2m, 1h)");
        }
        return Duration.ofMillis(millis);
    }
}
