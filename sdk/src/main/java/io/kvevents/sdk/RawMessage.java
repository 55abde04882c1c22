package io.kvevents.sdk;

import java.time.Instant;
import java.util.Objects;

/**
 * One received message as it came off the wire: the payload is kept undecoded so that a recording
 * can be decoded again by a newer codec.
 *
 * @param seq the publisher's batch sequence number (counts from 0 per publisher process)
 */
public record RawMessage(String source, String topic, long seq, Instant received, byte[] payload) {

    public RawMessage {
        Objects.requireNonNull(source, "source");
        topic = topic == null ? "" : topic;
        Objects.requireNonNull(received, "received");
        Objects.requireNonNull(payload, "payload");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawMessage m && source.equals(m.source) && topic.equals(m.topic) && seq == m.seq
                && received.equals(m.received) && java.util.Arrays.equals(payload, m.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, seq, received);
    }

    @Override
    public String toString() {
        return "RawMessage[" + source + " seq=" + seq + (topic.isEmpty() ? "" : " topic=" + topic) + " "
                + payload.length + " bytes]";
    }
}
