package io.kvevents.internal.wire;

import io.kvevents.sdk.AllBlocksCleared;
import io.kvevents.sdk.BlockHashes;
import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.KvEvent;
import io.kvevents.sdk.MalformedPayloadException;
import io.kvevents.sdk.UnknownEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageFormatException;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageSizeException;
import org.msgpack.core.MessageTypeException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Decodes vLLM event batches of every version: batch as array (2 or 3 elements) or map, each event
 * as a map keyed by field name or as a positional array of any length ≥ its minimum.
 *
 * <p>Every failure surfaces as {@link MalformedPayloadException}; lengths are checked against the
 * bytes left before anything is allocated, so a hostile header cannot exhaust memory.
 */
public final class WireDecoder {
    /** Nesting allowed inside opaque values (extra_keys, unknown events) before the payload is refused. */
    private static final int MAX_DEPTH = 32;
    /**
     * msgpack-core allocates its string decoding buffer (8,192 chars by default) for every unpacker;
     * event keys and tags are short, so a small one keeps that allocation off the hot path.
     */
    private static final MessagePack.UnpackerConfig UNPACKER = new MessagePack.UnpackerConfig()
            .withStringDecoderBufferSize(64);

    private final MessageUnpacker in;
    private final byte[] payload;
    private final int size;

    private WireDecoder(byte[] payload) {
        this.in = UNPACKER.newUnpacker(payload);
        this.payload = payload;
        this.size = payload.length;
    }

