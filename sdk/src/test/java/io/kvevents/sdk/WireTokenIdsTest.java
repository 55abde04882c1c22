package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/** Token ids are read straight from the payload where they are plain non-negative ints; msgpack-core reads the rest. */
class WireTokenIdsTest {

    /** A one-event batch whose 16 token ids are the given msgpack bytes, written as they are. */
    private static byte[] blockStoredWithTokenBytes(String tokenHex) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(2).packDouble(1.0).packArrayHeader(1);
            p.packArrayHeader(6).packString("BlockStored");
            p.packArrayHeader(1).packLong(7);
            p.packNil();
            byte[] tokens = HexFormat.of().parseHex(tokenHex.replace(" ", ""));
            p.packArrayHeader(16).writePayload(tokens);
            p.packInt(16).packNil(); // block_size, lora_id
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] tokensOf(byte[] payload) {
        return ((BlockStored) Wire.decode(payload).events().get(0)).tokenIds();
    }

    @Test
    void everyIntEncodingOfATokenIdDecodesToItsValue() {
        // fixint, uint8, uint16, uint32 (vLLM's smallest forms), a uint32 that could have been smaller, the
        // largest int, then forms only msgpack-core reads (int8, int16, uint64): from there msgpack-core reads
        // the rest of the array, the fast forms too
        String hex = "05 cc c8 cd 0100 ce 00010000 ce 00000007 ce 7fffffff 00 7f"
                + " d0 05 d1 0100 cf 0000000000000009 cd ffff cc ff 01 02 03";
        assertArrayEquals(new int[] {5, 200, 256, 65536, 7, Integer.MAX_VALUE, 0, 127, 5, 256, 9, 65535, 255, 1, 2, 3},
                tokensOf(blockStoredWithTokenBytes(hex)));
    }

    @Test
    void aTokenIdBeyondAnIntOrOfAnotherTypeIsRefusedAsBefore() {
        String tooLarge = "ce 80000000" + " 01".repeat(15);
        MalformedPayloadException e = assertThrows(MalformedPayloadException.class,
                () -> Wire.decode(blockStoredWithTokenBytes(tooLarge)));
        assertTrue(e.getMessage().startsWith("token_ids has the wrong type"), e.getMessage());
        String aString = "01 a1 78" + " 01".repeat(14);
        assertThrows(MalformedPayloadException.class, () -> Wire.decode(blockStoredWithTokenBytes(aString)));
    }

    /**
     * The fast loop reads four bytes past each token's head, so it stops five bytes before the payload's end: token
     * ids that end the payload (a map event whose last key is token_ids) are read by the loop after it, in every form.
     */
    @Test
    void tokenIdsThatEndThePayloadDecodeInEveryForm() throws IOException {
        Random random = new Random(23);
        for (int i = 0; i < 2_000; i++) {
            int[] tokens = new int[1 + random.nextInt(20)];
            try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
                p.packArrayHeader(2).packDouble(1.0).packArrayHeader(1).packMapHeader(4);
                p.packString("type").packString("BlockStored");
                p.packString("block_hashes").packArrayHeader(1).packLong(7);
                p.packString("block_size").packInt(tokens.length);
                p.packString("token_ids").packArrayHeader(tokens.length);
                for (int j = 0; j < tokens.length; j++) {
                    tokens[j] = random.nextInt() >>> (32 - (random.nextInt(31) + 1)) & Integer.MAX_VALUE;
                    p.packInt(tokens[j]);
                }
                assertArrayEquals(tokens, tokensOf(p.toByteArray()));
            }
        }
    }

    /** In the payload's last five bytes the loop after the fast one reads; forms it does not read go to msgpack-core. */
    @Test
    void aTokenInTheLastBytesInAnotherFormIsLeftToMsgpackCore() throws IOException {
        assertArrayEquals(new int[] {1, 2, 5}, tokensOf(storedEndingWith(3, "01 02 d0 05")));
        assertArrayEquals(new int[] {1, 70_000}, tokensOf(storedEndingWith(2, "01 ce 00011170")));
        MalformedPayloadException tooLarge = assertThrows(MalformedPayloadException.class,
                () -> Wire.decode(storedEndingWith(2, "01 ce 80000000")));
        assertTrue(tooLarge.getMessage().startsWith("token_ids has the wrong type"), tooLarge.getMessage());
        assertThrows(MalformedPayloadException.class, () -> Wire.decode(storedEndingWith(2, "01 a1 78")));
    }

    /** A map-form BlockStored whose last key is token_ids: {@code count} ids, written as the given bytes. */
    private static byte[] storedEndingWith(int count, String tokenHex) throws IOException {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(2).packDouble(1.0).packArrayHeader(1).packMapHeader(4);
            p.packString("type").packString("BlockStored");
            p.packString("block_hashes").packArrayHeader(1).packLong(7);
            p.packString("block_size").packInt(count);
            p.packString("token_ids").packArrayHeader(count).writePayload(HexFormat.of().parseHex(tokenHex.replace(" ", "")));
            return p.toByteArray();
        }
    }

    @Test
    void randomTokenIdsOfEverySizeRoundTrip() {
        Random random = new Random(17);
        for (int i = 0; i < 2_000; i++) {
            int[] tokens = new int[16 * (1 + random.nextInt(4))];
            for (int j = 0; j < tokens.length; j++) {
                int bits = random.nextInt(31) + 1; // 1..31 bits: every smallest form
                tokens[j] = random.nextInt() >>> (32 - bits) & Integer.MAX_VALUE;
            }
            long[] hashes = new long[tokens.length / 16];
            BlockStored stored = BlockStored.of(hashes, null, tokens, 16);
            byte[] payload = Wire.encode(new EventBatch(1.0, java.util.List.of(stored), 0));
            assertArrayEquals(tokens, ((BlockStored) Wire.decode(payload).events().get(0)).tokenIds());
        }
    }

    /**
     * vLLM's Mooncake store connector sends {@code token_ids=None} when it tracks no tokens for the request (vllm
     * 5ac26849 vllm/distributed/kv_transfer/kv_connector/v1/mooncake/store/worker.py): a store named by hashes alone,
     * as the offloading connector's placeholders (empty token ids). Before, nil was a wrong type, and the whole batch
     * (with the GPU events of the same scheduler step) was dropped as malformed. Found in review against 5ac26849.
     */
    @Test
    void nilTokenIdsAreAStoreNamedByHashesAlone() throws IOException {
        byte[] payload;
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(2).packDouble(1.0).packArrayHeader(1);
            p.packArrayHeader(7).packString("BlockStored");
            p.packArrayHeader(1).packLong(7);
            p.packNil(); // parent_block_hash
            p.packNil(); // token_ids
            p.packInt(256).packNil().packString("cpu"); // block_size, lora_id, medium
            payload = p.toByteArray();
        }
        BlockStored stored = (BlockStored) Wire.decode(payload).events().get(0);
        assertEquals(0, stored.tokenIds().length);
        assertEquals("cpu", stored.medium());
    }
}
