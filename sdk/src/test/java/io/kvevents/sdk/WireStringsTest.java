package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/** Field names, tags and media decode alike in every msgpack string encoding; an unknown tag stays unknown. */
class WireStringsTest {

    /** A batch of one map-form BlockRemoved; {@code str8} writes the strings in the 0xd9 form, not fixstr. */
    private static byte[] removed(String type, String medium, boolean str8) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(2).packDouble(1.0).packArrayHeader(1).packMapHeader(3);
            string(p, "type", str8);
            string(p, type, str8);
            string(p, "block_hashes", str8);
            p.packArrayHeader(1).packLong(42);
            string(p, "medium", str8);
            string(p, medium, str8);
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void string(MessageBufferPacker p, String s, boolean str8) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        if (str8) {
            p.writePayload(new byte[] {(byte) 0xd9, (byte) utf8.length});
            p.writePayload(utf8);
        } else {
            p.packString(s);
        }
    }

    @Test
    void knownStringsInEitherEncodingAndUnknownOnesDecodeAlike() {
        BlockRemoved expected = BlockRemoved.of("GPU", 42);
        assertEquals(expected, Wire.decode(removed("BlockRemoved", "GPU", false)).events().get(0));
        assertEquals(expected, Wire.decode(removed("BlockRemoved", "GPU", true)).events().get(0));
        assertEquals(BlockRemoved.of("gpu", 42), Wire.decode(removed("BlockRemoved", "gpu", false)).events().get(0));
        assertEquals(BlockRemoved.of("CPU_TIER_2", 42),
                Wire.decode(removed("BlockRemoved", "CPU_TIER_2", false)).events().get(0));
        KvEvent unknown = Wire.decode(removed("BlockRemovedX", "GPU", false)).events().get(0);
        assertEquals(UnknownEvent.class, unknown.getClass(), "a tag that starts like a known one is not it");
    }
}
