package io.kvevents.internal.stream;

import io.kvevents.sdk.StreamItem;

/** Where a source delivers its items, in order. */
@FunctionalInterface
public interface ItemSink {
    void emit(StreamItem item);
}
