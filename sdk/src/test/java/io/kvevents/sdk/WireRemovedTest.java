package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * BlockRemoved maps, one per evicted block (vllm-project/vllm b4e69e0 vllm/distributed/kv_events.py: {@code
 * BlockRemoved(KVCacheEvent, tag=True)} of {@code block_hashes}; SGLang's radix caches append
 * {@code BlockRemoved(block_hashes=[block_hash], medium=MEDIUM_GPU)} a page at a time; the map form with {@code medium}
 * and {@code group_idx} is the {@code map-removed} wire vector), are read straight from the payload when they have
 * msgspec's shape and by the general decoder otherwise: every variation below decodes to the same event either way,
 * and a batch of them leaves the decoder where the next event starts.
 */
class WireRemovedTest {
    /** What to write as a value: a Java value, or {@link #NIL}. */
    private static final Object NIL = new Object();

    /** One map-form BlockRemoved: keys and values alternate ("type" first unless the caller says otherwise). */
    private static void event(MessageBufferPacker p, Object... keysAndValues) throws IOException {
        p.packMapHeader(keysAndValues.length / 2);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            p.packString((String) keysAndValues[i]);
            value(p, keysAndValues[i + 1]);
        }
    }

    private static void value(MessageBufferPacker p, Object v) throws IOException {
        if (v == NIL) {
            p.packNil();
        } else if (v instanceof String s) {
            p.packString(s);
        } else if (v instanceof Integer n) {
            p.packInt(n);
        } else if (v instanceof BigInteger n) {
            p.packBigInteger(n);
        } else if (v instanceof Object[] hashes) {
            p.packArrayHeader(hashes.length);
            for (Object h : hashes) {
                value(p, h);
            }
        } else {
            p.packLong((Long) v);
        }
    }

    private static byte[] batch(List<Object[]> events) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(3).packDouble(1757500000.25).packArrayHeader(events.size());
            for (Object[] e : events) {
                event(p, e);
            }
            p.packInt(0);
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Object[] hashes(Object... hashes) {
        return hashes;
    }

    @Test
    void everyShapeDecodesToTheSameEvent() {
        long big = new BigInteger("18446744073709551615").longValue(); // uint64 max: bits all set
        List<Object[]> events = new ArrayList<>();
        List<BlockRemoved> expected = new ArrayList<>();
        // msgspec's own shapes
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", hashes(42L), "medium", "GPU", "group_idx", 0});
        expected.add(new BlockRemoved(new long[] {42}, "GPU", 0, null, null));
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", hashes(new BigInteger("18446744073709551615"),
                Long.MIN_VALUE, 0L, 127L, 1L << 40), "medium", "CPU"});
        expected.add(new BlockRemoved(new long[] {big, Long.MIN_VALUE, 0, 127, 1L << 40}, "CPU", null, null, null));
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", hashes(), "group_idx", 127, "medium", NIL});
        expected.add(new BlockRemoved(new long[0], null, 127, null, null));
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", hashes(7L)});
        expected.add(new BlockRemoved(new long[] {7}, null, null, null, null));
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", hashes(7L), "medium", "GPU", "group_idx", NIL});
        expected.add(new BlockRemoved(new long[] {7}, "GPU", null, null, null));
        // shapes the general decoder reads: other int forms, other media, larger groups, other keys, orders, lengths
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", hashes(128L, -1L, 70_000L), "medium", "GPU"});
        expected.add(new BlockRemoved(new long[] {128, -1, 70_000}, "GPU", null, null, null));
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", hashes(1L), "medium", "gpu", "group_idx", 300});
        expected.add(new BlockRemoved(new long[] {1}, "gpu", 300, null, null));
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", hashes(1L), "medium", "CPU_TIER_2",
            "group_idx", -1});
        expected.add(new BlockRemoved(new long[] {1}, "CPU_TIER_2", -1, null, null));
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", hashes(1L), "medium", "GPU", "group_idx", 1,
            "locality", "remote"});
        expected.add(new BlockRemoved(new long[] {1}, "GPU", 1, "remote", null));
        events.add(new Object[] {"type", "BlockRemoved", "medium", "GPU", "block_hashes", hashes(2L)});
        expected.add(new BlockRemoved(new long[] {2}, "GPU", null, null, null));
        events.add(new Object[] {"block_hashes", hashes(3L), "type", "BlockRemoved", "medium", "GPU"});
        expected.add(new BlockRemoved(new long[] {3}, "GPU", null, null, null));
        Object[] sixteen = new Object[16];
        long[] sixteenHashes = new long[16];
        for (int i = 0; i < 16; i++) {
            sixteen[i] = (long) i << 50;
            sixteenHashes[i] = (long) i << 50;
        }
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", sixteen, "medium", "GPU"});
        expected.add(new BlockRemoved(sixteenHashes, "GPU", null, null, null));
        events.add(new Object[] {"type", "BlockRemoved", "block_hashes", Arrays.copyOf(sixteen, 15), "medium", "GPU"});
        expected.add(new BlockRemoved(Arrays.copyOf(sixteenHashes, 15), "GPU", null, null, null));

        // one batch of all of them (each must leave the decoder at the next), and each alone
        assertEquals(expected, Wire.decode(batch(events)).events());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(List.of(expected.get(i)), Wire.decode(batch(java.util.Collections.singletonList(events.get(i)))).events(), "event " + i);
        }
    }

    @Test
    void aRemovalCutShortAnywhereIsAMalformedPayload() {
        byte[] whole = batch(java.util.Collections.singletonList(new Object[] {"type", "BlockRemoved", "block_hashes",
            hashes(new BigInteger("9223372036854775808"), 5L), "medium", "GPU", "group_idx", 0}));
        for (int cut = 1; cut < whole.length - 1; cut++) { // the last byte is the rank, which is optional
            byte[] part = Arrays.copyOf(whole, cut);
            assertThrows(MalformedPayloadException.class, () -> Wire.decode(part), "cut at " + cut);
        }
    }

    /** The wire vector of vLLM's own BlockRemoved: the event read straight from the payload, and nothing after it. */
    @Test
    void vllmsRemovalVectorIsReadWhole() {
        byte[] vector = java.util.HexFormat.of().parseHex("93cb41da3054981000009184a474797065ac426c6f636b52656d6f766564"
                + "ac626c6f636b5f68617368657391cf26470bbec927f5bfa66d656469756da3475055a967726f75705f6964780000");
        EventBatch batch = Wire.decode(vector);
        assertEquals(List.of(new BlockRemoved(new long[] {2758186210834249151L}, "GPU", 0, null, null)), batch.events());
        assertEquals(0, batch.dataParallelRank());
    }
}