    /** Decodes one payload; see {@link io.kvevents.sdk.Wire#decode}. */
    public static EventBatch decode(byte[] payload) {
        if (payload == null || payload.length == 0) {
            throw new MalformedPayloadException("empty payload");
        }
        WireDecoder d = new WireDecoder(payload);
        try {
            EventBatch batch = d.batch();
            if (d.in.hasNext()) {
                throw new MalformedPayloadException(
                        "trailing bytes: " + (d.size - d.in.getTotalReadBytes()) + " bytes after the batch");
            }
            return batch;
        } catch (MalformedPayloadException e) {
            throw e;
        } catch (MessageInsufficientBufferException e) {
            throw new MalformedPayloadException("truncated: the payload ends inside a value", e);
        } catch (MessageSizeException e) {
            throw new MalformedPayloadException("truncated or too large: a length header claims more than the payload holds", e);
        } catch (MessageFormatException e) {
            throw new MalformedPayloadException("not msgpack: " + e.getMessage(), e);
        } catch (MessageTypeException e) {
            throw new MalformedPayloadException("wrong type: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new MalformedPayloadException("undecodable msgpack: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } finally {
            try {
                d.in.close();
            } catch (IOException ignored) {
                // a byte-array input has nothing to release
            }
        }
    }

    private EventBatch batch() throws IOException {
        ValueType t = in.getNextFormat().getValueType();
        if (t == ValueType.ARRAY) {
            int n = arrayHeader();
            if (n < 2) {
                throw new MalformedPayloadException("batch is not an array of [ts, events, …] (it has " + n + " elements)");
            }
            double ts = timestamp();
            List<KvEvent> events = events();
            Integer rank = n >= 3 ? optInt("data_parallel_rank") : null;
            skip(n - 3);
            return new EventBatch(ts, events, rank);
        }
        if (t == ValueType.MAP) {
            int n = mapHeader();
            Double ts = null;
            List<KvEvent> events = null;
            Integer rank = null;
            for (int i = 0; i < n; i++) {
                switch (key()) {
                    case "ts" -> ts = timestamp();
                    case "events" -> events = events();
                    case "data_parallel_rank" -> rank = optInt("data_parallel_rank");
                    default -> in.skipValue();
                }
            }
            if (ts == null || events == null) {
                throw new MalformedPayloadException("batch map lacks " + (ts == null ? "ts" : "events"));
            }
            return new EventBatch(ts, events, rank);
        }
        throw new MalformedPayloadException("batch is not an array (or map): it is " + describe(t));
    }

    private double timestamp() throws IOException {
        ValueType t = in.getNextFormat().getValueType();
        return switch (t) {
            case FLOAT -> in.unpackDouble();
            case INTEGER -> in.unpackLong();
            default -> throw new MalformedPayloadException("ts is not a number: it is " + describe(t));
        };
    }

    private List<KvEvent> events() throws IOException {
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.ARRAY) {
            throw new MalformedPayloadException("events is not an array: it is " + describe(t));
        }
        int n = arrayHeader();
        List<KvEvent> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(event());
        }
        return events;
    }

    private KvEvent event() throws IOException {
        ValueType t = in.getNextFormat().getValueType();
        if (t == ValueType.ARRAY) {
            return arrayEvent(arrayHeader());
        }
        if (t == ValueType.MAP) {
            return mapEvent(mapHeader());
        }
        throw new MalformedPayloadException("event is not an array or map: it is " + describe(t));
    }

    // ---- array (positional) events: vLLM 0.9 to 0.23 ----

    private KvEvent arrayEvent(int n) throws IOException {
        if (n == 0) {
            throw new MalformedPayloadException("event array is empty (no tag)");
        }
        String tag = tag();
        int fields = n - 1;
        switch (tag) {
            case BlockStored.TAG -> {
                requireFields(tag, fields, 5);
                long[] hashes = hashes("block_hashes");
                Long parent = optHash("parent_block_hash");
                int[] tokens = tokens();
                int blockSize = requiredInt("block_size");
                Integer loraId = optInt("lora_id");
                String medium = fields > 5 ? optString("medium") : null;
                String loraName = fields > 6 ? optString("lora_name") : null;
                List<?> extraKeys = fields > 7 ? optList("extra_keys") : null;
                Integer groupIdx = fields > 8 ? optInt("group_idx") : null;
                String specKind = fields > 9 ? optString("kv_cache_spec_kind") : null;
                Integer window = fields > 10 ? optInt("kv_cache_spec_sliding_window") : null;
                String locality = fields > 11 ? optString("locality") : null;
                String ownership = fields > 12 ? optString("ownership") : null;
                String session = fields > 13 ? optString("session_id") : null;
                skip(fields - 14);
                return new BlockStored(hashes, parent, tokens, blockSize, loraId, medium, loraName, extraKeys,
                        groupIdx, specKind, window, locality, ownership, session);
            }
            case BlockRemoved.TAG -> {
                requireFields(tag, fields, 1);
                long[] hashes = hashes("block_hashes");
                String medium = fields > 1 ? optString("medium") : null;
                Integer groupIdx = fields > 2 ? optInt("group_idx") : null;
                String locality = fields > 3 ? optString("locality") : null;
                String ownership = fields > 4 ? optString("ownership") : null;
                skip(fields - 5);
                return new BlockRemoved(hashes, medium, groupIdx, locality, ownership);
            }
            case AllBlocksCleared.TAG -> {
                skip(fields);
                return new AllBlocksCleared();
            }
            default -> {
                List<Object> rest = new ArrayList<>(fields);
                for (int i = 0; i < fields; i++) {
                    rest.add(value(0));
                }
                return new UnknownEvent(tag, rest);
            }
        }
    }

    private static void requireFields(String tag, int fields, int min) {
        if (fields < min) {
            throw new MalformedPayloadException(
                    tag + " array has " + fields + " fields, at least " + min + " expected");
        }
    }

    // ---- map events: vLLM after 0.23 ----

    private KvEvent mapEvent(int n) throws IOException {
        if (n == 0) {
            throw new MalformedPayloadException("event map is empty (no type)");
        }
        String first = key();
        if (!first.equals("type")) {
            return reorderedMapEvent(first, n);
        }
        String tag = tag();
        int rest = n - 1;
        return switch (tag) {
            case BlockStored.TAG -> storedFields(rest);
            case BlockRemoved.TAG -> removedFields(rest);
            case AllBlocksCleared.TAG -> {
                for (int i = 0; i < rest; i++) {
                    in.skipValue();
                    in.skipValue();
                }
                yield new AllBlocksCleared();
            }
            default -> {
                Map<String, Object> fields = new LinkedHashMap<>();
                for (int i = 0; i < rest; i++) {
                    fields.put(key(), value(0));
                }
                yield new UnknownEvent(tag, fields);
            }
        };
    }

    private BlockStored storedFields(int n) throws IOException {
        long[] hashes = null;
        Long parent = null;
        int[] tokens = null;
        Integer blockSize = null;
        Integer loraId = null;
        String medium = null;
        String loraName = null;
        List<?> extraKeys = null;
        Integer groupIdx = null;
        String specKind = null;
        Integer window = null;
        String locality = null;
        String ownership = null;
        String session = null;
        for (int i = 0; i < n; i++) {
            switch (key()) {
                case "block_hashes" -> hashes = hashes("block_hashes");
                case "parent_block_hash" -> parent = optHash("parent_block_hash");
                case "token_ids" -> tokens = tokens();
                case "block_size" -> blockSize = requiredInt("block_size");
                case "lora_id" -> loraId = optInt("lora_id");
                case "medium" -> medium = optString("medium");
                case "lora_name" -> loraName = optString("lora_name");
                case "extra_keys" -> extraKeys = optList("extra_keys");
                case "group_idx" -> groupIdx = optInt("group_idx");
                case "kv_cache_spec_kind" -> specKind = optString("kv_cache_spec_kind");
                case "kv_cache_spec_sliding_window" -> window = optInt("kv_cache_spec_sliding_window");
                case "locality" -> locality = optString("locality");
                case "ownership" -> ownership = optString("ownership");
                case "session_id" -> session = optString("session_id");
                default -> in.skipValue();
            }
        }
        if (hashes == null || tokens == null || blockSize == null) {
            throw new MalformedPayloadException("BlockStored lacks "
                    + (hashes == null ? "block_hashes" : tokens == null ? "token_ids" : "block_size"));
        }
        return new BlockStored(hashes, parent, tokens, blockSize, loraId, medium, loraName, extraKeys,
                groupIdx, specKind, window, locality, ownership, session);
    }

    private BlockRemoved removedFields(int n) throws IOException {
        long[] hashes = null;
        String medium = null;
        Integer groupIdx = null;
        String locality = null;
        String ownership = null;
        for (int i = 0; i < n; i++) {
            switch (key()) {
                case "block_hashes" -> hashes = hashes("block_hashes");
                case "medium" -> medium = optString("medium");
                case "group_idx" -> groupIdx = optInt("group_idx");
                case "locality" -> locality = optString("locality");
                case "ownership" -> ownership = optString("ownership");
                default -> in.skipValue();
            }
        }
        if (hashes == null) {
            throw new MalformedPayloadException("BlockRemoved lacks block_hashes");
        }
        return new BlockRemoved(hashes, medium, groupIdx, locality, ownership);
    }

    /**
     * msgspec always writes the tag first; another encoder may not. Read the map as plain values,
     * put "type" first and decode that, so there is one decoding path for every field.
     */
    private KvEvent reorderedMapEvent(String firstKey, int n) throws IOException {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put(firstKey, value(0));
        for (int i = 1; i < n; i++) {
            fields.put(key(), value(0));
        }
        Object tag = fields.remove("type");
        if (tag == null) {
            throw new MalformedPayloadException("event map has no type");
        }
        if (!(tag instanceof String)) {
            throw new MalformedPayloadException("event tag is not a string: it is " + tag);
        }
        Map<String, Object> ordered = new LinkedHashMap<>();
        ordered.put("type", tag);
        ordered.putAll(fields);
        byte[] again = WireEncoder.encodeValue(List.of(0.0, List.of(ordered)));
        return decode(again).events().get(0);
    }

    // ---- field readers ----

    private String tag() throws IOException {
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.STRING) {
            throw new MalformedPayloadException("event tag is not a string: it is " + describe(t));
        }
        return in.unpackString();
    }

    private String key() throws IOException {
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.STRING) {
            throw new MalformedPayloadException("map key is not a string: it is " + describe(t));
        }
        return in.unpackString();
    }

    private long[] hashes(String field) throws IOException {
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.ARRAY) {
            throw wrongType(field, t);
        }
        int n = arrayHeader();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = hash(field);
        }
        return out;
    }

    private Long optHash(String field) throws IOException {
        return in.tryUnpackNil() ? null : hash(field);
    }

    private long hash(String field) throws IOException {
        MessageFormat f = in.getNextFormat();
        switch (f.getValueType()) {
            case INTEGER:
                // uint64 ≥ 2^63 does not fit unpackLong; its bit pattern is the hash.
                return f == MessageFormat.UINT64 ? uint64Bits() : in.unpackLong();
            case BINARY:
                int len = in.unpackBinaryHeader();
                checkLength(len, 1);
                return BlockHashes.fromBytes(in.readPayload(len));
            default:
                throw wrongType(field, f.getValueType());
        }
    }

    /**
     * A uint64's bit pattern, read from the payload: half of all 64-bit engine hashes are ≥ 2⁶³, and
     * msgpack-core offers them only as a BigInteger, an allocation per hash.
     */
    private long uint64Bits() throws IOException {
        int p = (int) in.getTotalReadBytes();
        if (p + 8 >= size) {
            return in.unpackBigInteger().longValue(); // truncated: msgpack-core says so
        }
        long bits = 0;
        for (int i = 1; i <= 8; i++) {
            bits = bits << 8 | payload[p + i] & 0xFF;
        }
        in.skipValue();
        return bits;
    }

    private int[] tokens() throws IOException {
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.ARRAY) {
            throw wrongType("token_ids", t);
        }
        int n = arrayHeader();
        int[] out = new int[n];
        int i = tokensInPlace(out);
        try {
            for (; i < n; i++) {
                out[i] = in.unpackInt(); // whatever the fast path left: unpackInt checks the type itself
            }
        } catch (MessageTypeException e) {
            throw new MalformedPayloadException("token_ids has the wrong type: " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Reads token ids straight from the payload while they are encoded as vLLM's msgpack encodes
     * non-negative ints (positive fixint, uint8, uint16, uint32 up to 2³¹ − 1), then moves the unpacker past
     * them; returns how many it read. Token ids are nearly all of a batch's bytes, and msgpack-core has no
     * call for an array of ints: one {@code unpackInt} per token was half the cost of a decode. Anything
     * else (another int encoding, a wrong type, a truncated value) is left to msgpack-core from there on.
     */
    private int tokensInPlace(int[] out) throws IOException {
        byte[] b = payload;
        int start = (int) in.getTotalReadBytes();
        int p = start;
        int i = 0;
        for (; i < out.length && p < b.length; i++) {
            int head = b[p];
            if (head >= 0) {
                out[i] = head;
                p++;
            } else if (head == (byte) 0xCD && p + 2 < b.length) {
                out[i] = (b[p + 1] & 0xFF) << 8 | b[p + 2] & 0xFF;
                p += 3;
            } else if (head == (byte) 0xCE && p + 4 < b.length && b[p + 1] >= 0) {
                out[i] = (b[p + 1] & 0xFF) << 24 | (b[p + 2] & 0xFF) << 16 | (b[p + 3] & 0xFF) << 8 | b[p + 4] & 0xFF;
                p += 5;
            } else if (head == (byte) 0xCC && p + 1 < b.length) {
                out[i] = b[p + 1] & 0xFF;
                p += 2;
            } else {
                break;
            }
        }
        if (p > start) {
            in.readPayloadAsReference(p - start);
        }
        return i;
    }

    private int requiredInt(String field) throws IOException {
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.INTEGER) {
            throw wrongType(field, t);
        }
        return in.unpackInt();
    }

    private Integer optInt(String field) throws IOException {
        return in.tryUnpackNil() ? null : requiredInt(field);
    }

    private String optString(String field) throws IOException {
        if (in.tryUnpackNil()) {
            return null;
        }
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.STRING) {
            throw wrongType(field, t);
        }
        return in.unpackString();
    }

    private List<?> optList(String field) throws IOException {
        if (in.tryUnpackNil()) {
            return null;
        }
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.ARRAY) {
            throw wrongType(field, t);
        }
        return (List<?>) value(0);
    }

    /** Any msgpack value as a plain Java value, depth-limited. */
    private Object value(int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new MalformedPayloadException("values nested deeper than " + MAX_DEPTH);
        }
        MessageFormat f = in.getNextFormat();
        switch (f.getValueType()) {
            case NIL:
                in.unpackNil();
                return null;
            case BOOLEAN:
                return in.unpackBoolean();
            case INTEGER:
                return f == MessageFormat.UINT64 ? (Object) in.unpackBigInteger() : (Object) in.unpackLong();
            case FLOAT:
                return in.unpackDouble();
            case STRING:
                return in.unpackString();
            case BINARY: {
                int len = in.unpackBinaryHeader();
                checkLength(len, 1);
                return in.readPayload(len);
            }
            case ARRAY: {
                int n = arrayHeader();
                List<Object> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(value(depth + 1));
                }
                return list;
            }
            case MAP: {
                int n = mapHeader();
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    map.put(value(depth + 1), value(depth + 1));
                }
                return map;
            }
            default:
                throw new MalformedPayloadException("unsupported msgpack extension value");
        }
    }

    // ---- lengths ----

    private int arrayHeader() throws IOException {
        int n = in.unpackArrayHeader();
        checkLength(n, 1);
        return n;
    }

    private int mapHeader() throws IOException {
        int n = in.unpackMapHeader();
        checkLength(n, 2);
        return n;
    }

    /** Every element takes at least one byte: a count beyond the bytes left is a lie, refused before allocating. */
    private void checkLength(int n, int minBytesEach) {
        long left = size - in.getTotalReadBytes();
        if (n < 0 || (long) n * minBytesEach > left) {
            throw new MalformedPayloadException("truncated or too large: a header claims " + Integer.toUnsignedString(n)
                    + " elements with " + left + " bytes left");
        }
    }

    private void skip(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            in.skipValue();
        }
    }

    private static MalformedPayloadException wrongType(String field, ValueType t) {
        return new MalformedPayloadException(field + " has the wrong type: " + describe(t));
    }

    private static String describe(ValueType t) {
        return "a msgpack " + t.name().toLowerCase();
    }
}
