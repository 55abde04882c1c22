package io.kvevents.cli;

import java.time.Duration;
import picocli.CommandLine.TypeConversionException;

/** A {@link DurationConverter} duration that must be more than zero: a timeout of 0 would end before it starts. */
final class PositiveDurationConverter extends DurationConverter {
    @Override
    public Duration convert(String value) {
        Duration d = super.convert(value);
        if (d.isZero()) {
            throw new TypeConversionException("'" + value + "' is no time at all: give a positive duration (e.g. 30s, 5m)");
        }
        return d;
    }
}
