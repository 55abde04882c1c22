package io.kvevents.internal.wire;

import io.kvevents.sdk.AllBlocksCleared;
import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.KvEvent;
import io.kvevents.sdk.UnknownEvent;
import io.kvevents.sdk.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Writes batches with msgspec's exact layout for vLLM's structs: {@code array_like} batches with
 * trailing defaults omitted, tag-first events, smallest integer formats, float64 timestamps.
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
        // data_parallel_rank defaults to None: msgspec omits it, leaving the pre-0.9.1 two-element form.
        out.packArrayHeader(b.dataParallelRank() == null ? 2 : 3);
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
        }
    }

    private void mapEvent(KvEvent event) throws IOException {
        if (event instanceof BlockStored s) {
            // Fields without defaults are always written; the later optional ones only when set.
            int n = 8 + count(s.extraKeys(), s.groupIdx(), s.kvCacheSpecKind(), s.kvCacheSpecSlidingWindow(),
                    s.locality(), s.ownership(), s.sessionId());
            out.packMapHeader(n);
            entry("type", s.type());
            out.packString("block_hashes");
            hashes(s.blockHashes());
            out.packString("parent_block_hash");
            optHash(s.parentBlockHash());
            out.packString("token_ids");
            tokens(s.tokenIds());
            entry("block_size", s.blockSize());
            entry("lora_id", s.loraId());
            entry("medium", s.medium());
            entry("lora_name", s.loraName());
            optEntry("extra_keys", s.extraKeys());
            optEntry("group_idx", s.groupIdx());
            optEntry("kv_cache_spec_kind", s.kvCacheSpecKind());
            optEntry("kv_cache_spec_sliding_window", s.kvCacheSpecSlidingWindow());
            optEntry("locality", s.locality());
            optEntry("ownership", s.ownership());
            optEntry("session_id", s.sessionId());
        } else if (event instanceof BlockRemoved r) {
            out.packMapHeader(3 + count(r.groupIdx(), r.locality(), r.ownership()));
            entry("type", r.type());
            out.packString("block_hashes");
            hashes(r.blockHashes());
            entry("medium", r.medium());
            optEntry("group_idx", r.groupIdx());
            optEntry("locality", r.locality());
            optEntry("ownership", r.ownership());
        } else if (event instanceof AllBlocksCleared c) {
            out.packMapHeader(1);
            entry("type", c.type());
        } else if (event instanceof UnknownEvent u) {
            if (u.fields() instanceof Map<?, ?> m) {
                out.packMapHeader(1 + m.size());
                entry("type", u.type());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    value(e.getKey());
                    value(e.getValue());
                }
            } else {
                List<?> l = (List<?>) u.fields();
                out.packArrayHeader(1 + l.size());
                out.packString(u.type());
                for (Object v : l) {
                    value(v);
                }
            }
        }
    }

    private void arrayEvent(KvEvent event) throws IOException {
        if (event instanceof BlockStored s) {
            // The 0.21 schema (11 fields) in full; fields newer than the array era only when set.
            int extra = s.sessionId() != null ? 3 : s.ownership() != null ? 2 : s.locality() != null ? 1 : 0;
            out.packArrayHeader(12 + extra);
            out.packString(s.type());
            hashes(s.blockHashes());
            optHash(s.parentBlockHash());
            tokens(s.tokenIds());
            out.packInt(s.blockSize());
            value(s.loraId());
            value(s.medium());
            value(s.loraName());
            value(s.extraKeys());
            value(s.groupIdx());
            value(s.kvCacheSpecKind());
            value(s.kvCacheSpecSlidingWindow());
            Object[] newer = {s.locality(), s.ownership(), s.sessionId()};
            for (int i = 0; i < extra; i++) {
                value(newer[i]);
            }
        } else if (event instanceof BlockRemoved r) {
            int extra = r.ownership() != null ? 2 : r.locality() != null ? 1 : 0;
            out.packArrayHeader(4 + extra);
            out.packString(r.type());
            hashes(r.blockHashes());
            value(r.medium());
            value(r.groupIdx());
            Object[] newer = {r.locality(), r.ownership()};
            for (int i = 0; i < extra; i++) {
                value(newer[i]);
            }
        } else if (event instanceof AllBlocksCleared c) {
            out.packArrayHeader(1);
            out.packString(c.type());
        } else if (event instanceof UnknownEvent u) {
            List<?> fields = u.fields() instanceof List<?> l ? l : List.copyOf(((Map<?, ?>) u.fields()).values());
            out.packArrayHeader(1 + fields.size());
            out.packString(u.type());
            for (Object v : fields) {
                value(v);
            }
        }
    }

    private static int count(Object... optional) {
        int n = 0;
        for (Object o : optional) {
            if (o != null) {
                n++;
            }
        }
        return n;
    }

    private void entry(String key, Object v) throws IOException {
        out.packString(key);
        value(v);
    }

    private void optEntry(String key, Object v) throws IOException {
        if (v != null) {
            entry(key, v);
        }
    }

    private void hashes(long[] hashes) throws IOException {
        out.packArrayHeader(hashes.length);
        for (long h : hashes) {
            hash(h);
        }
    }

    private void optHash(Long h) throws IOException {
        if (h == null) {
            out.packNil();
        } else {
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
