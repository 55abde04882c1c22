package io.kvevents.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A count that must be at least 1 ({@code --max-events}). */
final class PositiveLongConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        long n;
        try {
            n = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a whole number");
        }
        if (n < 1) {
            throw new TypeConversionException("'" + value + "' is not a positive number (at least 1)");
        }
        return n;
    }
}
