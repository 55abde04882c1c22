package io.kvevents.internal.wire;

import io.kvevents.sdk.AllBlocksCleared;
import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.KvEvent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Every field of every event type, once: the name vLLM and SGLang give it, its msgpack shape, and where
 * each array layout puts it. The decoder (both layouts), the encoder and the JSON form ({@code tail -o json})
 * all walk this table, so a new upstream field is one entry here and one record component.
 *
 * <p>Sources: vLLM {@code vllm/distributed/kv_events.py} (map events since 0.24, positional arrays 0.9–0.23,
 * fields appended at the end in each release); SGLang {@code python/sglang/srt/disaggregation/kv_events.py}
 * (positional arrays whose salted {@code BlockStored} appends a {@code metadata} map after {@code medium};
 * tagged maps with {@code cache_salt} and {@code session_id} later).
 */
public final class EventSchema {

    /** The msgpack shape of a field's value. */
    public enum Kind {
        /** An array of block hashes (uint64, int64 or bytes). */
        HASHES,
        /** One block hash or nil. */
        HASH,
        /** An array of token ids (or of SGLang's bigram pairs, first token kept). */
        TOKENS,
        INT,
        STRING,
        /** Any array, kept as plain Java values ({@code extra_keys}). */
        LIST,
        /** SGLang's {@code metadata} map; its {@code cache_salt} is what the field holds. */
        SALT_METADATA
    }

    /**
     * One field.
     *
     * @param slot its index among the event's values (the record's component order)
     * @param required decoding fails without it (nil is allowed only for {@link Kind#HASH})
     * @param alwaysInMap vLLM's map encoder writes it even when null: the struct gives it no default
     */
    public record Field(String name, Kind kind, int slot, boolean required, boolean alwaysInMap) {
    }

    /** One event type's fields and layouts. */
    public static final class Type {
        private final String tag;
        private final List<Field> fields;
        private final Map<String, Field> byName = new LinkedHashMap<>();
        /** {@link #byName}'s keys as ASCII bytes, beside their fields, in the order vLLM writes them. */
        private final byte[][] names;
        private final Field[] byNameOrder;
        private final Field[] vllmArray;
        private final int vllmArrayMinimum;
        private final int vllmArrayFull;
        private final Field[] sglangArray;
        private final int sglangArrayFull;
        private final Function<Object[], KvEvent> build;
        private final Function<KvEvent, Object[]> values;

        private Type(String tag, List<Field> fields, List<Field> aliases, int[] vllmArray, int vllmArrayMinimum,
                int vllmArrayFull, List<Field> sglangArray, int sglangArrayFull, Function<Object[], KvEvent> build,
                Function<KvEvent, Object[]> values) {
            this.tag = tag;
            this.fields = List.copyOf(fields);
            for (Field f : fields) {
                byName.put(f.name(), f);
            }
            for (Field f : aliases) {
                byName.put(f.name(), f);
            }
            this.names = byName.keySet().stream().map(n -> n.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
            this.byNameOrder = byName.values().toArray(Field[]::new);
            this.vllmArray = Arrays.stream(vllmArray).mapToObj(fields::get).toArray(Field[]::new);
            this.vllmArrayMinimum = vllmArrayMinimum;
            this.vllmArrayFull = vllmArrayFull;
            this.sglangArray = sglangArray.toArray(Field[]::new);
            this.sglangArrayFull = sglangArrayFull;
            this.build = build;
            this.values = values;
        }

        public String tag() {
            return tag;
        }

        /** The fields in record order, each under its wire name: the JSON and map order. */
        public List<Field> fields() {
            return fields;
        }

        /** The field a map key names (wire names and SGLang's {@code metadata}), or null for a key we skip. */
        public Field named(String key) {
            return byName.get(key);
        }

        /**
         * The field whose wire name is the ASCII at {@code bytes[from, from + length)}, or null: {@link #named(String)}
         * without a String made from the payload.
         */
        public Field named(byte[] bytes, int from, int length) {
            for (int i = 0; i < names.length; i++) {
                byte[] name = names[i];
                if (name.length == length && sameBytes(name, bytes, from)) {
                    return byNameOrder[i];
                }
            }
            return null;
        }

        /** A loop, not {@code Arrays.equals}: names are a few bytes, shorter than its vectorized setup pays for. */
        private static boolean sameBytes(byte[] name, byte[] bytes, int from) {
            for (int i = 0; i < name.length; i++) {
                if (name[i] != bytes[from + i]) {
                    return false;
                }
            }
            return true;
        }

        /** The vLLM positional field after the tag at {@code position}, or null past the newest schema. */
        public Field vllmAt(int position) {
            return position < vllmArray.length ? vllmArray[position] : null;
        }

        /** The SGLang positional field at {@code position}, or null where SGLang has none. */
        public Field sglangAt(int position) {
            return position < sglangArray.length ? sglangArray[position] : null;
        }

        /** Fields every vLLM array layout (0.9 on) has. */
        public int vllmArrayMinimum() {
            return vllmArrayMinimum;
        }

        /** Fields of the 0.21 array schema, which the encoder writes in full; later ones only when set. */
        public int vllmArrayFull() {
            return vllmArrayFull;
        }

        public int vllmArrayLength() {
            return vllmArray.length;
        }

        /** Fields SGLang always writes in its array layout; the rest only when set. */
        public int sglangArrayFull() {
            return sglangArrayFull;
        }

        public int sglangArrayLength() {
            return sglangArray.length;
        }

        /** An event from its values in slot order. */
        public KvEvent build(Object[] slots) {
            return build.apply(slots);
        }

        /** An event's values in slot order. */
        public Object[] values(KvEvent event) {
            return values.apply(event);
        }

        /** A fresh value array for decoding. */
        public Object[] newSlots() {
            return new Object[fields.size()];
        }
    }

