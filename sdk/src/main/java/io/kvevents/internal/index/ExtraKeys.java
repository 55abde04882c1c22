package io.kvevents.internal.index;

import java.util.List;
import java.util.Map;

/**
 * A block's extra hash inputs (LoRA name, multimodal ids, cache salt, typed entries) folded into 64 bits
 * by value, canonically: every type tagged (the string "1" and the integer 1 differ), numbers by value
 * whatever their Java type, bytes by content, maps by their entries whatever their order. Two engines that
 * sent the same extra keys give the same hash; nothing depends on identity (a byte array's toString) or on
 * the order a decoder happened to fill a map in.
 */
final class ExtraKeys {
    private static final long LIST = 0x27D4EB2F165667C5L;
    private static final long MAP = 0x94D049BB133111EBL;

    private ExtraKeys() {
    }

    static long hash(Object value) {
        if (value == null) {
            return 0;
        }
        if (value instanceof String s) {
            return Mix.string(s); // untagged: the hash LoRA names and salts have always had
        }
        if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                return 0;
            }
            long h = LIST;
            for (Object o : list) {
                h = Mix.fmix64(h ^ hash(o)) + 0x165667B19E3779F9L;
            }
            return h;
        }
        if (value instanceof Object[] array) {
            return hash(List.of(array));
        }
        if (value instanceof Byte || value instanceof Short || value instanceof Integer || value instanceof Long) {
            return Mix.fmix64(((Number) value).longValue() ^ 0x85EBCA77C2B2AE63L);
        }
        if (value instanceof java.math.BigInteger big) {
            return big.bitLength() < 64 ? hash(big.longValue()) : tagged(3, Mix.string(big.toString(16)));
        }
        if (value instanceof Float || value instanceof Double) {
            double d = ((Number) value).doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 0x1p63) {
                return hash((long) d); // 2.0 and 2 are the same number
            }
            return tagged(4, Double.doubleToLongBits(d == 0.0 ? 0.0 : d));
        }
        if (value instanceof Boolean b) {
            return tagged(5, b ? 1 : 0);
        }
        if (value instanceof byte[] bytes) {
            long h = 0xC2B2AE3D27D4EB4FL;
            for (byte x : bytes) {
                h = (h ^ (x & 0xFF)) * 0x100000001B3L;
            }
            return tagged(6, Mix.fmix64(h ^ bytes.length));
        }
        if (value instanceof Map<?, ?> map) {
            long sum = 0;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                // each entry hashed as a pair, the pairs summed: the same entries in any order give the same hash
                sum += Mix.fmix64(hash(e.getKey()) * 31 + Mix.fmix64(hash(e.getValue()) ^ MAP));
            }
            return tagged(7, sum ^ map.size());
        }
        return tagged(8, Mix.string(value.getClass().getName() + ':' + value));
    }

    private static long tagged(int tag, long h) {
        return Mix.fmix64(h + tag * 0x9E3779B97F4A7C15L);
    }
}
