package io.kvevents.internal.wire;

import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.KvEvent;
import io.kvevents.sdk.UnknownEvent;
import io.kvevents.sdk.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Writes batches with msgspec's exact layout for vLLM's structs: {@code array_like} batches with
 * every field written (defaults too, as msgspec does), tag-first events, smallest integer formats, float64 timestamps.
 */
public final class WireEncoder {
    private final MessageBufferPacker out = MessagePack.newDefaultBufferPacker();
    private final WireFormat format;

    private WireEncoder(WireFormat format) {
        this.format = format;
    }

    /** See {@link io.kvevents.sdk.Wire#encode}. */
    public static byte[] encode(EventBatch batch, WireFormat format) {
        WireEncoder e = new WireEncoder(format);
        try {
            e.batch(batch);
            return e.out.toByteArray();
        } catch (IOException ex) {
            throw new UncheckedIOException("msgpack buffer packer failed", ex);
        }
    }

    /** Plain Java values (null, Boolean, Number, String, byte[], List, Map) as msgpack. */
    static byte[] encodeValue(Object value) {
        WireEncoder e = new WireEncoder(WireFormat.DEFAULT);
        try {
            e.value(value);
            return e.out.toByteArray();
        } catch (IOException ex) {
            throw new UncheckedIOException("msgpack buffer packer failed", ex);
        }
    }

    private void batch(EventBatch b) throws IOException {
        // msgspec's array_like structs write every field, defaults too (omit_defaults never shortens them):
        // since vLLM 0.9.1 (and SGLang's attn_dp_rank) a batch is [ts, events, rank], rank nil when unset.
        out.packArrayHeader(3);
        out.packDouble(b.ts());
        out.packArrayHeader(b.events().size());
        for (KvEvent event : b.events()) {
            if (format.events() == WireFormat.Events.MAP) {
                mapEvent(event);
            } else {
                arrayEvent(event);
            }
        }
        if (b.dataParallelRank() != null) {
            out.packInt(b.dataParallelRank());
        } else {
            out.packNil();
        }
    }

    private void mapEvent(KvEvent event) throws IOException {
        EventSchema.Type type = EventSchema.of(event);
        if (type == null) {
            unknown((UnknownEvent) event, true);
            return;
        }
        // Fields without defaults are always written; the others only when set (msgspec's omit_defaults).
        Object[] values = type.values(event);
        int n = 1;
        for (EventSchema.Field f : type.fields()) {
            if (f.alwaysInMap() || values[f.slot()] != null) {
                n++;
            }
        }
        out.packMapHeader(n);
        entry("type", event.type());
        for (EventSchema.Field f : type.fields()) {
            if (f.alwaysInMap() || values[f.slot()] != null) {
                out.packString(f.name());
                write(f, values[f.slot()]);
            }
        }
    }

    private void arrayEvent(KvEvent event) throws IOException {
        EventSchema.Type type = EventSchema.of(event);
        if (type == null) {
            unknown((UnknownEvent) event, false);
            return;
        }
        Object[] values = type.values(event);
        boolean sglang = format.events() == WireFormat.Events.SGLANG_ARRAY;
        int length = sglang ? type.sglangArrayLength() : type.vllmArrayLength();
        int always = sglang ? type.sglangArrayFull() : type.vllmArrayFull();
        int n = always;
        BitSet placed = new BitSet();
        for (int i = 0; i < length; i++) {
            EventSchema.Field f = sglang ? type.sglangAt(i) : type.vllmAt(i);
            placed.set(f.slot());
            if (values[f.slot()] != null) {
                n = Math.max(n, i + 1); // positional: a later field set means every one before it is written
            }
        }
        for (EventSchema.Field f : type.fields()) {
            if (!placed.get(f.slot()) && values[f.slot()] != null) {
                throw new IllegalArgumentException(f.name() + " has no place in " + (sglang ? "SGLang's" : "vLLM's")
                        + " array layout; encode this event with " + (sglang ? "MAP" : "SGLANG_ARRAY or MAP"));
            }
        }
        out.packArrayHeader(1 + n);
        out.packString(event.type());
        for (int i = 0; i < n; i++) {
            EventSchema.Field f = sglang ? type.sglangAt(i) : type.vllmAt(i);
            write(f, values[f.slot()]);
        }
    }

