package io.kvevents.sdk;

import io.kvevents.internal.wire.WireDecoder;
import io.kvevents.internal.wire.WireEncoder;

/**
 * The vLLM KV-event wire codec: msgpack batches of every vLLM version in, typed events out, and back.
 *
 * <pre>{@code
 * jshell> Wire.decode(payload)
 * $1 ==> EventBatch[2025-09-10T10:26:40.250Z dp=0 {BlockStored[2 blocks … tokens=32 block_size=16 GPU]}]
 * }</pre>
 */
public final class Wire {
    private Wire() {
    }

    /**
     * Decodes one payload (the last frame of a live or replayed message).
     *
     * @throws MalformedPayloadException saying what is wrong, never any other exception
     */
    public static EventBatch decode(byte[] payload) {
        return WireDecoder.decode(payload);
    }

    /** Encodes a batch exactly as vLLM's msgspec encoder lays it out in the given format. */
    public static byte[] encode(EventBatch batch, WireFormat format) {
        return WireEncoder.encode(batch, format);
    }

    /** Encodes a batch as current vLLM does (map events, uint64 hashes). */
    public static byte[] encode(EventBatch batch) {
        return encode(batch, WireFormat.DEFAULT);
    }
}
