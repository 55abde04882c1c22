package io.kvevents.sdk;

import java.util.Objects;

/**
 * How a batch is laid out on the wire, for {@link Wire#encode}.
 *
 * @param events {@link Events#MAP} as vLLM after 0.23 sends, {@link Events#ARRAY} as 0.9–0.23,
 *     {@link Events#SGLANG_ARRAY} as SGLang's array era
 * @param hashes how block hashes are written
 */
public record WireFormat(Events events, Hashes hashes) {

    /** Event encoding. */
    public enum Events {
        /** {@code {"type": tag, field: value…}}, fields with default values omitted (vLLM after 0.23). */
        MAP,
        /** {@code [tag, field…]} positional, every field of the 0.21 schema written (vLLM 0.9–0.23). */
        ARRAY,
        /**
         * SGLang's positional layout before its map events: {@code [tag, hashes, parent, tokens, block_size,
         * lora_id, medium]}, a salted BlockStored with its {@code metadata} map appended.
         */
        SGLANG_ARRAY
    }

    /** Block hash encoding. */
    public enum Hashes {
        /** uint64 (vLLM's default, {@code VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES=1}). */
        INT,
        /** signed int64, as vLLM 0.9 wrote Python's builtin hash. */
        SIGNED_INT,
        /** 32-byte bin whose last 8 bytes are the hash ({@code VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES=0}). */
        BYTES
    }

    /** What current vLLM sends. */
    public static final WireFormat DEFAULT = new WireFormat(Events.MAP, Hashes.INT);

    public WireFormat {
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(hashes, "hashes");
    }

    /** A format from its two choices. */
    public static WireFormat of(Events events, Hashes hashes) {
        return new WireFormat(events, hashes);
    }
}
