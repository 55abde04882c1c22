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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
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

    /** Event tags, as constants: a known tag read from the payload is one of these, not a new String. */
    private static final String[] TAGS = {BlockStored.TAG, BlockRemoved.TAG, AllBlocksCleared.TAG};
    /** The {@code medium} values nearly every event carries (vLLM's tiers), returned without a new String. */
    private static final String[] MEDIA = {"GPU", "CPU"};
    private static final String[] TYPE = {"type"};

    private static final VarHandle BIG_ENDIAN_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle BIG_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /** A BlockRemoved map's first two keys and the tag, as msgspec writes them (see {@link #removedInPlace}). */
    private static final byte[] REMOVED_HEAD = fixstrs("type", BlockRemoved.TAG, "block_hashes");
    private static final byte[] MEDIUM_KEY = fixstrs("medium");
    private static final byte[] GROUP_KEY = fixstrs("group_idx");
    /** {@link #MEDIA}'s values as fixstrs, in the same order. */
    private static final byte[][] MEDIA_VALUES = {fixstrs(MEDIA[0]), fixstrs(MEDIA[1])};
    /**
     * By a token's head byte, the bytes of its value after it: 0 for a positive fixint (the head is the value),
     * 1, 2, 4 for uint8, uint16, uint32; -1 for anything else.
     */
    private static final int[] TOKEN_TAIL = new int[256];

    static {
        Arrays.fill(TOKEN_TAIL, -1);
        Arrays.fill(TOKEN_TAIL, 0, 0x80, 0);
        TOKEN_TAIL[0xCC] = 1;
        TOKEN_TAIL[0xCD] = 2;
        TOKEN_TAIL[0xCE] = 4;
    }

    private final MessageUnpacker in;
    /** Where {@link #skipBytes} copies what it skips (msgpack-core's other ways past bytes allocate). */
    private final byte[] skipped = new byte[33];
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

    // ---- array (positional) events: vLLM 0.9 to 0.23, SGLang before its map events ----

    private KvEvent arrayEvent(int n) throws IOException {
        if (n == 0) {
            throw new MalformedPayloadException("event array is empty (no tag)");
        }
        String tag = tag();
        int fields = n - 1;
        EventSchema.Type type = EventSchema.forTag(tag);
        if (type == null) {
            List<Object> rest = new ArrayList<>(fields);
            for (int i = 0; i < fields; i++) {
                rest.add(value(0));
            }
            return new UnknownEvent(tag, rest);
        }
        if (fields < type.vllmArrayMinimum()) {
            throw new MalformedPayloadException(
                    tag + " array has " + fields + " fields, at least " + type.vllmArrayMinimum() + " expected");
        }
        Object[] slots = type.newSlots();
        for (int i = 0; i < fields; i++) {
            EventSchema.Field f = type.vllmAt(i);
            EventSchema.Field sglang = type.sglangAt(i);
            // Where the layouts part (vLLM's lora_name, SGLang's metadata map), the value's type says which.
            if (sglang != null && sglang != f && in.getNextFormat().getValueType() == ValueType.MAP) {
                f = sglang;
            }
            if (f == null) {
                in.skipValue(); // a field newer than this build: positional, so nothing after it can be ours
            } else {
                slots[f.slot()] = read(f);
            }
        }
        return type.build(slots);
    }

    // ---- map events: vLLM after 0.23, SGLang after its switch to maps ----

    private KvEvent mapEvent(int n) throws IOException {
        if (n == 0) {
            throw new MalformedPayloadException("event map is empty (no type)");
        }
        KvEvent removed = removedInPlace(n);
        if (removed != null) {
            return removed;
        }
        if (knownString(TYPE) == null) {
            String first = key();
            if (!first.equals("type")) {
                return reorderedMapEvent(first, n);
            }
        }
        String tag = tag();
        int rest = n - 1;
        EventSchema.Type type = EventSchema.forTag(tag);
        if (type == null) {
            Map<String, Object> fields = new LinkedHashMap<>();
            for (int i = 0; i < rest; i++) {
                fields.put(key(), value(0));
            }
            return new UnknownEvent(tag, fields);
        }
        Object[] slots = type.newSlots();
        for (int i = 0; i < rest; i++) {
            EventSchema.Field f = field(type);
            if (f == null) {
                in.skipValue();
            } else {
                slots[f.slot()] = read(f);
            }
        }
        for (EventSchema.Field f : type.fields()) {
            if (f.required() && slots[f.slot()] == null) {
                throw new MalformedPayloadException(tag + " lacks " + f.name());
            }
        }
        return type.build(slots);
    }

    /**
     * vLLM's BlockRemoved map read straight from the payload, or null, having moved nothing, for any other shape (the
     * general path then decodes it, or says what is wrong with it). An engine publishes one BlockRemoved per evicted
     * block, so at capacity they are most of a stream's events, and through the unpacker each cost about as much
     * as decoding a stored block's 16 tokens (docs/performance.md). The shape is what msgspec writes (vLLM b4e69e0
     * vllm/distributed/kv_events.py, {@code BlockRemoved(KVCacheEvent, tag=True)}; {@code map-removed} in the wire
     * vectors): the tag first, {@code block_hashes} as a fixarray of 64-bit or small non-negative ints, then
     * {@code medium} ("GPU", "CPU" or nil) and {@code group_idx} (a small int or nil) in either order or absent.
     */
    private KvEvent removedInPlace(int keys) throws IOException {
        byte[] b = payload;
        int start = (int) in.getTotalReadBytes();
        if (keys < 2 || keys > 4 || !fixstrsAt(start, REMOVED_HEAD)) {
            return null;
        }
        int p = start + REMOVED_HEAD.length;
        if (p >= size || (b[p] & 0xF0) != 0x90) {
            return null;
        }
        int count = b[p++] & 0x0F;
        if (p + 9 * count > size) {
            return null; // the hashes may not fit: the general path reads them, or says the payload is truncated
        }
        long[] hashes = new long[count];
        for (int i = 0; i < count; i++) {
            byte head = b[p];
            if (head == (byte) 0xCF || head == (byte) 0xD3) { // uint64, int64: the hash is the bit pattern either way
                hashes[i] = (long) BIG_ENDIAN_LONG.get(b, p + 1);
                p += 9;
            } else if (head >= 0) {
                hashes[i] = head;
                p++;
            } else {
                return null;
            }
        }
        String medium = null;
        Integer group = null;
        for (int k = 2; k < keys; k++) {
            if (fixstrsAt(p, MEDIUM_KEY)) {
                p += MEDIUM_KEY.length;
                int known = fixstrsAt(p, MEDIA_VALUES[0]) ? 0 : fixstrsAt(p, MEDIA_VALUES[1]) ? 1 : -1;
                if (known >= 0) {
                    medium = MEDIA[known];
                    p += MEDIA_VALUES[known].length;
                } else if (p < size && b[p] == (byte) 0xC0) {
                    medium = null;
                    p++;
                } else {
                    return null;
                }
            } else if (fixstrsAt(p, GROUP_KEY)) {
                p += GROUP_KEY.length;
                if (p < size && b[p] >= 0) {
                    group = (int) b[p];
                    p++;
                } else if (p < size && b[p] == (byte) 0xC0) {
                    group = null;
                    p++;
                } else {
                    return null;
                }
            } else {
                return null;
            }
        }
        in.readPayloadAsReference(p - start);
        return new BlockRemoved(hashes, medium, group, null, null);
    }

    /** True when the payload at {@code p} holds {@code expected} (fixstrs from {@link #fixstrs}). */
    private boolean fixstrsAt(int p, byte[] expected) {
        return p + expected.length <= size && Arrays.equals(payload, p, p + expected.length, expected, 0, expected.length);
    }

    /** ASCII strings of under 32 bytes, each as a msgpack fixstr, one after the other. */
    private static byte[] fixstrs(String... strings) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (String s : strings) {
            out.write(0xA0 | s.length());
            out.writeBytes(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    /** One field's value as the table's kind says; nil where the kind allows it. */
    private Object read(EventSchema.Field f) throws IOException {
        String name = f.name();
        return switch (f.kind()) {
            case HASHES -> hashes(name);
            case HASH -> optHash(name);
            case TOKENS -> tokens();
            case INT -> f.required() ? (Object) requiredInt(name) : optInt(name);
            case STRING -> optString(name);
            case LIST -> optList(name);
            case SALT_METADATA -> saltOf(name);
        };
    }

    /** SGLang's {@code metadata} map: its {@code cache_salt}, the only entry it has. */
    private String saltOf(String field) throws IOException {
        if (in.tryUnpackNil()) {
            return null;
        }
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.MAP) {
            throw wrongType(field, t);
        }
        int n = mapHeader();
        String salt = null;
        for (int i = 0; i < n; i++) {
            if (key().equals("cache_salt")) {
                salt = optString("metadata.cache_salt");
            } else {
                in.skipValue();
            }
        }
        return salt;
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
        String known = knownString(TAGS);
        return known != null ? known : in.unpackString();
    }

    /**
     * The field a map key names, or null for a key this build skips. Keys are compared as the payload's bytes:
     * a String made and hashed for every key of every event was a fifth of an ingest (docs/performance.md).
     */
    private EventSchema.Field field(EventSchema.Type type) throws IOException {
        int p = (int) in.getTotalReadBytes();
        int len = fixstrLength(p);
        if (len < 0) {
            return type.named(key()); // a longer or oddly encoded key: the general path
        }
        EventSchema.Field f = type.named(payload, p + 1, len);
        skipBytes(1 + len); // past the key: skipValue would decode its header again
        return f;
    }

    /**
     * When the next value is a short string spelled as one of {@code known}, moves past it and returns that
     * constant (nothing allocated); else returns null and moves nothing.
     */
    private String knownString(String[] known) throws IOException {
        int p = (int) in.getTotalReadBytes();
        int len = fixstrLength(p);
        if (len < 0) {
            return null;
        }
        for (String k : known) {
            if (k.length() == len && asciiEquals(k, p + 1)) {
                skipBytes(1 + len);
                return k;
            }
        }
        return null;
    }

    private boolean asciiEquals(String ascii, int from) {
        for (int i = 0; i < ascii.length(); i++) {
            if (payload[from + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Moves the unpacker past {@code n ≤ 33} bytes already read from the payload, without allocating. */
    private void skipBytes(int n) throws IOException {
        in.readPayload(skipped, 0, n);
    }

    /** The length of the fixstr (a string of under 32 bytes) at {@code p}, or -1 when there is none there. */
    private int fixstrLength(int p) {
        if (p >= size) {
            return -1;
        }
        int head = payload[p] & 0xFF;
        int len = head & 0x1F;
        return (head & 0xE0) == 0xA0 && p + 1 + len <= size ? len : -1;
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
        skipBytes(9);
        return bits;
    }

    /** No token ids: vLLM's Mooncake store connector sends nil when it has none (placeholder stores name hashes only). */
    private static final int[] NO_TOKENS = new int[0];

    private int[] tokens() throws IOException {
        if (in.tryUnpackNil()) {
            // vllm 5ac26849 mooncake/store/worker.py: token_ids=None when the request's tokens are not tracked; the
            // store then names blocks by hash alone, as the offloading connector's placeholders do with []
            return NO_TOKENS;
        }
        ValueType t = in.getNextFormat().getValueType();
        if (t != ValueType.ARRAY) {
            throw wrongType("token_ids", t);
        }
        int n = arrayHeader();
        int[] out = n == 0 ? NO_TOKENS : new int[n]; // the offloading connector's placeholders send [] (no tokens)
        int i = tokensInPlace(out);
        try {
            for (; i < n; i++) {
                if (in.getNextFormat().getValueType() == ValueType.ARRAY) {
                    out[i] = bigramFirst();
                } else {
                    out[i] = in.unpackInt(); // whatever the fast path left: unpackInt checks the type itself
                }
            }
        } catch (MessageTypeException e) {
            throw new MalformedPayloadException("token_ids has the wrong type: " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * SGLang with EAGLE-style speculative decoding keys its pages by (token, next token) pairs and publishes
     * {@code token_ids} as those pairs (sglang mem_cache/events.py, {@code page_tokens = [(raw[j], raw[j + 1])
     * …]}): the page's own token is the first of each pair.
     */
    private int bigramFirst() throws IOException {
        int n = arrayHeader();
        if (n == 0) {
            throw new MalformedPayloadException("token_ids holds an empty array where a token or a (token, next) pair belongs");
        }
        int first = in.unpackInt();
        skip(n - 1);
        return first;
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
        // Without a branch on the encoding: a vocabulary's ids are uint16 or uint32 at random (Llama 3's 128 K),
        // and a branch on which one was mispredicted every other token. Reads four bytes past the head whatever
        // the encoding, so it stops five bytes before the payload's end and the loop below takes the rest.
        for (int end = b.length - 5; i < out.length && p <= end; i++) {
            int head = b[p] & 0xFF;
            int tail = TOKEN_TAIL[head];
            // the tail's bytes are the high ones of the word after the head: shifting the rest out zero-fills
            int word = (int) BIG_ENDIAN_INT.get(b, p + 1) >>> (32 - 8 * tail);
            int value = tail == 0 ? head : word;
            if (tail < 0 || value < 0) {
                break; // not a token encoding we read here (or a uint32 of 2³¹ and more): msgpack-core decides
            }
            out[i] = value;
            p += 1 + tail;
        }
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
        String known = knownString(MEDIA);
        return known != null ? known : in.unpackString();
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