    private void unknown(UnknownEvent u, boolean asMap) throws IOException {
        if (asMap && u.fields() instanceof Map<?, ?> m) {
            out.packMapHeader(1 + m.size());
            entry("type", u.type());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                value(e.getKey());
                value(e.getValue());
            }
            return;
        }
        List<?> fields = u.fields() instanceof List<?> l ? l : List.copyOf(((Map<?, ?>) u.fields()).values());
        out.packArrayHeader(1 + fields.size());
        out.packString(u.type());
        for (Object v : fields) {
            value(v);
        }
    }

    /** One field's value in the shape its kind has on the wire. */
    private void write(EventSchema.Field f, Object v) throws IOException {
        if (v == null) {
            out.packNil();
            return;
        }
        switch (f.kind()) {
            case HASHES -> hashes((long[]) v);
            case HASH -> hash((Long) v);
            case TOKENS -> tokens((int[]) v);
            case SALT_METADATA -> {
                out.packMapHeader(1);
                entry("cache_salt", v);
            }
            default -> value(v);
        }
    }

    private void entry(String key, Object v) throws IOException {
        out.packString(key);
        value(v);
    }

    private void hashes(long[] hashes) throws IOException {
        out.packArrayHeader(hashes.length);
        for (long h : hashes) {
            hash(h);
        }
    }

    private void hash(long h) throws IOException {
        switch (format.hashes()) {
            case SIGNED_INT -> out.packLong(h);
            case INT -> {
                if (h >= 0) {
                    out.packLong(h);
                } else {
                    out.packBigInteger(BigInteger.valueOf(h).add(BigInteger.ONE.shiftLeft(64)));
                }
            }
            case BYTES -> {
                out.packBinaryHeader(32);
                out.writePayload(bytesHash(h));
            }
        }
    }

    /** 32 bytes like vLLM's sha256 block hash, ending in the 64-bit pattern (which is all that readers keep). */
    static byte[] bytesHash(long h) {
        byte[] b = new byte[32];
        long x = h;
        for (int i = 0; i < 32; i += 8) {
            long v = i == 24 ? h : (x = mix(x + 0x9E3779B97F4A7C15L));
            for (int j = 0; j < 8; j++) {
                b[i + j] = (byte) (v >>> (56 - 8 * j));
            }
        }
        return b;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void tokens(int[] tokens) throws IOException {
        out.packArrayHeader(tokens.length);
        for (int t : tokens) {
            out.packInt(t);
        }
    }

    private void value(Object v) throws IOException {
        if (v == null) {
            out.packNil();
        } else if (v instanceof String s) {
            out.packString(s);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            out.packLong(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            out.packBigInteger(b);
        } else if (v instanceof Double || v instanceof Float) {
            out.packDouble(((Number) v).doubleValue());
        } else if (v instanceof Boolean b) {
            out.packBoolean(b);
        } else if (v instanceof byte[] bytes) {
            out.packBinaryHeader(bytes.length);
            out.writePayload(bytes);
        } else if (v instanceof List<?> list) {
            out.packArrayHeader(list.size());
            for (Object o : list) {
                value(o);
            }
        } else if (v instanceof Map<?, ?> map) {
            out.packMapHeader(map.size());
            for (Map.Entry<?, ?> e : map.entrySet()) {
                value(e.getKey());
                value(e.getValue());
            }
        } else {
            throw new IllegalArgumentException("cannot encode a " + v.getClass().getName()
                    + " as msgpack; use null, Boolean, Number, String, byte[], List or Map");
        }
    }
}
