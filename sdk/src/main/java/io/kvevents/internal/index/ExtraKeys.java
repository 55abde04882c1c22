package io.kvevents.internal.index;

import java.util.List;
import java.util.Map;

/** A block's extra hash inputs (LoRA name, multimodal ids, cache salt) folded into 64 bits, by value. */
final class ExtraKeys {
    private ExtraKeys() {
    }

    static long hash(Object value) {
        if (value == null) {
            return 0;
        }
        if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                return 0;
            }
            long h = 0x27D4EB2F165667C5L;
            for (Object o : list) {
                h = Mix.fmix64(h ^ hash(o)) + 0x165667B19E3779F9L;
            }
            return h;
        }
        if (value instanceof String s) {
            return Mix.string(s);
        }
        if (value instanceof Number n) {
            return Mix.fmix64(n.longValue() ^ 0x85EBCA77C2B2AE63L);
        }
        if (value instanceof byte[] b) {
            return Mix.string(java.util.HexFormat.of().formatHex(b));
        }
        if (value instanceof Map<?, ?> m) {
            return Mix.string(m.toString());
        }
        return Mix.string(value.toString());
    }
}
