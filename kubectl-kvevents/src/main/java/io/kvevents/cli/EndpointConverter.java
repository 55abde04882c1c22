package io.kvevents.cli;

import io.kvevents.sdk.SourceSpec;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code NAME=tcp://HOST:PORT[,replay=tcp://HOST:PORT][,topic=PREFIX]}. */
final class EndpointConverter implements ITypeConverter<SourceSpec> {
    @Override
    public SourceSpec convert(String value) {
        try {
            return SourceSpec.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
