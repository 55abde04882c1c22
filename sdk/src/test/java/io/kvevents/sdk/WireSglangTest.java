package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.testing.GoldenVectors;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 #8: SGLang's events, from real msgspec bytes of each layout (sglang-vectors.json names the upstream
 * files and commits the structs follow).
 */
class WireSglangTest {
    private static final int[] ONE_TO_EIGHT = IntStream.rangeClosed(1, 8).toArray();

    @Test
    void aSaltedArrayEventOfEightElementsDecodesWithItsSaltInsteadOfDroppingTheBatch() {
        EventBatch batch = Wire.decode(GoldenVectors.sglangNamed("sglang-array-salted").payload());
        assertEquals(0, batch.dataParallelRank());
        BlockStored s = (BlockStored) batch.events().get(0);
        assertArrayEquals(new long[] {-5, 7}, s.blockHashes(), "hash_str_to_int64 is signed: -5 is its bit pattern");
        assertNull(s.parentBlockHash());
        assertArrayEquals(ONE_TO_EIGHT, s.tokenIds());
        assertEquals(4, s.blockSize());
        assertEquals("GPU", s.medium());
        assertEquals("tenant-a", s.cacheSalt());
        assertNull(s.loraName(), "SGLang's metadata map is not vLLM's lora_name at the same position");
    }

    @Test
    void unsaltedArrayEventsRemovalsAndClearsDecode() {
        EventBatch batch = Wire.decode(GoldenVectors.sglangNamed("sglang-array-unsalted").payload());
        assertEquals(1, batch.dataParallelRank());
        BlockStored s = (BlockStored) batch.events().get(0);
        assertEquals(-5L, s.parentBlockHash());
        assertNull(s.medium());
        assertNull(s.cacheSalt());
        assertEquals(BlockRemoved.of("CPU_PINNED", 7), batch.events().get(1));
        assertEquals(new AllBlocksCleared(), batch.events().get(2));
    }

    @Test
    void mapEventsAfter37482CarryCacheSaltAndSessionId() {
        EventBatch batch = Wire.decode(GoldenVectors.sglangNamed("sglang-map-salted").payload());
        BlockStored s = (BlockStored) batch.events().get(0);
        assertEquals("tenant-a", s.cacheSalt());
        assertEquals("sess-1", s.sessionId());
        assertArrayEquals(ONE_TO_EIGHT, s.tokenIds());
        assertEquals(BlockRemoved.of(null, 7), batch.events().get(1));
        java.io.StringWriter line = new java.io.StringWriter();
        EventJson.write(line, "pod-a", 3, batch, s);
        JsonObject json = JsonParser.parseString(line.toString()).getAsJsonObject();
        assertEquals("tenant-a", json.get("cache_salt").getAsString());
        assertEquals("sess-1", json.get("session_id").getAsString());
        assertEquals("18446744073709551611", json.getAsJsonArray("block_hashes").get(0).getAsString());
    }

    @Test
    void bigramTokenIdsAreReadAsThePagesOwnTokensInBothLayouts() {
        for (String name : List.of("sglang-array-bigram", "sglang-map-bigram")) {
            BlockStored s = (BlockStored) Wire.decode(GoldenVectors.sglangNamed(name).payload()).events().get(0);
            assertArrayEquals(new int[] {1, 2, 3, 4}, s.tokenIds(), name);
        }
    }

    @Test
    void theSglangArrayLayoutIsWrittenByteForByteAsMsgspecWritesIt() {
        for (String name : List.of("sglang-array-salted", "sglang-array-unsalted")) {
            byte[] payload = GoldenVectors.sglangNamed(name).payload();
            byte[] again = Wire.encode(Wire.decode(payload), WireFormat.of(WireFormat.Events.SGLANG_ARRAY,
                    WireFormat.Hashes.SIGNED_INT));
            assertEquals(HexFormat.of().formatHex(payload), HexFormat.of().formatHex(again), name);
        }
    }

    @Test
    void aSaltHasNoPlaceInVllmsArrayLayoutAndTheEncoderSaysSo() {
        EventBatch salted = Wire.decode(GoldenVectors.sglangNamed("sglang-array-salted").payload());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Wire.encode(salted, WireFormat.of(WireFormat.Events.ARRAY, WireFormat.Hashes.INT)));
        assertTrue(e.getMessage().contains("cache_salt has no place in vLLM's array layout"), e.getMessage());
        assertEquals(salted, Wire.decode(Wire.encode(salted))); // maps hold every field
    }

    @Test
    void aMetadataMapThatIsNotAMapIsRefusedWithTheFieldNamed() {
        byte[] payload = GoldenVectors.sglangNamed("sglang-array-salted").payload();
        String hex = HexFormat.of().formatHex(payload);
        // the metadata map {"cache_salt": "tenant-a"} replaced by the integer 7 where SGLang's layout puts it
        String broken = hex.replace("81aa63616368655f73616c74a874656e616e742d61", "07");
        MalformedPayloadException e = org.junit.jupiter.api.Assertions.assertThrows(MalformedPayloadException.class,
                () -> Wire.decode(HexFormat.of().parseHex(broken)));
        assertTrue(e.getMessage().contains("lora_name has the wrong type"), e.getMessage());
    }
}
