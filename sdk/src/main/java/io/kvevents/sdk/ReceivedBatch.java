package io.kvevents.sdk;

import java.util.List;

/** A batch applied in sequence order: never twice, never out of order within its source. */
public record ReceivedBatch(RawMessage message, EventBatch batch) implements StreamItem {

    @Override
    public String source() {
        return message.source();
    }

    /** The batch's sequence number. */
    public long seq() {
        return message.seq();
    }

    /** The batch's events. */
    public List<KvEvent> events() {
        return batch.events();
    }

    @Override
    public String toString() {
        return "ReceivedBatch[" + message.source() + " seq=" + message.seq() + " " + batch + "]";
    }
}
