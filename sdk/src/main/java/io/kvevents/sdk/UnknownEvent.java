package io.kvevents.sdk;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An event whose tag this version does not know, kept opaque: shown and counted, never applied.
 *
 * @param fields the other entries as plain Java values: a {@code Map<String, Object>} for
 *     map-encoded events, a {@code List<Object>} of the positional fields for array-encoded ones
 */
public record UnknownEvent(String type, Object fields) implements KvEvent {

    public UnknownEvent {
        Objects.requireNonNull(type, "type");
        if (!(fields instanceof Map<?, ?> || fields instanceof List<?>)) {
            throw new IllegalArgumentException("fields must be a Map (map encoding) or a List (array encoding)");
        }
    }

    @Override
    public String toString() {
        return "UnknownEvent[" + type + " " + fields + "]";
    }
}
