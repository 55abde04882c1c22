package io.kvevents.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A TCP port, 1 to 65535. */
final class PortConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        int port;
        try {
            port = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a port number");
        }
        if (port < 1 || port > 65_535) {
            throw new TypeConversionException("port " + port + " is not between 1 and 65535");
        }
        return port;
    }
}
