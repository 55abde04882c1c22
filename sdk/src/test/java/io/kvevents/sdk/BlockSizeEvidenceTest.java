package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which stores tell a pod's block size ({@code status --probe}, {@code doctor}'s block-size check, the index): vLLM
 * 5ac26849 publishes stores whose block_size is not the engine's: the offloading connector's placeholders (block size
 * 0, no tokens; offloading/events.py {@code _placeholder_stored}), the Mooncake store's (its database's block size,
 * medium cpu), partial prefix entries (block_pool.py {@code cache_partial_block}: one finer hash block, chained to a
 * parent never stored) and sliding-window groups'. Found in review: any store set it, so doctor failed "0 tokens".
 */
class BlockSizeEvidenceTest {
    private static int[] tokens(int n) {
        return new int[n];
    }

    @Test
    void onlyAFullAttentionGpuStoreOfWholeBlocksShowsTheBlockSize() {
        assertTrue(new BlockStored(new long[] {1, 2}, null, tokens(32), 16, null, "GPU", null, null, 0, "full_attention",
                null, null, null, null, null).showsBlockSize());
        assertTrue(new BlockStored(new long[] {1}, null, tokens(16), 16, null, null, null, null, null, null,
                null, null, null, null, null).showsBlockSize(), "an engine before tiers and groups");
        assertFalse(new BlockStored(new long[] {1}, null, tokens(0), 0, null, "CPU", null, null, 1, null,
                null, null, null, null, null).showsBlockSize(), "an offloading placeholder");
        assertFalse(new BlockStored(new long[] {1}, null, tokens(0), 256, null, "cpu", null, null, 0, null,
                null, null, null, null, null).showsBlockSize(), "a Mooncake store without tokens");
        assertFalse(new BlockStored(new long[] {1}, null, tokens(32), 32, null, "GPU", null, null, 1, "sliding_window",
                4096, null, null, null, null).showsBlockSize(), "a sliding-window group");
    }

    @Test
    void neitherAnOrphanedPartialEntryNorAnotherTierChangesThePodsBlockSize() {
        PrefixIndex index = PrefixIndex.forModel("m");
        index.apply("pod-a", "", new EventBatch(1.0, List.of(new BlockStored(new long[] {1, 2}, null, tokens(32), 16,
                null, "GPU", null, null, 0, "full_attention", null, null, null, null, null)), null));
        // a partial entry: one 4-token hash block, chained to a finer hash this pod never stored as a block
        index.apply("pod-a", "", new EventBatch(2.0, List.of(new BlockStored(new long[] {77}, 991L, tokens(4), 4,
                null, "GPU", null, null, 0, "full_attention", null, null, null, null, null)), null));
        assertEquals(16, index.stats().sources().get(0).blockSize());
        assertEquals(2, index.probe(tokens(32)).pod("pod-a").matchedBlocks());
        // another tier's store, chained to a GPU block, in its own block size (Mooncake's database's): the pod's stays
        index.apply("pod-a", "", new EventBatch(3.0, List.of(new BlockStored(new long[] {78}, 2L, tokens(256), 256,
                null, "cpu", null, null, 0, null, null, null, null, null, null)), null));
        assertEquals(16, index.stats().sources().get(0).blockSize());
    }
}
