package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Every rule of {@link PrefixIndexTest} on the pipelined index (residency recorded on a second thread): offload tiers,
 * 4,096 sources on 64 pages, restarts, LoRA and salts answer exactly as on the one-thread index.
 */
class PipelinedPrefixIndexTest extends PrefixIndexTest {
    @Override
    PrefixIndex newIndex() {
        return PrefixIndex.pipelined(PrefixIndex.DEFAULT_MODEL);
    }

    @Test
    void aClosedPipelinedIndexSaysSoWhereAnEmptyOneWouldSayNothingIsHeld() {
        int[] prompt = IntStream.range(0, 32).toArray();
        index.apply("pod-a", "", EventBatch.of(BlockStored.of(new long[] {1, 2}, null, prompt, 16)));
        assertEquals(2, index.probe(prompt).pod("pod-a").matchedBlocks());
        index.close();
        RuntimeException e = assertThrows(RuntimeException.class, () -> index.probe(prompt));
        // not the IllegalStateException of an index that holds nothing yet, which a caller may wait out
        assertFalse(e instanceof IllegalStateException, e.toString());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals("PrefixIndex[closed]", index.toString(), "JShell shows a closed index without an exception");
    }

    @Test
    void aPipelinedIndexSizedForTheFleetAnswersAsAGrowingOneThreadIndexDoes() {
        try (PrefixIndex sized = PrefixIndex.pipelined(PrefixIndex.DEFAULT_MODEL, 4, 64)) {
            assertAnswersAsAGrowingIndex(sized, 11);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrefixIndex.pipelined("m", 4, -1));
        assertEquals("a fleet of 4 sources of -1 blocks: both must be 0 or more", e.getMessage());
    }

    @Test
    void closingAOneThreadIndexLeavesItUsable() {
        PrefixIndex plain = PrefixIndex.create();
        int[] prompt = IntStream.range(0, 16).toArray();
        plain.apply("pod-a", "", EventBatch.of(BlockStored.of(new long[] {1}, null, prompt, 16)));
        plain.close();
        assertEquals(1, plain.probe(prompt).pod("pod-a").matchedBlocks());
    }
}