    private static final Type STORED;
    private static final Type REMOVED;
    private static final Type CLEARED;

    static {
        List<Field> stored = List.of(
                new Field("block_hashes", Kind.HASHES, 0, true, true),
                new Field("parent_block_hash", Kind.HASH, 1, false, true),
                new Field("token_ids", Kind.TOKENS, 2, true, true),
                new Field("block_size", Kind.INT, 3, true, true),
                new Field("lora_id", Kind.INT, 4, false, true),
                new Field("medium", Kind.STRING, 5, false, true),
                new Field("lora_name", Kind.STRING, 6, false, true),
                new Field("extra_keys", Kind.LIST, 7, false, false),
                new Field("group_idx", Kind.INT, 8, false, false),
                new Field("kv_cache_spec_kind", Kind.STRING, 9, false, false),
                new Field("kv_cache_spec_sliding_window", Kind.INT, 10, false, false),
                new Field("locality", Kind.STRING, 11, false, false),
                new Field("ownership", Kind.STRING, 12, false, false),
                new Field("session_id", Kind.STRING, 13, false, false),
                new Field("cache_salt", Kind.STRING, 14, false, false));
        // SGLang's salted BlockStored carries the salt in a metadata map (array and map form alike).
        Field metadata = new Field("metadata", Kind.SALT_METADATA, 14, false, false);
        STORED = new Type(BlockStored.TAG, stored, List.of(metadata),
                new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, 5, 11,
                List.of(stored.get(0), stored.get(1), stored.get(2), stored.get(3), stored.get(4), stored.get(5),
                        metadata), 6,
                v -> new BlockStored((long[]) v[0], (Long) v[1], (int[]) v[2], (Integer) v[3], (Integer) v[4],
                        (String) v[5], (String) v[6], (List<?>) v[7], (Integer) v[8], (String) v[9],
                        (Integer) v[10], (String) v[11], (String) v[12], (String) v[13], (String) v[14]),
                e -> {
                    BlockStored s = (BlockStored) e;
                    return new Object[] {s.blockHashes(), s.parentBlockHash(), s.tokenIds(), s.blockSize(),
                        s.loraId(), s.medium(), s.loraName(), s.extraKeys(), s.groupIdx(), s.kvCacheSpecKind(),
                        s.kvCacheSpecSlidingWindow(), s.locality(), s.ownership(), s.sessionId(), s.cacheSalt()};
                });
        List<Field> removed = List.of(
                new Field("block_hashes", Kind.HASHES, 0, true, true),
                new Field("medium", Kind.STRING, 1, false, true),
                new Field("group_idx", Kind.INT, 2, false, false),
                new Field("locality", Kind.STRING, 3, false, false),
                new Field("ownership", Kind.STRING, 4, false, false));
        REMOVED = new Type(BlockRemoved.TAG, removed, List.of(), new int[] {0, 1, 2, 3, 4}, 1, 3,
                List.of(removed.get(0), removed.get(1)), 2,
                v -> new BlockRemoved((long[]) v[0], (String) v[1], (Integer) v[2], (String) v[3], (String) v[4]),
                e -> {
                    BlockRemoved r = (BlockRemoved) e;
                    return new Object[] {r.blockHashes(), r.medium(), r.groupIdx(), r.locality(), r.ownership()};
                });
        CLEARED = new Type(AllBlocksCleared.TAG, List.of(), List.of(), new int[0], 0, 0, List.of(), 0,
                v -> new AllBlocksCleared(), e -> new Object[0]);
    }

    private EventSchema() {
    }

    /** The type a tag names, or null for a tag this build does not know. */
    public static Type forTag(String tag) {
        return switch (tag) {
            case BlockStored.TAG -> STORED;
            case BlockRemoved.TAG -> REMOVED;
            case AllBlocksCleared.TAG -> CLEARED;
            default -> null;
        };
    }

    /** The type of a known event, or null for an {@link io.kvevents.sdk.UnknownEvent}. */
    public static Type of(KvEvent event) {
        return forTag(event.type());
    }
}
